package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
	"github.com/murderfleet/murder/tasks/treecmp"
)

const deployHooks = `hooks:
  after:
    deploy:setup: [murder:distribute_files]
    murder:stop_seeding: [murder:stop_tracker]
  before:
    murder:start_seeding: [murder:start_tracker]
`

func deploySet(repo string) string {
	return "  deploy_to: /tmp/app\n  repository: " + repo + "\n  keep_releases: 2\n  restart_command: date > /tmp/restarted\n"
}

// newDeployDeployment is a fleet whose murder.yaml deploys the sample
// directory to /tmp/app with the documented hooks.
func newDeployDeployment(t *testing.T, hosts int) *deployment {
	d := newDeployment(t, hosts, "")
	d.extraSet = deploySet(d.sample)
	d.writeConfig(deployHooks)
	d.mustRun("deploy:setup")
	return d
}

// current returns the release current points at on h.
func current(t *testing.T, h *testfleet.Host) string {
	t.Helper()
	target, err := os.Readlink(h.Path("/tmp/app/current"))
	if err != nil {
		t.Fatalf("host %s: current: %v", h.Name, err)
	}
	return filepath.Base(target)
}

func releasesOn(t *testing.T, h *testfleet.Host) []string {
	t.Helper()
	entries, err := os.ReadDir(h.Path("/tmp/app/releases"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// deployOnce runs `deploy` and returns the release every peer now runs.
func (d *deployment) deployOnce() string {
	d.t.Helper()
	time.Sleep(1100 * time.Millisecond) // release names have one-second resolution
	d.mustRun("deploy")
	rel := current(d.t, d.peers()[0])
	for _, h := range d.peers() {
		if got := current(d.t, h); got != rel {
			d.t.Errorf("host %s: current is %s, want %s", h.Name, got, rel)
		}
	}
	d.verifyRelease(rel)
	return rel
}

// TestDeployAndRollback: three deploys in a row, keep_releases pruning,
// restart, then rollbacks down to the refusal.
func TestDeployAndRollback(t *testing.T) {
	d := newDeployDeployment(t, 6)
	first := d.deployOnce()
	for _, h := range d.peers() {
		if _, err := os.Stat(h.Path("/tmp/restarted")); err != nil {
			t.Errorf("host %s: restart_command did not run: %v", h.Name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(d.sample, "v2.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := d.deployOnce()
	third := d.deployOnce()
	if first == second || second == third {
		t.Fatalf("releases not distinct: %s %s %s", first, second, third)
	}
	for _, h := range d.peers() {
		if got := releasesOn(t, h); strings.Join(got, " ") != second+" "+third {
			t.Errorf("host %s: releases %v, want [%s %s] (keep_releases: 2)", h.Name, got, second, third)
		}
	}
	d.mustRun("deploy:rollback")
	for _, h := range d.peers() {
		if got := current(t, h); got != second {
			t.Errorf("host %s: after rollback current is %s, want %s", h.Name, got, second)
		}
		if got := releasesOn(t, h); strings.Join(got, " ") != second {
			t.Errorf("host %s: releases %v after rollback, want [%s]", h.Name, got, second)
		}
	}
	d.verifyRelease(second)
	_, err := d.run("deploy:rollback")
	if err == nil || !strings.Contains(err.Error(), "no previous release") {
		t.Fatalf("rollback without a previous release: want refusal, got %v", err)
	}
	for _, h := range d.peers() {
		if got := current(t, h); got != second {
			t.Errorf("host %s: refused rollback changed current to %s", h.Name, got)
		}
	}
}

// TestDeployFailureLeavesCurrent: one host's disk turns read-only; the
// deploy fails naming it, no host switches, the new release is removed.
func TestDeployFailureLeavesCurrent(t *testing.T) {
	d := newDeployDeployment(t, 6)
	first := d.deployOnce()
	bad := d.peers()[1]
	ctx := context.Background()
	if _, err := bad.Exec(ctx, "mount", "-o", "remount,ro", "/tmp"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = bad.Exec(context.Background(), "mount", "-o", "remount,rw", "/tmp") })
	time.Sleep(1100 * time.Millisecond)
	out, err := d.run("deploy")
	if err == nil || !strings.Contains(err.Error(), "host "+bad.IP+":") {
		t.Fatalf("deploy with a read-only host: want an error naming %s, got %v", bad.IP, err)
	}
	if !strings.Contains(out, bad.IP) {
		t.Errorf("summary does not name %s", bad.IP)
	}
	for _, h := range d.peers() {
		if got := current(t, h); got != first {
			t.Errorf("host %s: current is %s after a failed deploy, want %s", h.Name, got, first)
		}
		if h != bad {
			if got := releasesOn(t, h); len(got) != 1 {
				t.Errorf("host %s: releases %v after a failed deploy, want only %s", h.Name, got, first)
			}
		}
	}
}

// verifyRelease checks every peer's releases/NAME against the repository:
// a deploy leaves out .git only (and copy_exclude), not .gitignore.
func (d *deployment) verifyRelease(name string) {
	d.t.Helper()
	for _, h := range d.peers() {
		dir := h.Path("/tmp/app/releases/" + name)
		// REVISION is Capistrano's: the commit, or the archive's SHA-256
		// for a plain directory.
		rev, err := os.ReadFile(filepath.Join(dir, "REVISION"))
		if err != nil || len(strings.TrimSpace(string(rev))) != 64 {
			d.t.Errorf("host %s: release %s: REVISION %q, %v; want the archive's SHA-256", h.Name, name, rev, err)
		}
		if err := treecmp.EqualPlus(d.sample, dir, func(n string) bool { return n == ".git" }, "REVISION"); err != nil {
			d.t.Errorf("host %s: release %s differs from the repository:\n%v", h.Name, name, err)
		}
	}
}

// TestDeployViaCopy: Capistrano's copy strategy, for small fleets.
func TestDeployViaCopy(t *testing.T) {
	d := newDeployment(t, 4, "")
	d.extraSet = deploySet(d.sample) + "  deploy_via: copy\n"
	d.writeConfig(deployHooks)
	d.mustRun("deploy:setup")
	d.deployOnce()
}
