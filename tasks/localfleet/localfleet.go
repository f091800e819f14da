// Package localfleet runs a throwaway fleet of in-process SSH servers on
// loopback addresses, so murder's whole deploy sequence can run on one
// machine without root, sshd or containers.
//
// Host i (0-based) listens on 127.0.0.(i+2): Linux routes all of
// 127.0.0.0/8 to the loopback interface, so every host gets its own address
// and a normal user can bind it. Each host owns a directory <Dir>/<name>
// that becomes the working directory and HOME of the commands it runs; the
// servers do not chroot, so isolation between hosts comes only from the
// per-host paths the caller configures.
//
// The fleet writes <Dir>/known_hosts and the client identity
// <Dir>/id_ed25519, so any SSH client (x/crypto/ssh, goph, OpenSSH) can
// connect with strict host key checking. The servers accept only that
// identity, under any user name, and run commands as the current user.
package localfleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync"
)

// MaxHosts is the largest fleet: host addresses run from 127.0.0.2 to
// 127.0.0.254.
const MaxHosts = 253

// Options configure a fleet.
type Options struct {
	// Hosts is the number of hosts, 1..MaxHosts.
	Hosts int
	// Dir holds the host directories, known_hosts and the client identity.
	// It is created if missing.
	Dir string
	// Port is the port every host listens on (each on its own address);
	// 0 lets the kernel choose a free port per host.
	Port int
	// Log receives one line per connection, command and failure; nil
	// discards them.
	Log io.Writer
}

// Host describes one host of the fleet.
type Host struct {
	// Name is the host's short name, "w01" for host 0.
	Name string
	// Addr is IP:Port, as given to an SSH client.
	Addr string
	// IP is the host's loopback address, "127.0.0.2" for host 0.
	IP string
	// Port is the TCP port the host listens on.
	Port int
	// Dir is the host's directory: the working directory and HOME of its
	// commands.
	Dir string
}

// Fleet is a running set of SSH servers. Its methods are safe for
// concurrent use.
type Fleet struct {
	dir   string
	hosts []*host

	// mu serialises the lifecycle operations (Stop, Restart, Close) so a
	// Restart cannot revive a host while Close is taking the fleet down.
	mu     sync.Mutex
	closed bool

	stopWatch func() bool // cancels the ctx watch set up by Start; under mu
	closeOnce sync.Once
}

// Start starts a fleet of o.Hosts SSH servers and writes its known_hosts
// and client identity. The fleet runs until Close is called or ctx is done.
// On failure, whatever was started is stopped again.
func Start(ctx context.Context, o Options) (*Fleet, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("localfleet: start: %w", err)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("localfleet: dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localfleet: %w", err)
	}
	w := o.Log
	if w == nil {
		w = io.Discard
	}
	logger := log.New(w, "localfleet: ", log.Ltime|log.Lmicroseconds)

	clientPub, err := writeIdentity(filepath.Join(dir, identityFile))
	if err != nil {
		return nil, fmt.Errorf("localfleet: %w", err)
	}
	acquireDefaultSignals() // released by Close
	f := &Fleet{dir: dir}
	for i := range o.Hosts {
		h, err := newHost(i, dir, o.Port, clientPub, logger)
		if err == nil {
			f.hosts = append(f.hosts, h)
			err = h.start(ctx)
		}
		if err != nil {
			return nil, errors.Join(err, f.Close())
		}
	}
	if err := writeKnownHosts(f.KnownHostsPath(), f.hosts); err != nil {
		return nil, errors.Join(fmt.Errorf("localfleet: %w", err), f.Close())
	}
	// Under f.mu: if ctx is already done, the func runs (and reads
	// stopWatch in Close) before AfterFunc returns.
	f.mu.Lock()
	f.stopWatch = context.AfterFunc(ctx, func() { _ = f.Close() })
	f.mu.Unlock()
	return f, nil
}

func (o Options) validate() error {
	switch {
	case o.Hosts < 1 || o.Hosts > MaxHosts:
		return fmt.Errorf("localfleet: %d hosts: want 1..%d", o.Hosts, MaxHosts)
	case o.Dir == "":
		return errors.New("localfleet: no Dir")
	case o.Port < 0 || o.Port > 65535:
		return fmt.Errorf("localfleet: port %d out of range", o.Port)
	}
	return nil
}

// Hosts returns the fleet's hosts in order. Addresses stay the same across
// Stop and Restart.
func (f *Fleet) Hosts() []Host {
	hs := make([]Host, len(f.hosts))
	for i, h := range f.hosts {
		hs[i] = h.Host
	}
	return hs
}

// KnownHostsPath returns the path of the known_hosts file listing every
// host's key as [IP]:Port.
func (f *Fleet) KnownHostsPath() string { return filepath.Join(f.dir, "known_hosts") }

// IdentityPath returns the path of the client private key (OpenSSH format,
// mode 0600), the only key the hosts accept. Its public half is next to it
// with a ".pub" suffix.
func (f *Fleet) IdentityPath() string { return filepath.Join(f.dir, identityFile) }

// Stop takes host i down, as if it crashed: its listener is closed, its
// connections dropped and the commands they run killed. Stop returns once
// all of the host's goroutines have ended. Stopping a stopped host is a
// no-op.
func (f *Fleet) Stop(i int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.host(i)
	if err != nil {
		return err
	}
	h.stop()
	return nil
}

// Restart stops host i if it is running and starts it again on the same
// address, with the same host key.
func (f *Fleet) Restart(ctx context.Context, i int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("localfleet: restart: fleet closed")
	}
	h, err := f.host(i)
	if err != nil {
		return err
	}
	h.stop()
	return h.start(ctx)
}

func (f *Fleet) host(i int) (*host, error) {
	if i < 0 || i >= len(f.hosts) {
		return nil, fmt.Errorf("localfleet: no host %d in a fleet of %d", i, len(f.hosts))
	}
	return f.hosts[i], nil
}

// Close stops every host: listeners and connections are closed, running
// commands are killed (except those that detached into their own session)
// and all goroutines have ended when it returns. Files in Dir are left for
// the caller to remove. Close may be called more than once; it always
// returns nil and has an error result to satisfy io.Closer.
func (f *Fleet) Close() error {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.stopWatch != nil {
			f.stopWatch()
		}
		f.closed = true
		for _, h := range f.hosts {
			h.stop()
		}
		releaseDefaultSignals()
	})
	return nil
}
