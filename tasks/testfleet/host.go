package testfleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Host is one test host of a fleet.
type Host struct {
	// Name is the host's name ("h01") and its hostname inside.
	Name string
	// IP is the host's IPv4 address.
	IP string
	// Netns is the name of the host's network namespace (ip netns).
	Netns string

	addr     netip.Addr
	veth     string // outer end of the veth pair, on the bridge
	dir      string // host's part of the work dir
	sshdPath string
	log      io.Writer

	// holderPid mirrors holder's pid without the lock, so Path and Exec
	// do not wait for a StartSSHD in progress.
	holderPid atomic.Int64

	mu     sync.Mutex // guards holder and sshd; held across sshd start/stop
	holder *proc      // "sleep infinity" owning the mount and UTS namespaces
	sshd   *proc
}

// HolderPid returns the pid of the process owning the host's namespaces;
// it lives until Close.
func (h *Host) HolderPid() int { return int(h.holderPid.Load()) }

// SSHDPid returns the pid of the host's sshd, or 0 if it is not running.
func (h *Host) SSHDPid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sshd == nil || h.sshd.exited() {
		return 0
	}
	return h.sshd.pid()
}

// Path returns the path under which the creating process sees file p of
// the host, whose /tmp is private. It goes through the holder rather than
// sshd so it stays valid while sshd is stopped.
func (h *Host) Path(p string) string {
	return path.Join("/proc", strconv.Itoa(h.HolderPid()), "root", p)
}

// Exec runs a command inside the host's network, mount and UTS namespaces
// and returns its stdout; errors carry its stderr.
func (h *Host) Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	pid := h.HolderPid()
	if pid == 0 {
		return nil, fmt.Errorf("host %s: exec %s: host is not running", h.Name, name)
	}
	argv := append([]string{"--target", strconv.Itoa(pid), "--net", "--mount", "--uts", "--", name}, args...)
	out, err := output(ctx, "nsenter", argv...)
	if err != nil {
		return out, fmt.Errorf("host %s: %w", h.Name, err)
	}
	return out, nil
}

// setup creates the host's namespaces and link and starts its sshd.
func (h *Host) setup(ctx context.Context, l lan, o Options) error {
	if err := h.createNet(ctx, l); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	if o.Rate != "" {
		if err := h.shape(ctx, o.Rate); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	if o.Congestion != "" {
		if err := h.setCongestion(ctx, o.Congestion); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	if err := h.startHolder(ctx, o.TmpSize); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	if err := h.StartSSHD(ctx); err != nil {
		return err
	}
	fmt.Fprintf(h.log, "testfleet: host %s up at %s (netns %s)\n", h.Name, h.IP, h.Netns)
	return nil
}

// createNet adds the network namespace and a veth pair between it and the
// bridge, with the fleet's other addresses as permanent neighbours.
// The inner end is created under a unique name and renamed to eth0 once
// inside, where it cannot clash.
func (h *Host) createNet(ctx context.Context, l lan) error {
	inner := h.veth + "p"
	if err := run(ctx, "ip", "netns", "add", h.Netns); err != nil {
		return err
	}
	if err := run(ctx, "ip", "link", "add", h.veth, "type", "veth", "peer", "name", inner, "address", macOf(h.addr), "netns", h.Netns); err != nil {
		return err
	}
	if err := run(ctx, "ip", "link", "set", h.veth, "master", l.bridge, "up"); err != nil {
		return err
	}
	batch := fmt.Sprintf("link set %s name eth0\naddr add %s/24 dev eth0\nlink set eth0 up\nlink set lo up\n", inner, h.IP) +
		neighBatch("eth0", h.addr, l.addrs)
	return runStdin(ctx, batch, "ip", "-n", h.Netns, "-batch", "-")
}

// startHolder starts the process that owns the host's private mount
// namespace (with a fresh tmpfs on /tmp and an empty home for root) and UTS
// namespace. sshd and Exec join it with nsenter, so the namespaces outlive
// any sshd restart.
//
// The empty home makes a host look like a fresh server: sshd runs every
// command through root's shell, and bash sources ~/.bashrc for ssh
// commands, so a developer's .bashrc (pyenv init forks ~30 processes) would
// otherwise run on every SSH command of every host and skew benchmarks.
func (h *Host) startHolder(ctx context.Context, tmpSize string) error {
	home := filepath.Join(h.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("start holder: %w", err)
	}
	// Size, name and paths go in as positional parameters, never spliced
	// into the script, so no quoting is needed.
	const script = `mount -t tmpfs -o "size=$1" tmpfs /tmp && mount --bind "$3" "$4" && echo "$2" > /proc/sys/kernel/hostname && exec sleep infinity`
	p, err := startProc(filepath.Join(h.dir, "holder.log"), "ip", "netns", "exec", h.Netns,
		"unshare", "--mount", "--uts", "--propagation", "private",
		"sh", "-c", script, "sh", tmpSize, h.Name, home, rootHome())
	if err != nil {
		return fmt.Errorf("start holder: %w", err)
	}
	h.mu.Lock()
	h.holder = p
	h.mu.Unlock()
	h.holderPid.Store(int64(p.pid()))
	// ip, unshare and sh each exec the next, so the pid ends up running
	// sleep exactly when the tmpfs and hostname are in place.
	return poll(ctx, 10*time.Second, func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("holder exited (%v): %s", p.err, p.output())
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.pid()))
		return string(comm) == "sleep\n", nil
	})
}

