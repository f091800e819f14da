package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
)

// notifyFD is the descriptor on which a detached worker reports to the
// process that started it: "progress ..." lines, then "ready" (a daemon is
// serving), "done" (a peer holds the verified file) or "error: ...".
const notifyFD = 3

// notifyEnv tells a worker that descriptor notifyFD is its report pipe.
const notifyEnv = "MURDER_AGENT_NOTIFY"

// detached describes a worker to start in its own session.
type detached struct {
	kind, tag string
	runDir    string
	args      []string // the worker's own arguments, after "_worker KIND"
	noWait    bool     // return once the worker reports "started"
	stdin     []byte   // handed to the worker on its stdin (a secret: never argv)
}

func (d detached) pidPath() string { return filepath.Join(d.runDir, procName(d.kind, d.tag)+".pid") }
func (d detached) statusPath() string {
	return filepath.Join(d.runDir, procName(d.kind, d.tag)+".status")
}
func (d detached) logPath() string { return filepath.Join(d.runDir, procName(d.kind, d.tag)+".log") }

// startDetached starts the worker in a new session with its output in a log
// file and relays its reports to stdout until it is ready, done or failed.
// The worker outlives this process; only its reports bind the two, so an
// operator's ^C (ctx), or the end of the session that asked for it (stdout
// read by nobody), stops a worker that has not finished yet.
func startDetached(ctx context.Context, env *runEnv, d detached) error {
	ctx, release := cancelOnHangup(ctx, env.stdout)
	defer release()
	if err := ensurePrivateDir(d.runDir); err != nil {
		return fmt.Errorf("run dir: %w", err)
	}
	if rec, err := readPidFile(d.pidPath()); err == nil && rec.alive() {
		return fmt.Errorf("%s already running (pid %d, pid file %s)", describe(d.kind, d.tag), rec.Pid, d.pidPath())
	}
	if ctx.Err() != nil { // gone before anything started
		return fmt.Errorf("interrupted: not starting %s: %w", describe(d.kind, d.tag), context.Cause(ctx))
	}
	cmd, r, err := spawnWorker(d)
	if err != nil {
		return err
	}
	defer r.Close()
	res := make(chan error, 1)
	go func() { res <- relayReports(r, env.stdout, d.noWait) }()
	stop := func(cause error) error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		return fmt.Errorf("interrupted: stopped %s: %w", describe(d.kind, d.tag), cause)
	}
	select {
	case err := <-res:
		switch {
		case err == nil:
			_ = cmd.Process.Release()
			return nil
		case errors.Is(err, errSessionGone):
			return stop(err)
		case errors.Is(err, errWorkerVanished):
			_ = cmd.Wait()
			return fmt.Errorf("%s exited before it was ready (%v); log %s:\n%s", describe(d.kind, d.tag), cmd.ProcessState, d.logPath(), logTail(d.logPath()))
		}
		_ = cmd.Wait()
		return err
	case <-ctx.Done():
		return stop(context.Cause(ctx))
	}
}

func spawnWorker(d detached) (*exec.Cmd, *os.File, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	logf, err := os.OpenFile(d.logPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer w.Close()
	args := append([]string{"_worker", d.kind, "--run-dir", d.runDir, "--tag", d.tag}, d.args...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), notifyEnv+"=1")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // becomes descriptor 3
	if d.stdin != nil {
		in, err := secretPipe(d.stdin)
		if err != nil {
			r.Close()
			return nil, nil, err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	return cmd, r, nil
}

// secretPipe returns the read end of a pipe already holding b and closed
// for writing: the worker reads b from its stdin whenever it likes, even
// after this process has exited. b must fit the pipe's buffer (64 KiB on
// Linux; an identity is under 100 bytes).
func secretPipe(b []byte) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil {
		r.Close()
		return nil, fmt.Errorf("handing the worker its input: %w", err)
	}
	return r, nil
}

var errWorkerVanished = errors.New("worker closed its report pipe")

// relayReports copies progress lines to out and returns nil on "ready" or
// "done", the worker's error on "error: ...", errSessionGone when out
// fails (nobody reads it: the caller is gone).
func relayReports(r io.Reader, out io.Writer, noWait bool) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "started":
			if noWait {
				return nil
			}
		case line == "ready" || agentproto.IsDone(line):
			return nil
		case strings.HasPrefix(line, "error: "):
			return errors.New(strings.TrimPrefix(line, "error: "))
		default:
			if _, err := fmt.Fprintln(out, line); err != nil {
				return fmt.Errorf("%w (%v)", errSessionGone, err)
			}
		}
	}
	return errWorkerVanished
}

