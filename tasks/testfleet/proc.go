package testfleet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a long-running child process (namespace holder or sshd).
type proc struct {
	cmd  *exec.Cmd
	log  string // file receiving the process's stdout and stderr
	done chan struct{}
	err  error // exit status, valid once done is closed
}

// startProc starts a long-running command with its output appended to
// logPath. A file rather than a pipe: sshd's per-connection children
// inherit stderr, and a pipe would keep Wait from returning until the last
// of them exits. The process is not tied to a context: it lives until
// stopped, killed, or until this process dies (Pdeathsig).
func startProc(logPath, name string, args ...string) (*proc, error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer out.Close() // the child has its own copy
	p := &proc{log: logPath, done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// Kill the process if the creator dies, so a crashed test leaves at
	// most namespaces and files behind for CleanupStale, not daemons.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// output returns the last few KiB the process wrote, enough to explain why
// it died.
func (p *proc) output() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", p.log, err)
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(bytes.TrimSpace(b))
}

// pid returns the process id, 0 for a nil proc.
func (p *proc) pid() int {
	if p == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait reports whether the process exited within d.
func (p *proc) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// stop sends SIGTERM and, if the process has not exited after grace,
// SIGKILL.
func (p *proc) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM) // fails only if already exited
	if p.wait(grace) {
		return nil
	}
	_ = p.cmd.Process.Kill()
	if p.wait(grace) {
		return nil
	}
	return fmt.Errorf("pid %d survives SIGKILL", p.pid())
}

// run runs a short command; its error carries the command line and stderr.
func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) ([]byte, error) {
	return runCmd(exec.CommandContext(ctx, name, args...))
}

func runStdin(ctx context.Context, stdin, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	_, err := runCmd(cmd)
	return err
}

func runCmd(cmd *exec.Cmd) ([]byte, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// poll calls ready every 20ms until it returns true or an error, ctx ends
// or limit passes.
func poll(ctx context.Context, limit time.Duration, ready func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := ready()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func splitFields(b []byte) []string { return strings.Fields(string(b)) }

// syncWriter serializes writes from the hosts' goroutines to one log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
