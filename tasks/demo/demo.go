// Package demo is murder's embedded default: a throwaway fleet of local
// hosts (in-process SSH servers on loopback addresses, each with its own
// directories) on which the manual sequence of the original README runs
// for real, then every copy is verified. It needs neither root nor sshd.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/localfleet"
	"github.com/murderfleet/murder/tasks/murder"
	"github.com/murderfleet/murder/tasks/treecmp"
)

// Options configure a demo run.
type Options struct {
	Stdout io.Writer
	Hosts  int    // default 8: a tracker, a seeder and 6 peers
	Dir    string // default: a new temporary directory
	Keep   bool   // keep the directory afterwards, to look around
}

// Tag names the demo's transfer.
const Tag = "Demo1"

// Run starts the fleet, runs the sequence, verifies every peer's copy and
// removes everything it made.
func Run(ctx context.Context, o Options) (err error) {
	if o.Hosts == 0 {
		o.Hosts = 8
	}
	if o.Hosts < 3 {
		return fmt.Errorf("the demo needs at least 3 hosts, got %d", o.Hosts)
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "murder-demo-"); err != nil {
			return err
		}
	}
	if !o.Keep {
		defer os.RemoveAll(o.Dir)
	}
	out := o.Stdout
	fleet, err := localfleet.Start(ctx, localfleet.Options{Hosts: o.Hosts, Dir: filepath.Join(o.Dir, "hosts")})
	if err != nil {
		return fmt.Errorf("starting the local fleet: %w", err)
	}
	defer fleet.Close()
	d := &run{o: o, out: out, fleet: fleet, hosts: fleet.Hosts()}
	if err := d.setup(); err != nil {
		return err
	}
	defer d.stopAll()
	fmt.Fprintf(out, "murder demo: %d local hosts on 127.0.0.2-%s, tracker %s, seeder %s, peers %s..%s; files in %s\n",
		len(d.hosts), d.hosts[len(d.hosts)-1].IP, d.hosts[0].Name, d.hosts[1].Name, d.hosts[2].Name, d.hosts[len(d.hosts)-1].Name, o.Dir)
	if err := d.sequence(ctx); err != nil {
		return err
	}
	return d.verify()
}

type run struct {
	o      Options
	out    io.Writer
	fleet  *localfleet.Fleet
	hosts  []localfleet.Host
	cfg    *roles.Config
	agents murder.AgentBuilder
	sample string
}

// sequence is the manual usage of the original README.
func (d *run) sequence(ctx context.Context) error {
	steps := []struct {
		task  string
		words []string
	}{
		{"murder:distribute_files", nil},
		{"murder:start_tracker", nil},
		{"murder:create_torrent", []string{"tag=" + Tag, "files_path=" + d.sample}},
		{"murder:start_seeding", []string{"tag=" + Tag}},
		{"murder:peer", []string{"tag=" + Tag}},
		{"murder:stop_seeding", []string{"tag=" + Tag}},
		{"murder:stop_tracker", nil},
	}
	for _, s := range steps {
		fmt.Fprintf(d.out, "\n$ go tool mage %s %s\n", s.task, strings.Join(s.words, " "))
		if err := d.task(ctx, s.task, s.words...); err != nil {
			return fmt.Errorf("%s: %w", s.task, err)
		}
	}
	return nil
}

func (d *run) task(ctx context.Context, name string, words ...string) error {
	return tasks.Run(murder.WithAgents(ctx, d.agents), name, words, tasks.Options{Stdout: d.out, Config: d.cfg, Getenv: func(string) string { return "" }})
}

// verify compares every peer's copy with the sample, byte for byte.
func (d *run) verify() error {
	var errs []error
	for _, h := range d.peers() {
		got := filepath.Join(h.Dir, "dest", Tag)
		if err := treecmp.Equal(d.sample, got, isGit); err != nil {
			errs = append(errs, fmt.Errorf("host %s: %s differs from the sample:\n%w", h.Name, got, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nverified: all %d peers hold %s byte-identical to %s (modes and symlinks included)\n", len(d.peers()), filepath.Join("dest", Tag), d.sample)
	return nil
}

func (d *run) peers() []localfleet.Host { return d.hosts[2:] }

// stopAll stops whatever the demo left running (peers seed 30 s after
// they finish), even when a step failed.
func (d *run) stopAll() {
	ctx := murder.WithAgents(context.Background(), d.agents)
	for _, t := range []string{"murder:stop_all_peering", "murder:stop_all_seeding", "murder:stop_tracker"} {
		_ = tasks.Run(ctx, t, nil, tasks.Options{Stdout: io.Discard, Config: d.cfg, Getenv: func(string) string { return "" }})
	}
}

func isGit(name string) bool { return strings.HasPrefix(name, ".git") }

// freePort asks the kernel for a free TCP port on ip.
func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func randomFile(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, rand.Reader, n)
	return errors.Join(err, f.Close())
}
