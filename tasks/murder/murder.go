// Package murder is the original Murder's task set (distribute_files,
// start_tracker, ..., peer, clean_temp_files), written with package tasks
// like any user's task: each runs over SSH on the hosts of its roles, in
// parallel, and moves files between them with BitTorrent through the
// agent (dist/) every host runs. Importing it registers the tasks.
package murder

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
)

const (
	rolePeer    = roles.RolePeer
	roleSeeder  = roles.RoleSeeder
	roleTracker = roles.RoleTracker
)

// The arguments of the original, as `name=value` or the environment.
func init() {
	for _, a := range [][3]string{
		{"tag", "", "names the transfer (TAG.tgz); default: murder.yaml's default_tag"},
		{"files_path", "", "directory (or file, with path_is_file) on the seeder to distribute"},
		{"destination_path", "", "directory on the peers to extract into"},
		{"temp_path", "", "where TAG.tgz and its .torrent live, on every host and locally"},
		{"local_temp_path", "", "where the .torrent lives on this machine; default: temp_path"},
		{"path_is_file", "", "distribute a single file as it is"},
		{"no_tag_directory", "", "extract into destination_path itself, not destination_path/TAG"},
		{"unsafe_please_delete", "", "empty the destination before extracting"},
		{"do_not_download_torrent", "", "create_torrent leaves the .torrent on the seeder"},
		{"stall_timeout", "", "how long a peer may go without data before it fails (90s, 5m)"},
		{"peer_connections", "", "murder:peer: connections each peer keeps to other hosts (default 5; more where links have a large bandwidth-delay product)"},
		{"seeder_connections", "", "murder:start_seeding: connections the seeder keeps (default 4)"},
		{"piece_length", "", "murder:create_torrent: the torrent's piece length, a power of two from 16KiB to 64MiB (default: 512KiB up to 1 GiB, then doubling)"},
		{"encrypt", "1", "encrypt the archive and the peer connections (0: plaintext, for other BitTorrent clients)"},
		{"obfuscate", "1", "with encrypt=1, also encrypt the peer connections (TLS keyed by the transfer: only holders of the .torrent connect, the network sees no info-hash; 0: the archive only)"},
		{"agent_sources", "20", "distribute_files: upload the agent to this many hosts (at least one per platform); the others fetch it from those"},
		{"agent_port", "0", "distribute_files: the port hosts serve the agent to each other on (0: any free port)"},
		{"capfile", "", "murder:import_capfile: the project directory, or its Capfile or config/deploy.rb"},
		{"stage", "", "murder:import_capfile: the stage of a multistage project (production, staging, ...)"},
		{"tasks_output", "", "murder:import_capfile: the Go file for the project's tasks (default magefiles/capistrano_tasks.go)"},
		{"output", "", "murder:import_capfile: murder.yaml to write"},
		{"force", "", "murder:import_capfile: replace an existing output"},
	} {
		tasks.DeclareArg(a[0], a[1], a[2])
	}
	for _, t := range set {
		tasks.Define(tasks.Task{Name: t.name, Doc: t.doc, Run: t.run, Check: t.check})
	}
}

// task is one task of the set: what it needs and whom it runs on.
type task struct {
	name, doc string
	roles     []string // whose hosts it runs on
	need      need     // arguments it requires
	run       func(ctx context.Context) error
}

// set is the original task set, in the order of the manual usage.
var set = []task{
	// Build the agent for each host's platform and upload it.
	{"murder:distribute_files", "Build the agent for each host and put it in remote_murder_path (uploaded to agent_sources hosts, fetched from those by the others)", []string{roleTracker, roleSeeder, rolePeer}, 0, distributeFiles},
	// The tracker, detached, on the tracker host.
	{"murder:start_tracker", "Start the tracker on the tracker host", []string{roleTracker}, 0, startTracker},
	{"murder:stop_tracker", "Stop the tracker", []string{roleTracker}, 0, stopTracker},
	// Pack files_path into TAG.tgz on the seeder and make its .torrent.
	{"murder:create_torrent", "Pack files_path on the seeder and make TAG.tgz.torrent (needs tag, files_path)", []string{roleSeeder}, needTag | needFiles | tunesTorrent, createTorrent},
	{"murder:download_torrent", "Copy TAG.tgz.torrent from the seeder to this machine (needs tag)", []string{roleSeeder}, needTag, downloadTorrent},
	{"murder:start_seeding", "Start seeding TAG.tgz on the seeder (needs tag)", []string{roleSeeder}, needTag | tunesSeeder, startSeeding},
	{"murder:stop_seeding", "Stop seeding TAG (needs tag)", []string{roleSeeder}, needTag, stopSeeding},
	{"murder:stop_all_seeding", "Stop every seeder process", []string{roleSeeder}, 0, stopAllSeeding},
	// Every peer downloads, shares, verifies and extracts.
	{"murder:peer", "Download TAG to every peer and extract it into destination_path (needs tag, destination_path)", []string{rolePeer}, needTag | needDest | tunesPeer, peer},
	{"murder:stop_peering", "Stop the peer processes of TAG (needs tag)", []string{rolePeer}, needTag, stopPeering},
	{"murder:stop_all_peering", "Stop every peer process", []string{rolePeer}, 0, stopAllPeering},
	{"murder:clean_temp_files", "Remove TAG.tgz and TAG.tgz.torrent from temp_path (needs tag)", []string{rolePeer, roleSeeder, roleTracker}, needTag, cleanTempFiles},
}

