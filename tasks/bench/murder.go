package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/murder"
	"github.com/murderfleet/murder/tasks/testfleet"
)

// murderMethod drives murder's own targets through tasks.Run, as
// `go tool mage murder:...` would, with the tracker and the seeder on
// hosts of their own.
type murderMethod struct {
	b      *bench
	agents *murder.GoBuilder
	local  string        // this machine's temp_path
	cfg    *roles.Config // the current transfer's murder.yaml
}

// newMurder installs the agent on every host and starts the tracker.
func newMurder(ctx context.Context, b *bench) (*murderMethod, error) {
	m := &murderMethod{
		b:      b,
		agents: &murder.GoBuilder{Dir: filepath.Join(b.fleet.Dir(), "agents")},
		local:  filepath.Join(b.fleet.Dir(), "local"),
	}
	for _, d := range []string{m.agents.Dir, m.local} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	cfg, err := m.config(b.fleet.Hosts[2:])
	if err != nil {
		return nil, err
	}
	if err := m.task(ctx, cfg, "murder:distribute_files"); err != nil {
		return nil, err
	}
	if err := m.task(ctx, cfg, "murder:start_tracker"); err != nil {
		return nil, err
	}
	return m, nil
}

// config returns a murder.yaml naming the tracker, seeder and peers,
// every host keeping murder's files in /tmp.
func (m *murderMethod) config(peers []*testfleet.Host) (*roles.Config, error) {
	f := m.b.fleet
	var y strings.Builder
	y.WriteString("set:\n  remote_murder_path: /tmp/murder\n  default_temp_path: /tmp\n")
	fmt.Fprintf(&y, "ssh:\n  user: root\n  identity_files: [%q]\n  known_hosts: %q\n  timeout: 10s\n", f.IdentityFile(), f.KnownHostsFile())
	fmt.Fprintf(&y, "roles:\n  tracker: [%s]\n  seeder: [%s]\n  peer:\n", m.b.tracker().IP, m.b.seeder().IP)
	for _, h := range peers {
		fmt.Fprintf(&y, "    - %s\n", h.IP)
	}
	cfg, err := roles.Parse(strings.NewReader(y.String()), "bench murder.yaml")
	if err != nil {
		return nil, fmt.Errorf("murder.yaml: %w", err)
	}
	return cfg, nil
}

// task runs one murder target, its output going to the log.
func (m *murderMethod) task(ctx context.Context, cfg *roles.Config, name string, words ...string) error {
	fmt.Fprintf(m.b.log, "\n$ go tool mage %s %s\n", name, strings.Join(words, " "))
	words = append(append(words, "local_temp_path="+m.local), m.b.o.murderArgs()...)
	err := tasks.Run(murder.WithAgents(ctx, m.agents), name, words, tasks.Options{
		Stdout: m.b.log, Config: cfg, Getenv: func(string) string { return "" },
	})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// prepare packs the artifact on the seeder and starts seeding it.
func (m *murderMethod) prepare(ctx context.Context, t *transfer) error {
	cfg, err := m.config(t.receivers)
	if err != nil {
		return err
	}
	m.cfg = cfg
	if err := m.task(ctx, cfg, "murder:create_torrent", "tag="+t.tag, "files_path="+m.b.artifact); err != nil {
		return err
	}
	return m.task(ctx, cfg, "murder:start_seeding", "tag="+t.tag)
}

// run is murder:peer: every peer downloads, verifies and extracts. Its
// report (each host's moments: peer started, first byte, downloaded,
// extracted, result seen) goes beside the results, for reading where a
// transfer's time went; finish prints a line of it (timeline), outside
// the measured time.
func (m *murderMethod) run(ctx context.Context, t *transfer) error {
	return m.task(ctx, m.cfg, "murder:peer", "tag="+t.tag, "destination_path="+destDir, "report="+m.report(t))
}

// report is where run's report goes.
func (m *murderMethod) report(t *transfer) string {
	return filepath.Join(m.b.o.Out, t.tag+".peer.json")
}

// finish prints the transfer's timeline, stops the seeder and the peers
// (which seed on for 30 s) and removes the seeder's archive.
func (m *murderMethod) finish(t *transfer) error {
	// The line is a reading aid: a report it cannot read (a failed
	// transfer has none) costs the line, not the trial.
	if tl, err := readTimeline(m.report(t)); err == nil {
		fmt.Fprintf(m.b.o.Stdout, "bench: murder n=%-3d %s: %s\n", t.n, t.tag, tl.format(m.b.o.Size))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := errors.Join(
		m.task(ctx, m.cfg, "murder:stop_seeding", "tag="+t.tag),
		m.task(ctx, m.cfg, "murder:stop_all_peering"),
	)
	for _, p := range []string{"/tmp/" + t.tag + ".tgz", "/tmp/" + t.tag + ".tgz.torrent"} {
		if rerr := os.Remove(m.b.path(m.b.seeder(), p)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return errors.Join(err, os.RemoveAll(filepath.Join(m.local, t.tag+".tgz.torrent")))
}

// close stops the tracker.
func (m *murderMethod) close() error {
	cfg, err := m.config(m.b.fleet.Hosts[2:])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return m.task(ctx, cfg, "murder:stop_tracker")
}