func describe(kind, tag string) string {
	if tag == "" {
		return kind
	}
	return fmt.Sprintf("%s for tag %q", kind, tag)
}

// logTail returns the last lines of a log file, for error messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (no log)"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// reporter is the worker's side of the report pipe. Without a pipe (the
// foreground modes) it writes progress to the given writer.
type reporter struct {
	w      io.Writer
	pipe   *os.File
	status string // status file: the latest report, for `status` and `wait`
}

func newReporter(stdout io.Writer) *reporter {
	if os.Getenv(notifyEnv) == "" {
		return &reporter{w: stdout}
	}
	os.Unsetenv(notifyEnv)
	f := os.NewFile(notifyFD, "report")
	return &reporter{w: f, pipe: f}
}

// progress reports one line. An error means nobody listens any more: the
// process that started us is gone, e.g. its SSH session was cut.
func (r *reporter) progress(format string, a ...any) error {
	line := fmt.Sprintf(format, a...)
	r.writeStatus(line)
	_, err := fmt.Fprintln(r.w, line)
	return err
}

// writeStatus replaces the status file with line. A failure only costs
// `status` its freshness, so it is ignored.
func (r *reporter) writeStatus(line string) {
	if r.status != "" {
		_ = writeFileAtomic(r.status, []byte(line+"\n"), 0o600)
	}
}

// started tells a parent waiting with --no-wait that the work is under way.
// Such a parent exits at once (parentLeaves): from then on the reports go to
// the status file only, or the next write would hit a closed pipe and be
// taken for a parent that was killed.
func (r *reporter) started(parentLeaves bool) {
	if r.pipe == nil {
		return
	}
	fmt.Fprintln(r.pipe, "started")
	if parentLeaves {
		r.pipe.Close()
		r.pipe = nil
		r.w = io.Discard
	}
}

// finish reports the end of the foreground part: "done"/"ready" or the error.
func (r *reporter) finish(word string, err error) {
	if r.status != "" {
		if err != nil {
			r.writeStatus("error: " + strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			r.writeStatus(word)
		}
		r.status = ""
	}
	if r.pipe == nil {
		return
	}
	if err != nil {
		fmt.Fprintf(r.pipe, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Fprintln(r.pipe, word)
	}
	r.pipe.Close()
	r.pipe = nil
	r.w = io.Discard
}

// runWorker is the hidden "_worker KIND" entry point of detached processes:
// it writes the pid file, runs the kind's work and removes the pid file.
func runWorker(ctx context.Context, env *runEnv, args []string) error {
	if len(args) == 0 {
		return usagef("missing worker kind")
	}
	kind := args[0]
	w, ok := workers[kind]
	if !ok {
		return usagef("unknown worker kind %q", kind)
	}
	return w(ctx, env, args[1:])
}

// holdPidFile writes the pid file for this process and returns its removal.
func holdPidFile(runDir, kind, tag string) (func(), error) {
	if err := ensurePrivateDir(runDir); err != nil {
		return nil, fmt.Errorf("run dir: %w", err)
	}
	path := filepath.Join(runDir, procName(kind, tag)+".pid")
	if rec, err := readPidFile(path); err == nil && rec.alive() && rec.Pid != os.Getpid() {
		return nil, fmt.Errorf("%s already running (pid %d)", describe(kind, tag), rec.Pid)
	}
	if err := writePidFile(path, os.Getpid()); err != nil {
		return nil, fmt.Errorf("pid file: %w", err)
	}
	return func() {
		if rec, err := readPidFile(path); err == nil && rec.Pid == os.Getpid() {
			os.Remove(path)
		}
	}, nil
}

// waitGone polls until the process is gone or the deadline passes.
func waitGone(rec pidRecord, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !rec.alive() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !rec.alive()
}
