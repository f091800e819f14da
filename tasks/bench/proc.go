package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// proc is a long-running program in a host's namespaces (a tracker, a
// seeder, a peer), started without waiting for it.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid once done is closed
}

// startIn starts argv inside h's network, mount and UTS namespaces, with
// output appended to logPath and env added to this process's environment.
// nsenter execs argv without forking, so the pid is the program's own.
func startIn(h *testfleet.Host, logPath string, env []string, argv ...string) (*proc, error) {
	pid := h.HolderPid()
	if pid == 0 {
		return nil, fmt.Errorf("host %s: start %s: host is not running", h.Name, argv[0])
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("host %s: start %s: %w", h.Name, argv[0], err)
	}
	defer logf.Close() // the child has its own copy
	args := append([]string{"--target", strconv.Itoa(pid), "--net", "--mount", "--uts", "--"}, argv...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	// A process group of its own: ^C on the terminal reaches only the
	// driver, which then stops everything in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("host %s: start %s: %w", h.Name, argv[0], err)
	}
	p := &proc{name: h.Name + " " + argv[0], cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the program has ended, and how.
func (p *proc) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop asks the program to end (SIGTERM, so a BitTorrent client says
// goodbye to its tracker), then kills its process group: the program if
// it did not end within grace, and whatever it started and left running
// (aria2c's download hooks).
func (p *proc) stop(grace time.Duration) error {
	group := -p.cmd.Process.Pid
	if done, _ := p.exited(); !done {
		_ = syscall.Kill(group, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	_ = syscall.Kill(group, syscall.SIGKILL) // ESRCH: nothing left
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) survives SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// stopAll stops every program at once and reports every failure.
func stopAll(ps []*proc, grace time.Duration) error {
	errs := make(chan error, len(ps))
	for _, p := range ps {
		go func() { errs <- p.stop(grace) }()
	}
	var all []error
	for range ps {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}
