package agent

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// seedOpts are the arguments of seeder and peer.
type seedOpts struct {
	swarm          swarmFlags
	torrent, file  string
	ip             string
	tag, runDir    string
	detach, noWait bool
	torrentStdin   bool // peer: TORRENT's content comes on stdin
	// peer --extract: the worker extracts its download itself.
	extractTo, extractMode string
	identityStdin          bool   // peer: the age identity is stdin's first line
	identity               string // the worker's, read from its stdin
	stall, seedTime        time.Duration
	args                   []string // as given, for the worker
}

func (o *seedOpts) register(fs *flag.FlagSet, maxConns int) {
	o.swarm.register(fs, maxConns)
	fs.StringVar(&o.runDir, "run-dir", defaultRunDir(), "directory of pid and log files")
	fs.StringVar(&o.tag, "tag", "", "tag naming this transfer in pid files (default: FILE's name without .tgz)")
}

func (o *seedOpts) positional(rest []string, args []string) {
	o.torrent, o.file = rest[0], rest[1]
	if len(rest) == 3 {
		o.ip = rest[2]
	}
	if o.tag == "" {
		o.tag = strings.TrimSuffix(filepath.Base(o.file), ".tgz")
	}
	o.args = args
}

// runSeeder: seeder TORRENT FILE [IP]. It verifies FILE against the torrent
// first: a torrent for other data is an error, not a seeder of garbage.
func runSeeder(ctx context.Context, env *runEnv, args []string) error {
	o, err := parseSeeder(args)
	if err != nil {
		return err
	}
	if !o.detach {
		return seederWork(ctx, env, o, newReporter(env.stdout))
	}
	if _, err := loadTorrent(o.torrent); err != nil {
		return err
	}
	return startDetached(ctx, env, detached{kind: "seeder", tag: o.tag, runDir: o.runDir, args: o.args})
}

func parseSeeder(args []string) (*seedOpts, error) {
	o := &seedOpts{}
	fs := flag.NewFlagSet("seeder", flag.ContinueOnError)
	o.register(fs, defaultSeederConns)
	fs.BoolVar(&o.detach, "detach", false, "run in the background (own session, pid file, log file)")
	rest, err := parseFlags(fs, args, 2, 3)
	if err != nil {
		return nil, err
	}
	if err := o.swarm.check(); err != nil {
		return nil, err
	}
	o.positional(rest, args)
	return o, nil
}

func seederWork(ctx context.Context, env *runEnv, o *seedOpts, rep *reporter) (err error) {
	defer func() { rep.finish("ready", err) }()
	release, err := holdPidFile(o.runDir, "seeder", o.tag)
	if err != nil {
		return err
	}
	defer release()
	tf, err := loadTorrent(o.torrent)
	if err != nil {
		return err
	}
	if err := checkSize(o.file, tf); err != nil {
		return err
	}
	ip, err := announceIP(o.ip, tf.announceURL())
	if err != nil {
		return err
	}
	sw, err := joinSwarm(env, o, tf, ip, false, false)
	if err != nil {
		return err
	}
	defer sw.close()
	cl, t := sw.cl, sw.t
	missing, err := verifyAll(ctx, t)
	if err != nil {
		return fmt.Errorf("verifying %s: %w", o.file, err)
	}
	if missing > 0 {
		err := fmt.Errorf("%s %v %s: %d of %d pieces fail verification", o.file, errMismatch, o.torrent, missing, t.NumPieces())
		select {
		case c := <-sw.conflict: // the torrent's two hashes disagree: say which piece
			err = fmt.Errorf("%w; %v", err, c)
		default:
		}
		return err
	}
	// Register first: a tracker run from this run dir then knows the
	// torrent before the pre-flight announce asks for it.
	_ = allowTorrentLocally(o.runDir, tf)
	if err := sw.preflight(ctx, tf, ip, 0); err != nil {
		return err
	}
	rep.progress("seeding %s (%d bytes) as %s:%d", o.file, tf.info.TotalLength(), ip, cl.LocalPort())
	rep.finish("ready", nil)
	<-ctx.Done()
	return nil
}

// checkSize compares FILE's size with the torrent before any hashing.
func checkSize(path string, tf *torrentFile) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("file to seed: %w", err)
	}
	if fi.Size() != tf.info.TotalLength() {
		return fmt.Errorf("%s %v %s: it is %d bytes, the torrent describes %d", path, errMismatch, tf.path, fi.Size(), tf.info.TotalLength())
	}
	return nil
}
