package agent

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/dist/tracker"
)

// allowedDir is where the tracker looks for registered info-hashes: .torrent
// files or empty files named by the hex info-hash, as BitTornado's
// allowed_dir did.
func allowedDir(runDir string) string { return filepath.Join(runDir, "tracker-allowed") }

// allowLocally registers ih with a tracker run from runDir on this host.
func allowLocally(runDir string, ih metainfo.Hash) error {
	dir := allowedDir(runDir)
	if err := ensurePrivateDir(dir); err != nil {
		return err
	}
	return tracker.AllowFile(dir, ih)
}

// adminTokenPath is where a tracker run from runDir writes the admin token
// it generates when given no --admin-token-file.
func adminTokenPath(runDir string) string { return filepath.Join(runDir, "tracker.admin-token") }

// allowTorrentLocally registers tf with a tracker run from runDir on this
// host by copying the torrent into its allow dir (owner-only), so that the
// tracker also learns the transfer token its announce URL carries.
func allowTorrentLocally(runDir string, tf *torrentFile) error {
	dir := allowedDir(runDir)
	if err := ensurePrivateDir(dir); err != nil {
		return err
	}
	return tracker.AllowTorrent(dir, tf.mi)
}

// trackerOpts are the tracker's flags, shared by the command and its
// detached worker.
type trackerOpts struct {
	port, maxPeers, maxSwarm int
	addr, runDir, adminToken string
	detach, allowAll         bool
	interval, ttl            time.Duration
}

func parseTracker(args []string) (*trackerOpts, error) {
	o := &trackerOpts{}
	fs := flag.NewFlagSet("tracker", flag.ContinueOnError)
	fs.IntVar(&o.port, "port", 8998, "port to listen on")
	fs.StringVar(&o.addr, "address", "", "address to listen on (default: all)")
	fs.StringVar(&o.runDir, "run-dir", defaultRunDir(), "directory of pid, log and allow-list files")
	fs.String("tag", "", "unused; accepted for uniformity with the other daemons")
	fs.BoolVar(&o.detach, "detach", false, "run in the background (own session, pid file, log file)")
	fs.BoolVar(&o.allowAll, "allow-all", false, "answer for any info-hash, not only registered ones")
	fs.IntVar(&o.maxPeers, "max-numwant", tracker.DefaultMaxNumWant, "most peers in one answer (a client asking none gets 50)")
	fs.IntVar(&o.maxSwarm, "max-peers-per-swarm", tracker.DefaultMaxPeersPerSwarm, "most peers listed in one swarm; more are refused")
	fs.StringVar(&o.adminToken, "admin-token-file", "",
		"file (mode 0600) holding the token that opens /status and /metrics (default: generate one into RUN-DIR/tracker.admin-token)")
	fs.DurationVar(&o.interval, "interval", 15*time.Second, "re-announce interval")
	fs.DurationVar(&o.ttl, "peer-ttl", 2*time.Minute, "forget peers that have not announced for this long")
	if _, err := parseFlags(fs, args, 0, 0); err != nil {
		return nil, err
	}
	switch {
	case o.port < 1 || o.port > 65535:
		return nil, usagef("--port %d is not a port number", o.port)
	case o.maxPeers < 1:
		return nil, usagef("--max-numwant %d: want at least 1", o.maxPeers)
	case o.maxSwarm < 1:
		return nil, usagef("--max-peers-per-swarm %d: want at least 1", o.maxSwarm)
	}
	return o, nil
}

// runTracker: tracker [--port 8998] [--address ADDR] [--detach]
// [--admin-token-file PATH] [--max-peers-per-swarm N].
func runTracker(ctx context.Context, env *runEnv, args []string) error {
	o, err := parseTracker(args)
	if err != nil {
		return err
	}
	if o.detach {
		d := detached{kind: "tracker", runDir: o.runDir, args: args}
		if pid, ok := sameTrackerRunning(d, o.port); ok {
			// The documented hook (before start_seeding: start_tracker)
			// runs on every deploy: a tracker already serving is what
			// the operator asked for.
			fmt.Fprintf(env.stdout, "tracker already running (pid %d) on port %d\n", pid, o.port)
			return nil
		}
		return startDetached(ctx, env, d)
	}
	return trackerWork(ctx, env, o)
}

// sameTrackerRunning reports whether d's tracker runs from this very agent
// binary, on port: anything else (another port, an agent replaced by
// distribute_files since) is left to startDetached to refuse.
func sameTrackerRunning(d detached, port int) (int, bool) {
	rec, err := readPidFile(d.pidPath())
	if err != nil || !rec.alive() {
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		return 0, false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", rec.Pid))
	if err != nil || exe != self {
		return 0, false // " (deleted)" when the agent was replaced
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", rec.Pid))
	if err != nil {
		return 0, false
	}
	running := 8998
	argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "--port="); ok {
			running, _ = strconv.Atoi(v)
		} else if a == "--port" && i+1 < len(argv) {
			running, _ = strconv.Atoi(argv[i+1])
		}
	}
	return rec.Pid, running == port
}

func trackerWork(ctx context.Context, env *runEnv, o *trackerOpts) error {
	rep := newReporter(env.stdout)
	tlsConf, err := tracker.SelfSignedTLS()
	if err != nil {
		rep.finish("ready", err)
		return err
	}
	err = serveTracker(ctx, rep, o.runDir, net.JoinHostPort(o.addr, strconv.Itoa(o.port)), o.adminToken, tracker.Config{
		Interval: o.interval, MinInterval: o.interval / 3, PeerTTL: o.ttl,
		MaxNumWant: o.maxPeers, AllowAll: o.allowAll, MaxPeersPerSwarm: o.maxSwarm, TLS: tlsConf,
	})
	rep.finish("ready", err)
	return err
}

// serveTracker runs the tracker from runDir on addr. The admin token comes
// from adminTokenFile, or, when that is "", is generated into the run dir.
func serveTracker(ctx context.Context, rep *reporter, runDir, addr, adminTokenFile string, cfg tracker.Config) error {
	release, err := holdPidFile(runDir, "tracker", "")
	if err != nil {
		return err
	}
	defer release()
	// After the pid file: a second tracker must not replace the token of
	// the one running.
	if adminTokenFile != "" {
		cfg.AdminToken, err = tracker.LoadAdminToken(adminTokenFile)
	} else {
		cfg.AdminToken, err = tracker.WriteAdminToken(adminTokenPath(runDir))
	}
	if err != nil {
		return err
	}
	cfg.AllowDir = allowedDir(runDir)
	if err := ensurePrivateDir(cfg.AllowDir); err != nil {
		return err
	}
	srv, err := tracker.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	rep.progress("tracker listening on %s (pid %d)", ln.Addr(), os.Getpid())
	rep.finish("ready", nil)
	if err := srv.Serve(ctx, ln); err != nil {
		return fmt.Errorf("tracker: %w", err)
	}
	return nil
}

// runRegister: register TORRENT... allows torrents at a tracker run from
// this host's run dir; the task runner calls it on the tracker host when
// the tracker and the seeder are different hosts.
func runRegister(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	runDir := fs.String("run-dir", defaultRunDir(), "run directory of the tracker")
	rest, err := parseFlags(fs, args, 1, -1)
	if err != nil {
		return err
	}
	for _, p := range rest {
		tf, err := loadTorrent(p)
		if err != nil {
			return err
		}
		if err := allowTorrentLocally(*runDir, tf); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "registered %s (%s)\n", p, tf.mi.HashInfoBytes().HexString())
	}
	return nil
}
