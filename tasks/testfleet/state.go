package testfleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// stateDir holds one state file per live fleet plus the lock that makes
// subnet choice atomic across processes. /run is a tmpfs, so a reboot,
// which also drops every namespace and link, clears it too.
const stateDir = "/run/testfleet"

// state records what a fleet creates, written before anything is created,
// so CleanupStale can undo it once the creating process is gone.
type state struct {
	Pid     int      `json:"pid"`
	Start   uint64   `json:"start"` // creator's start time, guards against pid reuse
	Prefix  string   `json:"prefix"`
	Bridge  string   `json:"bridge"`
	WorkDir string   `json:"workdir"`
	Netns   []string `json:"netns"`
	Veths   []string `json:"veths"`
}

func statePath(id string) string { return filepath.Join(stateDir, id+".json") }

func checkPrefix(p string) error {
	// Letters only: the subnet octet follows the prefix in every name, so a
	// trailing digit would make "ab1"+"23" and "ab"+"123" collide.
	if len(p) > 6 || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz") != "" {
		return fmt.Errorf("testfleet: prefix %q: want 1-6 lowercase letters", p)
	}
	return nil
}

// withLock runs fn while holding an exclusive lock shared by every process
// using this package; the kernel drops it if the process dies.
func withLock(fn func() error) error {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return fmt.Errorf("testfleet: state dir: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("testfleet: lock: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("testfleet: lock: %w", err)
	}
	return fn()
}

// reserve picks a free subnet, records the fleet's state and creates the
// bridge holding the gateway address, all under the lock so that two
// fleets never pick the same subnet.
func (f *Fleet) reserve(ctx context.Context, o Options) error {
	return withLock(func() error {
		if err := cleanupStale(o.Prefix, o.Log); err != nil {
			f.logf("stale cleanup: %v", err)
		}
		n, err := pickOctet()
		if err != nil {
			return err
		}
		f.ID = o.Prefix + strconv.Itoa(n)
		f.Subnet = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 213, byte(n), 0}), 24)
		f.Gateway = netip.AddrFrom4([4]byte{10, 213, byte(n), 254})
		f.bridge = f.ID + "br"
		if f.dir, err = os.MkdirTemp(o.WorkDir, "testfleet-"+f.ID+"-"); err != nil {
			return fmt.Errorf("fleet %s: work dir: %w", f.ID, err)
		}
		st := f.plan(o)
		if err := st.write(statePath(f.ID)); err != nil {
			return fmt.Errorf("fleet %s: %w", f.ID, err)
		}
		return f.createBridge(ctx)
	})
}

// plan fills in the hosts and returns the state describing them.
func (f *Fleet) plan(o Options) state {
	st := state{Pid: os.Getpid(), Start: procStart(os.Getpid()), Prefix: o.Prefix,
		Bridge: f.bridge, WorkDir: f.dir}
	for i := 1; i <= o.Hosts; i++ {
		name := fmt.Sprintf("h%02d", i)
		addr := netip.AddrFrom4([4]byte{10, 213, f.Subnet.Addr().As4()[2], byte(i)})
		h := &Host{
			Name:     name,
			IP:       addr.String(),
			addr:     addr,
			Netns:    f.ID + "-" + name,
			veth:     f.ID + name,
			dir:      filepath.Join(f.dir, name),
			log:      f.log,
			sshdPath: o.SSHD,
		}
		f.Hosts = append(f.Hosts, h)
		st.Netns = append(st.Netns, h.Netns)
		st.Veths = append(st.Veths, h.veth)
	}
	return st
}

