package agent_test

// End-to-end harness: the tests build murder-agent once and run it as
// separate processes on loopback, the way a fleet runs it, so that pid
// files, detached workers, report pipes and exit codes are exercised for
// real. Every process a test starts is stopped by t.Cleanup: first through
// `stop --all` on each run dir, then with SIGKILL from the pid files.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// agentBin is the murder-agent binary built by TestMain.
var agentBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "murder-agent-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	agentBin = filepath.Join(dir, "murder-agent")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", agentBin, "github.com/murderfleet/murder/dist/cmd/murder-agent")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building murder-agent: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// result is the outcome of one agent command.
type result struct {
	stdout, stderr string
	code           int // -1: killed at the timeout, -2: did not start
	dur            time.Duration
	cmd            *exec.Cmd
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.code, r.dur.Round(time.Millisecond), r.stdout, r.stderr)
}

// run runs the agent with args and returns when it exits or timeout
// passes; a command that hits the timeout is killed and reported.
func run(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	return runCmd(t, timeout, agentBin, args...)
}

// runCmd runs any program under a timeout and collects its output.
func runCmd(t testing.TB, timeout time.Duration, prog string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), dur: time.Since(start), cmd: cmd}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code = -1
		t.Errorf("%s %s: still running after %v; killed\n%s", filepath.Base(prog), strings.Join(args, " "), timeout, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		r.code = -2 // Errorf, not Fatalf: peers run in goroutines
		t.Errorf("%s %s: %v", filepath.Base(prog), strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs the agent and fails the test unless it exits 0.
func mustRun(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	r := run(t, timeout, args...)
	if r.code != 0 {
		t.Fatalf("murder-agent %s:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// runDir returns a fresh run directory (created by the agent itself, which
// insists on mode 0700) whose processes are stopped when the test ends.
func runDir(t testing.TB, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	t.Cleanup(func() { stopRunDir(t, dir) })
	return dir
}

// stopRunDir stops every detached process of dir, politely first.
func stopRunDir(t testing.TB, dir string) {
	if _, err := os.Stat(dir); err != nil {
		return
	}
	for _, kind := range []string{"peer", "seeder", "tracker"} {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		out, err := exec.CommandContext(ctx, agentBin, "stop", "--all", "--grace", "3s", "--run-dir", dir, kind).CombinedOutput()
		cancel()
		if err != nil {
			t.Logf("cleanup: stop --all %s in %s: %v: %s", kind, dir, err, out)
		}
	}
	killLeftovers(t, dir)
}

// killLeftovers SIGKILLs the processes still named by pid files in dir,
// when they are this test's agent binary.
func killLeftovers(t testing.TB, dir string) {
	pids, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, p := range pids {
		pid, start, err := readPid(p)
		if err != nil || !isOurAgent(pid, start) {
			continue
		}
		t.Logf("cleanup: killing leftover pid %d (%s)", pid, p)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// readPid parses the agent's pid file: "PID STARTTIME".
func readPid(path string) (pid int, start uint64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	_, err = fmt.Sscanf(string(b), "%d %d", &pid, &start)
	return pid, start, err
}

// procStat returns the state and start time of pid from /proc/PID/stat.
func procStat(pid int) (state string, start uint64, err error) {
	f, err := procFields(pid)
	if err != nil {
		return "", 0, err
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0], start, err
}

// procFields returns the fields of /proc/PID/stat after the command name,
// so that f[0] is field 3 (state) of proc(5).
func procFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return nil, errors.New("malformed /proc stat")
	}
	return f, nil
}

// running reports whether pid runs (a zombie has stopped running: orphaned
// workers are reparented to an init that may never reap them).
func running(pid int, start uint64) bool {
	state, st, err := procStat(pid)
	return err == nil && st == start && state != "Z" && state != "X"
}

// isOurAgent reports whether pid (started at start) runs this test's binary.
func isOurAgent(pid int, start uint64) bool {
	if !running(pid, start) {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && strings.TrimSuffix(exe, " (deleted)") == agentBin
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// randomFile writes size random bytes to path.
func randomFile(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// sameFile fails the test unless got holds exactly the bytes of want.
func sameFile(t testing.TB, want, got string) {
	t.Helper()
	a, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Errorf("downloaded file: %v", err)
		return
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s (%d bytes) differs from %s (%d bytes)", got, len(b), want, len(a))
	}
}

// loopback returns the announce IP 127.0.0.N.
func loopback(n int) string { return "127.0.0." + strconv.Itoa(n) }
