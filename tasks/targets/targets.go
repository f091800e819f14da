// Package targets holds murder's Mage targets. A magefile imports it with
//
//	//mage:import
//	_ "github.com/murderfleet/murder/tasks/targets"
//
// and gets the original task names: `go tool mage murder:peer tag=Deploy1
// destination_path=/srv/app`, also spelled murder:start_tracker, and the
// deploy flow: `go tool mage deploy`. Every registered task, murder's and
// the magefile's own (tasks.Register), runs by its Capistrano name through
// the runner, with its hooks: `go tool mage app:restart`, or
// `go tool mage invoke app:restart`.
package targets

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/murderfleet/murder/tasks"
	_ "github.com/murderfleet/murder/tasks/deploy" // registers deploy:*
	"github.com/murderfleet/murder/tasks/murder"
)

func init() {
	tasks.RouteThrough("invoke")
	// It writes murder.yaml, so it runs before there is one, outside the runner.
	tasks.MageTarget("murder:import_capfile", "murder:importcapfile")
}

// Invoke runs any registered task by its Capistrano name, with its hooks
// (`go tool mage app:restart` comes here too).
func Invoke(ctx context.Context, task string) error { return run(ctx, task) }

// Murder is the original Murder task set.
type Murder mg.Namespace

// run runs a task as the command line asked. mage cancels ctx on ^C;
// SIGTERM (a pipeline's timeout) and SIGHUP (a lost terminal) must stop
// what the task started the same way, instead of killing the process with
// agents left running on the hosts.
//
// `go tool mage` runs the compiled magefile under two launchers that pass
// on ^C only: a SIGTERM to the go command kills them and leaves this
// process running, unwatched. So the loss of the parent process counts as
// a signal too.
func run(ctx context.Context, task string) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go watchParent(ctx, cancel)
	return tasks.Run(ctx, task, tasks.CommandLine(), tasks.Options{Stdout: os.Stdout})
}

// watchParent cancels ctx once this process's parent has gone (it is
// reparented), checking every second until ctx ends.
func watchParent(ctx context.Context, cancel context.CancelCauseFunc) {
	parent := os.Getppid()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if os.Getppid() != parent {
				cancel(errors.New("the go tool mage that started this run has gone"))
				return
			}
		}
	}
}

// DistributeFiles builds the agent for each host and uploads it (murder:distribute_files).
func (Murder) DistributeFiles(ctx context.Context) error {
	return run(ctx, "murder:distribute_files")
}

// StartTracker starts the tracker on the tracker host (murder:start_tracker).
func (Murder) StartTracker(ctx context.Context) error { return run(ctx, "murder:start_tracker") }

// StopTracker stops the tracker (murder:stop_tracker).
func (Murder) StopTracker(ctx context.Context) error { return run(ctx, "murder:stop_tracker") }

// CreateTorrent packs files_path on the seeder and makes TAG.tgz.torrent; needs tag= files_path= (murder:create_torrent).
func (Murder) CreateTorrent(ctx context.Context) error { return run(ctx, "murder:create_torrent") }

// DownloadTorrent copies TAG.tgz.torrent from the seeder to this machine; needs tag= (murder:download_torrent).
func (Murder) DownloadTorrent(ctx context.Context) error { return run(ctx, "murder:download_torrent") }

// StartSeeding starts seeding TAG on the seeder; needs tag= (murder:start_seeding).
func (Murder) StartSeeding(ctx context.Context) error { return run(ctx, "murder:start_seeding") }

// StopSeeding stops seeding TAG; needs tag= (murder:stop_seeding).
func (Murder) StopSeeding(ctx context.Context) error { return run(ctx, "murder:stop_seeding") }

// StopAllSeeding stops every seeder process (murder:stop_all_seeding).
func (Murder) StopAllSeeding(ctx context.Context) error { return run(ctx, "murder:stop_all_seeding") }

// Peer downloads TAG to every peer and extracts it; needs tag= destination_path= (murder:peer).
func (Murder) Peer(ctx context.Context) error { return run(ctx, "murder:peer") }

// StopPeering stops the peer processes of TAG; needs tag= (murder:stop_peering).
func (Murder) StopPeering(ctx context.Context) error { return run(ctx, "murder:stop_peering") }

// StopAllPeering stops every peer process (murder:stop_all_peering).
func (Murder) StopAllPeering(ctx context.Context) error { return run(ctx, "murder:stop_all_peering") }

// CleanTempFiles removes TAG.tgz and its .torrent from temp_path; needs tag= (murder:clean_temp_files).
func (Murder) CleanTempFiles(ctx context.Context) error { return run(ctx, "murder:clean_temp_files") }

// ImportCapfile writes murder.yaml from a Capistrano Capfile or deploy.rb; needs capfile= (murder:import_capfile).
func (Murder) ImportCapfile(ctx context.Context) error {
	return murder.ImportCapfile(tasks.CommandLine(), murder.ImportOptions{Stdout: os.Stdout, Stderr: os.Stderr})
}