// check validates the task's arguments on each of its hosts before
// anything runs remotely.
func (t task) check(ctx context.Context) error {
	hosts, err := tasks.Roles(t.roles...).Hosts(ctx)
	if err != nil {
		return err
	}
	if len(hosts) == 0 {
		return fmt.Errorf("no hosts to run on (check hosts= and roles=)")
	}
	if t.name == "murder:distribute_files" {
		if _, _, err := fanoutArgs(ctx); err != nil {
			return err
		}
	}
	if t.name == "murder:peer" {
		if _, err := stallTimeout(tasks.Arg(ctx, "stall_timeout")); err != nil {
			return err
		}
	}
	for _, h := range hosts {
		if err := settingsOf(ctx, h).check(t.need); err != nil {
			return err
		}
	}
	return nil
}

// simple returns a task body that runs one agent command on each host of
// role.
func simple(role, step string, cmd func(settings) []string) func(context.Context) error {
	return func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles(role).Step(step), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, cmd(settingsOf(ctx, h))...)
		})
	}
}

var (
	startTracker   = simple(roleTracker, "start tracker", settings.startTrackerCmd)
	stopTracker    = simple(roleTracker, "stop tracker", settings.stopTrackerCmd)
	startSeeding   = simple(roleSeeder, "start seeding", settings.startSeedingCmd)
	stopSeeding    = simple(roleSeeder, "stop seeding", settings.stopSeedingCmd)
	stopAllSeeding = simple(roleSeeder, "stop all seeding", settings.stopAllSeedingCmd)
	stopPeering    = simple(rolePeer, "stop peering", settings.stopPeeringCmd)
	stopAllPeering = simple(rolePeer, "stop all peering", settings.stopAllPeeringCmd)
)

// cleanTempFiles removes the transfer's files from every host, and its
// key from this machine.
func cleanTempFiles(ctx context.Context) error {
	// The tracker holds a copy of the .torrent when it is another host.
	err := tasks.On(ctx, tasks.Roles(rolePeer, roleSeeder, roleTracker).Step("clean temp files"), func(ctx context.Context, h *tasks.Host) error {
		return h.Execute(ctx, settingsOf(ctx, h).cleanTempCmd()...)
	})
	if !tasks.DryRun(ctx) {
		if rerr := os.Remove(keyFile(ctx)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// createTorrent packs files_path into TAG.tgz (or copies it with
// path_is_file), makes the .torrent announcing at the tracker host, and
// fetches it unless do_not_download_torrent.
func createTorrent(ctx context.Context) error {
	tracker := tasks.Config(ctx).Tracker()
	port := tasks.Config(ctx).Vars(tracker).TrackerPort
	recipient, err := newTransferKey(ctx)
	if err != nil {
		return err
	}
	token, err := newToken(ctx)
	if err != nil {
		return err
	}
	err = tasks.On(ctx, tasks.Roles(roleSeeder).Step("create torrent"), func(ctx context.Context, h *tasks.Host) error {
		return packAndMake(ctx, h, settingsOf(ctx, h), recipient, token, tracker.Name, port)
	})
	if err != nil {
		return err
	}
	if !tasks.ArgBool(ctx, "do_not_download_torrent") {
		if err := downloadTorrent(ctx); err != nil {
			return err
		}
	}
	return registerAtTracker(ctx)
}

// registerAtTracker allows the torrent at a tracker on another host than
// the seeder (on the same host make-torrent registered it already): the
// tracker answers only for info-hashes it was told about.
func registerAtTracker(ctx context.Context) error {
	cfg := tasks.Config(ctx)
	if cfg.Tracker() == cfg.Seeder() || tasks.ArgBool(ctx, "do_not_download_torrent") {
		return nil // nothing local to send; start_seeding registers on its own host only
	}
	local := localTorrent(ctx)
	return tasks.On(ctx, tasks.Servers(cfg.Tracker()).Step("register torrent"), func(ctx context.Context, h *tasks.Host) error {
		s := settingsOf(ctx, h)
		if err := h.Upload(ctx, local, s.torrent()); err != nil {
			return err
		}
		return h.Execute(ctx, s.registerCmd(s.torrent())...)
	})
}

// localTorrent is where download_torrent puts the .torrent on this
// machine: local_temp_path, else temp_path, else default_temp_path.
func localTorrent(ctx context.Context) string {
	s := settingsOf(ctx, nil)
	if dir := tasks.Arg(ctx, "local_temp_path"); dir != "" {
		s.TempPath = dir
	}
	return s.torrent()
}

func downloadTorrent(ctx context.Context) error {
	return tasks.On(ctx, tasks.Roles(roleSeeder).Step("download torrent"), func(ctx context.Context, h *tasks.Host) error {
		return h.Download(ctx, settingsOf(ctx, h).torrent(), localTorrent(ctx))
	})
}
