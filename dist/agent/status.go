package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
)

// runStatus: status KIND TAG prints the latest report of a detached worker
// and returns at once, so the task runner can poll a whole fleet with short
// commands instead of holding one session per host. With --wait it first
// waits up to that long for the worker's result, so a runner that can
// afford one session per host learns of the end at once, not at its next
// poll. The first word of the output is "progress", "done", "error:" or
// "running"; the exit code is 1 when the worker died without a final
// report.
func runStatus(ctx context.Context, env *runEnv, args []string) error {
	fset := flag.NewFlagSet("status", flag.ContinueOnError)
	runDir := fset.String("run-dir", defaultRunDir(), "directory of pid and status files")
	wait := fset.Duration("wait", 0, "wait up to this long for the worker's result")
	rest, err := parseFlags(fset, args, 2, 2)
	if err != nil {
		return err
	}
	d := detached{kind: rest[0], tag: rest[1], runDir: *runDir}
	if !kinds[d.kind] {
		return usagef("unknown kind %q", d.kind)
	}
	if err := waitResult(ctx, d, *wait); err != nil {
		return err
	}
	line, final, err := readStatus(d)
	if err != nil {
		return err
	}
	if !final {
		if rec, perr := readPidFile(d.pidPath()); perr == nil && rec.alive() {
			if line == "" {
				line = "running"
			}
			fmt.Fprintln(env.stdout, line)
			return nil
		}
		// A worker writes its result before it removes its pid file: one
		// that ended between the two reads has left its result by now.
		if line, final, err = readStatus(d); err != nil {
			return err
		}
	}
	if !final {
		return fmt.Errorf("%s is not running and left no result; see %s:\n%s", describe(d.kind, d.tag), d.logPath(), logTail(d.logPath()))
	}
	fmt.Fprintln(env.stdout, line)
	return nil
}

// waitPoll is how often status --wait looks at the worker besides when
// its status file changes: a worker that died leaves no result to wake
// the wait. Every host of a fleet runs one such wait; at 100 ms the 40
// waits of the bench's n=40 took ~3 % of its CPU.
const waitPoll = 250 * time.Millisecond

// waitResult returns once the worker has left its result, has gone, or
// wait has passed.
func waitResult(ctx context.Context, d detached, wait time.Duration) error {
	return waitResultPolling(ctx, d, wait, waitPoll)
}

// waitResultPolling is waitResult looking every poll.
func waitResultPolling(ctx context.Context, d detached, wait, poll time.Duration) error {
	deadline := time.Now().Add(wait)
	w := watchDir(d.runDir) // before the first look: no change is missed
	defer w.close()
	for time.Now().Before(deadline) {
		_, final, err := readStatus(d)
		if err != nil || final {
			return err
		}
		if rec, err := readPidFile(d.pidPath()); err != nil || !rec.alive() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		w.wait(ctx, min(poll, time.Until(deadline)))
	}
	return nil
}

// readStatus reads a worker's status file; final is true for its result
// ("done" or "error: ...").
func readStatus(d detached) (line string, final bool, err error) {
	b, err := os.ReadFile(d.statusPath())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	line = strings.TrimSpace(string(b))
	return line, agentproto.IsDone(line) || strings.HasPrefix(line, "error: "), nil
}