// rootHome is root's home directory, where sshd starts root's shell.
func rootHome() string {
	if u, err := user.Lookup("root"); err == nil && u.HomeDir != "" {
		return u.HomeDir
	}
	return "/root"
}

// StartSSHD starts the host's sshd inside its namespaces and waits until it
// accepts TCP connections. It is a no-op if sshd is running.
func (h *Host) StartSSHD(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sshd != nil && !h.sshd.exited() {
		return nil
	}
	if h.holder == nil || h.holder.exited() {
		return fmt.Errorf("host %s: start sshd: host is not running", h.Name)
	}
	p, err := startProc(filepath.Join(h.dir, "sshd.log"), "nsenter", "--target", strconv.Itoa(h.holder.pid()),
		"--net", "--mount", "--uts", "--", h.sshdPath, "-D", "-e", "-f", h.config())
	if err != nil {
		return fmt.Errorf("host %s: start sshd: %w", h.Name, err)
	}
	h.sshd = p
	err = poll(ctx, 15*time.Second, func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("sshd exited: %v", p.err)
		}
		c, err := net.DialTimeout("tcp", h.Addr(), 250*time.Millisecond)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	})
	if err != nil {
		err = fmt.Errorf("host %s: sshd on %s: %w (output: %q)", h.Name, h.Addr(), err, p.output())
		h.sshd = nil
		return errors.Join(err, p.stop(5*time.Second))
	}
	return nil
}

// StopSSHD terminates the host's sshd; sessions already open and processes
// they started keep running. It is a no-op if sshd is not running.
func (h *Host) StopSSHD() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sshd == nil {
		return nil
	}
	if err := h.sshd.stop(5 * time.Second); err != nil {
		return fmt.Errorf("host %s: stop sshd: %w", h.Name, err)
	}
	h.sshd = nil
	return nil
}

// Kill sends SIGKILL to every process of the host except the namespace
// holder, like a crash of everything running there. StartSSHD brings sshd
// back; /tmp survives.
func (h *Host) Kill() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := killNetns(h.Netns, h.holder.pid()); err != nil {
		return fmt.Errorf("host %s: kill: %w", h.Name, err)
	}
	if h.sshd != nil {
		if !h.sshd.wait(5 * time.Second) {
			return fmt.Errorf("host %s: kill: sshd pid %d did not exit", h.Name, h.sshd.pid())
		}
		h.sshd = nil
	}
	return nil
}

// LinkDown takes the host's link down: it becomes unreachable, as if its
// cable were pulled, while everything on it keeps running.
func (h *Host) LinkDown() error { return h.setLink("down") }

// LinkUp brings the host's link back up after LinkDown.
func (h *Host) LinkUp() error { return h.setLink("up") }

func (h *Host) setLink(state string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := run(ctx, "ip", "link", "set", h.veth, state); err != nil {
		return fmt.Errorf("host %s: link %s: %w", h.Name, state, err)
	}
	return nil
}

// teardown kills every process in the host's namespace and deletes the
// namespace and link; missing pieces are skipped, so it also cleans up
// half-created and stale hosts.
func (h *Host) teardown() error {
	var errs []error
	if _, err := os.Stat("/run/netns/" + h.Netns); err == nil {
		if err := killNetns(h.Netns, 0); err != nil {
			errs = append(errs, err)
		}
	}
	h.mu.Lock()
	for _, p := range []*proc{h.sshd, h.holder} {
		if p != nil && !p.wait(5*time.Second) {
			errs = append(errs, fmt.Errorf("pid %d did not exit", p.pid()))
		}
	}
	h.sshd, h.holder = nil, nil
	h.holderPid.Store(0)
	h.mu.Unlock()
	// The link goes first: deleting it removes its peer at once, while a
	// deleted namespace takes its interfaces down asynchronously.
	errs = append(errs, removeLinks(h.veth))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := os.Stat("/run/netns/" + h.Netns); err == nil {
		if err := run(ctx, "ip", "netns", "del", h.Netns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("host %s: teardown: %w", h.Name, err)
	}
	return nil
}

// removeLinks deletes the named links of the root namespace that exist.
func removeLinks(names ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, name := range names {
		if name == "" {
			continue
		}
		if _, err := os.Stat("/sys/class/net/" + name); err != nil {
			continue
		}
		err := run(ctx, "ip", "link", "del", name)
		if _, serr := os.Stat("/sys/class/net/" + name); err != nil && serr == nil {
			errs = append(errs, err) // still there; gone means deleted meanwhile
		}
	}
	return errors.Join(errs...)
}

// killNetns SIGKILLs every process in network namespace ns except pid
// except, until none is left; forks racing the kill are caught by the next
// round.
func killNetns(ns string, except int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := output(context.Background(), "ip", "netns", "pids", ns)
		if err != nil {
			return err
		}
		var left []int
		for _, f := range splitFields(out) {
			if pid, err := strconv.Atoi(f); err == nil && pid != except {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("netns %s: processes %v survive SIGKILL", ns, left)
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL) // ESRCH: already gone
		}
		time.Sleep(20 * time.Millisecond)
	}
}
