package tasks

import (
	"context"
	"fmt"
	"path"

	"github.com/murderfleet/murder/roles"
)

// Task is one task of the set: what it needs and whom it runs on.
type Task struct {
	Name  string   // as the original spells it, e.g. "murder:start_tracker"
	Doc   string   // one line, for listings
	Roles []string // whose hosts it runs on
	Need  need     // arguments it requires
	Run   func(ctx context.Context, r *Runner) error
}

const (
	rolePeer    = roles.RolePeer
	roleSeeder  = roles.RoleSeeder
	roleTracker = roles.RoleTracker
)

// Murder is the original task set, in the order of the manual usage.
var Murder = []Task{
	// Build the agent for each host's platform and upload it.
	{"murder:distribute_files", "Build the agent for each host and upload it to remote_murder_path", []string{roleTracker, roleSeeder, rolePeer}, 0, distributeFiles},
	// The tracker, detached, on the tracker host.
	{"murder:start_tracker", "Start the tracker on the tracker host", []string{roleTracker}, 0, startTracker},
	{"murder:stop_tracker", "Stop the tracker", []string{roleTracker}, 0, stopTracker},
	// Pack files_path into TAG.tgz on the seeder and make its .torrent.
	{"murder:create_torrent", "Pack files_path on the seeder and make TAG.tgz.torrent (needs tag, files_path)", []string{roleSeeder}, needTag | needFiles, createTorrent},
	{"murder:download_torrent", "Copy TAG.tgz.torrent from the seeder to this machine (needs tag)", []string{roleSeeder}, needTag, downloadTorrent},
	{"murder:start_seeding", "Start seeding TAG.tgz on the seeder (needs tag)", []string{roleSeeder}, needTag, startSeeding},
	{"murder:stop_seeding", "Stop seeding TAG (needs tag)", []string{roleSeeder}, needTag, stopSeeding},
	{"murder:stop_all_seeding", "Stop every seeder process", []string{roleSeeder}, 0, stopAllSeeding},
	// Every peer downloads, shares, verifies and extracts.
	{"murder:peer", "Download TAG to every peer and extract it into destination_path (needs tag, destination_path)", []string{rolePeer}, needTag | needDest, peer},
	{"murder:stop_peering", "Stop the peer processes of TAG (needs tag)", []string{rolePeer}, needTag, stopPeering},
	{"murder:stop_all_peering", "Stop every peer process", []string{rolePeer}, 0, stopAllPeering},
	{"murder:clean_temp_files", "Remove TAG.tgz and TAG.tgz.torrent from temp_path (needs tag)", []string{rolePeer, roleSeeder}, needTag, cleanTempFiles},
}

// hosts returns the task's hosts, narrowed by hosts= and roles=.
func (r *Runner) hosts(t Task) []*roles.Host {
	hs := r.Config.Hosts(t.Roles...)
	if names := splitList(r.Args.Get("hosts")); len(names) > 0 {
		hs = roles.Select(hs, roles.Named(names...))
	}
	if rs := splitList(r.Args.Get("roles")); len(rs) > 0 {
		var fs []roles.Filter
		for _, name := range rs {
			fs = append(fs, roles.InRole(name))
		}
		hs = roles.Select(hs, anyOf(fs...))
	}
	return hs
}

func anyOf(fs ...roles.Filter) roles.Filter {
	return func(h *roles.Host) bool {
		for _, f := range fs {
			if f(h) {
				return true
			}
		}
		return false
	}
}

// simple returns a task body that runs one command on each of its hosts.
func simple(role, step string, cmd func(settings) []string) func(context.Context, *Runner) error {
	return func(ctx context.Context, r *Runner) error {
		return r.each(ctx, r.roleHosts(role), step, func(ctx context.Context, h *roles.Host) error {
			return r.exec(ctx, h, cmd(r.settings(h))...)
		})
	}
}

// roleHosts are the current task's hosts of one role.
func (r *Runner) roleHosts(role string) []*roles.Host {
	return r.hosts(Task{Roles: []string{role}})
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

func cleanTempFiles(ctx context.Context, r *Runner) error {
	return r.each(ctx, r.hosts(Task{Roles: []string{rolePeer, roleSeeder}}), "clean temp files", func(ctx context.Context, h *roles.Host) error {
		return r.exec(ctx, h, r.settings(h).cleanTempCmd()...)
	})
}

// createTorrent packs files_path into TAG.tgz (or copies it with
// path_is_file), makes the .torrent announcing at the tracker host, and
// fetches it unless do_not_download_torrent.
func createTorrent(ctx context.Context, r *Runner) error {
	tracker := r.Config.Tracker()
	port := r.Config.Vars(tracker).TrackerPort
	err := r.each(ctx, r.roleHosts(roleSeeder), "create torrent", func(ctx context.Context, h *roles.Host) error {
		s := r.settings(h)
		if err := r.exec(ctx, h, s.packCmd()...); err != nil {
			return err
		}
		return r.exec(ctx, h, s.makeTorrentCmd(tracker.Name, port)...)
	})
	if err != nil {
		return err
	}
	if !r.Args.Bool("do_not_download_torrent") {
		if err := downloadTorrent(ctx, r); err != nil {
			return err
		}
	}
	return r.registerAtTracker(ctx)
}

// registerAtTracker allows the torrent at a tracker on another host than
// the seeder (on the same host make-torrent registered it already): the
// tracker answers only for info-hashes it was told about.
func (r *Runner) registerAtTracker(ctx context.Context) error {
	tracker, seeder := r.Config.Tracker(), r.Config.Seeder()
	if tracker == seeder {
		return nil
	}
	local := r.localTorrent()
	if r.Args.Bool("do_not_download_torrent") {
		return nil // nothing local to send; start_seeding registers on its own host only
	}
	return r.each(ctx, []*roles.Host{tracker}, "register torrent", func(ctx context.Context, h *roles.Host) error {
		s := r.settings(h)
		if err := r.upload(ctx, h, local, s.torrent()); err != nil {
			return err
		}
		return r.exec(ctx, h, s.registerCmd(s.torrent())...)
	})
}

// localTorrent is where download_torrent puts the .torrent on this machine.
func (r *Runner) localTorrent() string {
	s := resolve(r.Args, r.Config.Global())
	if r.LocalTemp != "" && r.Args.Get("temp_path") == "" {
		s.TempPath = r.LocalTemp
	}
	return path.Join(s.TempPath, s.Tag+".tgz.torrent")
}

func downloadTorrent(ctx context.Context, r *Runner) error {
	seeder := r.Config.Seeder()
	return r.each(ctx, []*roles.Host{seeder}, "download torrent", func(ctx context.Context, h *roles.Host) error {
		remotePath, local := r.settings(h).torrent(), r.localTorrent()
		if r.dryRun() {
			r.printf("  * [dry-run :: %s] download %s to local %s\n", h, remotePath, local)
			return nil
		}
		c, err := r.conn(ctx, h)
		if err != nil {
			return err
		}
		return c.Download(ctx, remotePath, local)
	})
}

// upload sends a local file to a host.
func (r *Runner) upload(ctx context.Context, h *roles.Host, local, remotePath string) error {
	if r.dryRun() {
		r.printf("  * [dry-run :: %s] upload local %s to %s\n", h, local, remotePath)
		return nil
	}
	c, err := r.conn(ctx, h)
	if err != nil {
		return err
	}
	if err := c.Upload(ctx, local, remotePath, 0o644); err != nil {
		return fmt.Errorf("upload %s: %w", path.Base(local), err)
	}
	return nil
}