func (f *Fleet) createBridge(ctx context.Context) error {
	gw := netip.PrefixFrom(f.Gateway, 24).String()
	// A fixed MAC: a bridge otherwise takes the lowest of its ports' MACs,
	// which changes as hosts join, and the hosts know it as a permanent
	// neighbour (see neigh.go).
	if err := run(ctx, "ip", "link", "add", f.bridge, "address", macOf(f.Gateway), "type", "bridge"); err != nil {
		return fmt.Errorf("fleet %s: %w", f.ID, err)
	}
	if err := run(ctx, "ip", "addr", "add", gw, "dev", f.bridge); err != nil {
		return fmt.Errorf("fleet %s: %w", f.ID, err)
	}
	if err := run(ctx, "ip", "link", "set", f.bridge, "up"); err != nil {
		return fmt.Errorf("fleet %s: %w", f.ID, err)
	}
	// The gateway's side of neigh.go: every host a permanent neighbour.
	if err := runStdin(ctx, neighBatch(f.bridge, f.Gateway, f.lan().addrs), "ip", "-batch", "-"); err != nil {
		return fmt.Errorf("fleet %s: %w", f.ID, err)
	}
	return nil
}

// pickOctet returns a third octet n such that 10.213.n.0/24 overlaps no
// address of the root namespace and no other fleet's state file. Starting
// from the pid spreads concurrent test binaries apart.
func pickOctet() (int, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return 0, fmt.Errorf("testfleet: list addresses: %w", err)
	}
	used := map[int]bool{}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip4 := ipn.IP.To4(); ip4 != nil && ip4[0] == 10 && ip4[1] == 213 {
				used[int(ip4[2])] = true
			}
		}
	}
	ents, _ := os.ReadDir(stateDir)
	for _, e := range ents {
		id := strings.TrimSuffix(e.Name(), ".json")
		if n, err := strconv.Atoi(strings.TrimLeft(id, "abcdefghijklmnopqrstuvwxyz")); err == nil {
			used[n] = true
		}
	}
	start := os.Getpid() % 250
	for i := range 250 {
		n := (start+i)%250 + 1
		if !used[n] {
			return n, nil
		}
	}
	return 0, errors.New("testfleet: no free subnet in 10.213.0.0/16")
}

func (s state) write(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// procStart returns the start time of process pid in clock ticks since
// boot, or 0 if it does not exist.
func procStart(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces and parentheses; fields resume
	// after the last ')'. starttime is field 22, i.e. the 20th after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(fields[19], 10, 64)
	return v
}

// CleanupStale removes what earlier fleets with the given prefix left
// behind when their creating process died without Close: processes,
// namespaces, links, work dirs and state files. An empty prefix matches
// every fleet. Fleets whose creator still runs are left alone.
func CleanupStale(prefix string) error {
	return withLock(func() error { return cleanupStale(prefix, nil) })
}

func cleanupStale(prefix string, log io.Writer) error {
	ents, err := os.ReadDir(stateDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("testfleet: read state dir: %w", err)
	}
	var errs []error
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(stateDir, e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("fleet %s: read state: %w", id, err))
			continue
		}
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			errs = append(errs, fmt.Errorf("fleet %s: decode state: %w", id, err))
			continue
		}
		if (prefix != "" && st.Prefix != prefix) || st.creatorAlive() {
			continue
		}
		if log != nil {
			fmt.Fprintf(log, "testfleet: removing stale fleet %s of dead pid %d\n", id, st.Pid)
		}
		errs = append(errs, st.remove(id))
	}
	return errors.Join(errs...)
}

// creatorAlive reports whether the process that wrote s still runs.
func (s state) creatorAlive() bool {
	start := procStart(s.Pid)
	return start != 0 && (s.Start == 0 || start == s.Start)
}

// remove undoes everything a state file describes.
func (s state) remove(id string) error {
	f := &Fleet{ID: id, dir: s.WorkDir, bridge: s.Bridge}
	for i, ns := range s.Netns {
		h := &Host{Name: ns, Netns: ns}
		if i < len(s.Veths) {
			h.veth = s.Veths[i]
		}
		f.Hosts = append(f.Hosts, h)
	}
	return f.Close()
}
