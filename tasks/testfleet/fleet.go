// Package testfleet builds a fleet of throw-away test hosts on the local
// machine, each one reachable over real OpenSSH with checked host keys.
//
// Every host is a network namespace joined to a private bridge by a veth
// pair, with its own IPv4 address in a /24 chosen per fleet (every other
// address of the fleet a permanent neighbour: no ARP), its own UTS
// namespace (hostname = host name), a private mount namespace with a fresh
// tmpfs on /tmp and an empty home for root, and its own sshd. A tiny
// "sleep infinity" holder process owns the namespaces so sshd can be
// stopped, killed and restarted without losing the host's /tmp.
//
// The package needs root, iproute2, util-linux (unshare, nsenter) and
// /usr/sbin/sshd. The core API does not depend on package testing so that
// benchmarks and tools can use it; ForTest wraps it for tests.
package testfleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sync/errgroup"
)

// MaxHosts is the largest fleet: one /24 minus the network, broadcast and
// gateway addresses.
const MaxHosts = 253

// Options configures Create. Zero values pick sensible defaults.
type Options struct {
	// Hosts is the number of hosts (1..MaxHosts).
	Hosts int
	// Prefix starts every namespace, interface and state file name of the
	// fleet; lowercase letters only, at most 6 of them (interface names are
	// limited to 15 bytes). Default "mf".
	Prefix string
	// TmpSize is the size of each host's private /tmp tmpfs, in mount(8)
	// syntax. Default "256m".
	TmpSize string
	// Rate optionally shapes every host link to this rate in tc(8) syntax
	// ("100mbit", "1gbit"), in both directions.
	Rate string
	// Congestion sets every host's TCP congestion control
	// (net.ipv4.tcp_congestion_control in its namespace), one of the
	// machine's tcp_available_congestion_control. Default: what a new
	// namespace inherits, the machine's own.
	Congestion string
	// WorkDir is the parent directory of the fleet's work dir (keys, sshd
	// configs). It must not be under /tmp, which every host replaces by its
	// own tmpfs. Default /var/tmp.
	WorkDir string
	// SSHD is the sshd binary. Default /usr/sbin/sshd.
	SSHD string
	// Log receives progress lines; nil discards them. Each host's sshd
	// output goes to sshd.log in its part of the work dir.
	Log io.Writer
}

// Fleet is a set of running test hosts. Close removes all of it.
type Fleet struct {
	// ID names the fleet: Prefix followed by the subnet's third octet.
	ID string
	// Subnet is the fleet's private /24.
	Subnet netip.Prefix
	// Gateway is the bridge address in the root namespace, the source
	// address of connections from the creating process.
	Gateway netip.Addr
	// Hosts are the fleet's hosts, named h01, h02, ...
	Hosts []*Host

	dir    string
	bridge string
	log    io.Writer

	closeMu sync.Mutex
	closed  bool
}

// Dir returns the fleet's work dir, removed by Close.
func (f *Fleet) Dir() string { return f.dir }

// IdentityFile returns the path of the client private key (OpenSSH format,
// mode 0600) that every host authorizes for root.
func (f *Fleet) IdentityFile() string { return filepath.Join(f.dir, "id_ed25519") }

// KnownHostsFile returns the path of a known_hosts file listing every host's
// address with its host key.
func (f *Fleet) KnownHostsFile() string { return filepath.Join(f.dir, "known_hosts") }

// Host returns the host with the given name, or nil.
func (f *Fleet) Host(name string) *Host {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// ClientConfig returns an SSH client config for user that authenticates
// with the fleet's identity and checks host keys strictly against the
// fleet's known_hosts file.
func (f *Fleet) ClientConfig(user string) (*ssh.ClientConfig, error) {
	key, err := os.ReadFile(f.IdentityFile())
	if err != nil {
		return nil, fmt.Errorf("fleet %s: read identity: %w", f.ID, err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: parse identity: %w", f.ID, err)
	}
	check, err := knownhosts.New(f.KnownHostsFile())
	if err != nil {
		return nil, fmt.Errorf("fleet %s: load known_hosts: %w", f.ID, err)
	}
	return &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   check,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
	}, nil
}

// Create builds a fleet of o.Hosts hosts and waits until every sshd accepts
// connections. On failure everything already created is removed again.
// ctx bounds the setup only; the hosts live until Close.
func Create(ctx context.Context, o Options) (*Fleet, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := Check(o); err != nil {
		return nil, err
	}
	f := &Fleet{log: &syncWriter{w: o.Log}}
	if err := f.reserve(ctx, o); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := f.build(ctx, o); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	f.logf("fleet %s: %d hosts up in %s", f.ID, len(f.Hosts), f.Subnet)
	return f, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = "mf"
	}
	if o.TmpSize == "" {
		o.TmpSize = "256m"
	}
	if o.WorkDir == "" {
		o.WorkDir = "/var/tmp"
	}
	if o.SSHD == "" {
		o.SSHD = "/usr/sbin/sshd"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Hosts < 1 || o.Hosts > MaxHosts {
		return o, fmt.Errorf("testfleet: %d hosts requested, want 1..%d", o.Hosts, MaxHosts)
	}
	if err := checkPrefix(o.Prefix); err != nil {
		return o, err
	}
	if o.Rate != "" {
		if _, err := parseRate(o.Rate); err != nil {
			return o, err
		}
	}
	if err := CheckCongestion(o.Congestion); err != nil {
		return o, err
	}
	dir, err := filepath.Abs(o.WorkDir)
	if err != nil {
		return o, fmt.Errorf("testfleet: work dir: %w", err)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if dir == "/tmp" || len(dir) > 5 && dir[:5] == "/tmp/" {
		return o, fmt.Errorf("testfleet: work dir %s is under /tmp, which the hosts cannot see", dir)
	}
	o.WorkDir = dir
	return o, nil
}

// build generates the keys and brings up every host.
func (f *Fleet) build(ctx context.Context, o Options) error {
	if err := f.writeKeys(); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	// Each host runs a handful of short ip(8) calls; a few in parallel
	// keep large fleets fast without flooding a small machine.
	g.SetLimit(8)
	l := f.lan()
	for _, h := range f.Hosts {
		g.Go(func() error { return h.setup(gctx, l, o) })
	}
	return g.Wait()
}

// Close kills every process in the fleet's namespaces and deletes the
// namespaces, links, bridge, work dir and state file. It is idempotent and
// reports all errors it met.
func (f *Fleet) Close() error {
	f.closeMu.Lock()
	defer f.closeMu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, h := range f.Hosts {
		wg.Go(func() {
			if err := h.teardown(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	errs = append(errs, removeLinks(f.bridge), f.removeFiles())
	return errors.Join(errs...)
}

// removeFiles deletes the work dir and then the state file, which must go
// last so that a crash in between still leaves CleanupStale a record.
func (f *Fleet) removeFiles() error {
	var errs []error
	if f.dir != "" {
		if err := os.RemoveAll(f.dir); err != nil {
			errs = append(errs, fmt.Errorf("fleet %s: remove work dir: %w", f.ID, err))
		}
	}
	if f.ID != "" {
		if err := os.Remove(statePath(f.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("fleet %s: remove state: %w", f.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (f *Fleet) logf(format string, args ...any) {
	if f.log != nil {
		fmt.Fprintf(f.log, "testfleet: "+format+"\n", args...)
	}
}

// Addr returns the host's SSH address, "IP:22".
func (h *Host) Addr() string { return net.JoinHostPort(h.IP, "22") }
