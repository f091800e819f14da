package localfleet

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// process is a command started for an exec request. It leads its own
// process group, so the whole group can be signalled or killed without
// touching processes that detached themselves with setsid.
type process struct {
	cmd *exec.Cmd
	// Our ends of the command's stdin, stdout and stderr pipes. Plain
	// os.Pipe files rather than exec's copying goroutines, so that we,
	// not exec.Cmd.Wait, decide when to stop waiting for output, and can
	// unblock the copies by closing these.
	stdin, stdout, stderr *os.File

	mu     sync.Mutex
	reaped bool // Wait returned: the pgid may no longer be ours to signal
}

// startProcess runs command with /bin/sh -c in host h's directory.
func startProcess(h Host, command string) (*process, error) {
	var ours, theirs [3]*os.File
	for i := range ours {
		r, w, err := os.Pipe()
		if err != nil {
			closeFiles(ours[:]...)
			closeFiles(theirs[:]...)
			return nil, fmt.Errorf("pipe: %w", err)
		}
		if i == 0 {
			theirs[i], ours[i] = r, w
		} else {
			ours[i], theirs[i] = r, w
		}
	}
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = h.Dir
	// exec.Cmd keeps the last of duplicate keys, so these override.
	// MURDER_ANNOUNCE_IP makes the agent announce the host's own loopback
	// address: the route to any 127/8 address starts at 127.0.0.1.
	cmd.Env = append(os.Environ(), "HOME="+h.Dir, "MURDER_LOCALFLEET_HOST="+h.Name, "MURDER_ANNOUNCE_IP="+h.IP)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = theirs[0], theirs[1], theirs[2]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := cmd.Start()
	// The command has its own copies now; ours would keep the pipes from
	// ever reaching EOF.
	closeFiles(theirs[:]...)
	if err != nil {
		closeFiles(ours[:]...)
		return nil, err
	}
	return &process{cmd: cmd, stdin: ours[0], stdout: ours[1], stderr: ours[2]}, nil
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			_ = f.Close()
		}
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// serve copies between the channel and the command, waits for it to exit
// and its output to drain, reports the exit status and closes the channel.
func (p *process) serve(h *host, ch ssh.Channel) {
	h.spawn(func() {
		_, _ = io.Copy(p.stdin, ch)
		_ = p.stdin.Close() // the client's EOF becomes the command's
	})
	var out sync.WaitGroup
	for _, c := range []struct {
		w io.Writer
		r *os.File
	}{{ch, p.stdout}, {ch.Stderr(), p.stderr}} {
		out.Add(1)
		h.spawn(func() {
			defer out.Done()
			_, _ = io.Copy(c.w, c.r)
			_ = c.r.Close()
		})
	}
	// Like sshd, end the session at EOF on the output, which may come
	// after the shell's exit if children still hold the pipes; abort cuts
	// this short when the client goes away. Reap the shell only then: as
	// an unreaped zombie it keeps its pid, which is the group id, from
	// being reused, so abort and signal can safely target the group until
	// the session ends.
	out.Wait()
	if err := p.cmd.Wait(); p.cmd.ProcessState == nil {
		h.log.Printf("%s: pid %d: wait: %v", h.Name, p.pid(), err)
	}
	p.mu.Lock()
	p.reaped = true
	p.mu.Unlock()
	ex := exitOf(p.cmd.ProcessState)
	h.log.Printf("%s: pid %d: %s", h.Name, p.pid(), ex)
	_ = ch.CloseWrite()
	sendExit(ch, ex)
	_ = ch.Close()
}

// abort kills the command's process group, unless the session already
// ended, and closes the pipes, so that serve ends even if a detached child
// still holds them. Children that called setsid have left the group and
// survive.
func (p *process) abort() {
	p.mu.Lock()
	if !p.reaped {
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	}
	p.mu.Unlock()
	closeFiles(p.stdin, p.stdout, p.stderr)
}

// signal sends sig to the command's process group, reporting whether it
// was delivered.
func (p *process) signal(sig syscall.Signal) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.reaped && syscall.Kill(-p.pid(), sig) == nil
}

// sshSignal returns the signal an SSH "signal" request names ("TERM"),
// or false for names this system does not know.
func sshSignal(name string) (syscall.Signal, bool) {
	if name == "" || strings.HasPrefix(name, "SIG") {
		return 0, false
	}
	sig := unix.SignalNum("SIG" + name)
	return sig, sig != 0
}

// exit is how a command ended: an exit status, or a signal name as SSH
// spells it ("KILL").
type exit struct {
	status int
	signal string
	core   bool
}

func (e exit) String() string {
	if e.signal != "" {
		return "killed by SIG" + e.signal
	}
	return fmt.Sprintf("exit status %d", e.status)
}

func exitOf(ps *os.ProcessState) exit {
	if ps == nil { // Wait failed without reaping: should not happen
		return exit{status: 255}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		if name := strings.TrimPrefix(unix.SignalName(ws.Signal()), "SIG"); name != "" {
			return exit{signal: name, core: ws.CoreDump()}
		}
		return exit{status: 128 + int(ws.Signal())} // as a shell reports it
	}
	return exit{status: ps.ExitCode()}
}

// sendExit sends the "exit-status" or "exit-signal" request (RFC 4254
// section 6.10). Errors mean the client is gone and cannot be told.
func sendExit(ch ssh.Channel, e exit) {
	if e.signal != "" {
		_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
			Signal     string
			CoreDumped bool
			Error      string
			Lang       string
		}{Signal: e.signal, CoreDumped: e.core}))
		return
	}
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(e.status)}))
}
