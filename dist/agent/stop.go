package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

var kinds = map[string]bool{"tracker": true, "seeder": true, "peer": true, serveAgentKind: true}

// runStop stops detached processes found by their pid files, never by
// matching command lines: `stop seeder TAG`, `stop tracker`, or
// `stop --all seeder`. Stopping one that does not run is an error, as in
// the original; with --all, finding none is not.
func runStop(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	runDir := fs.String("run-dir", defaultRunDir(), "directory of pid files")
	all := fs.Bool("all", false, "stop every process of KIND, whatever its tag")
	missingOK := fs.Bool("missing-ok", false, "do not fail when nothing runs")
	grace := fs.Duration("grace", 10*time.Second, "wait this long after SIGTERM before SIGKILL")
	rest, err := parseFlags(fs, args, 1, 2)
	if err != nil {
		return err
	}
	kind := rest[0]
	if !kinds[kind] {
		return usagef("unknown kind %q (tracker, seeder, peer or serve-agent)", kind)
	}
	if *all {
		n, err := stopAll(*runDir, kind, *grace)
		if err == nil {
			fmt.Fprintf(env.stdout, "stopped %d %s process(es)\n", n, kind)
		}
		return err
	}
	tag := ""
	if len(rest) == 2 {
		tag = rest[1]
	}
	err = stopOne(filepath.Join(*runDir, procName(kind, tag)+".pid"), *grace)
	if errors.Is(err, errNotRunning) {
		if *missingOK {
			return nil
		}
		return fmt.Errorf("%s is not running", describe(kind, tag))
	}
	if err == nil {
		fmt.Fprintf(env.stdout, "stopped %s\n", describe(kind, tag))
	}
	return err
}

var errNotRunning = errors.New("not running")

func stopAll(runDir, kind string, grace time.Duration) (int, error) {
	entries, err := os.ReadDir(runDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".pid") || !(name == kind+".pid" || strings.HasPrefix(name, kind+"-")) {
			continue
		}
		switch err := stopOne(filepath.Join(runDir, name), grace); {
		case err == nil:
			n++
		case !errors.Is(err, errNotRunning):
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// stopOne sends SIGTERM to the process of a pid file, waits, then SIGKILL.
func stopOne(path string, grace time.Duration) error {
	rec, err := readPidFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errNotRunning
	}
	if err != nil {
		return err
	}
	if !rec.alive() {
		os.Remove(path) // stale: the process died without cleaning up
		return errNotRunning
	}
	if err := syscall.Kill(rec.Pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal pid %d: %w", rec.Pid, err)
	}
	if !waitGone(rec, grace) {
		_ = syscall.Kill(rec.Pid, syscall.SIGKILL)
		if !waitGone(rec, 5*time.Second) {
			return fmt.Errorf("pid %d did not exit after SIGKILL", rec.Pid)
		}
	}
	os.Remove(path)
	return nil
}
