package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDistributeFilesFanOut: with agent_sources=1 the controller uploads
// the agent to one host only; the others fetch it over HTTP from that
// host's serve-agent, or from a host that fetched it before, check its
// SHA-256 and serve it in turn. The agents run a transfer, a second
// distribute_files finds every host up to date, and stop serve-agent
// ends the servers.
func TestDistributeFilesFanOut(t *testing.T) {
	d := newDeployment(t, 8, "")
	out := d.mustRun("murder:distribute_files", "agent_sources=1")
	if n := strings.Count(out, "] uploaded agent "); n != 1 {
		t.Errorf("%d uploads from the controller, want 1:\n%s", n, out)
	}
	from := regexp.MustCompile(`\] fetched agent linux/\w+ from (\S+) to `).FindAllStringSubmatch(out, -1)
	if len(from) != len(d.fleet.Hosts)-1 {
		t.Fatalf("%d hosts fetched the agent, want %d:\n%s", len(from), len(d.fleet.Hosts)-1, out)
	}
	if !strings.Contains(out, "the controller sent the agent to 1 host(s); 7 fetched it from other hosts") {
		t.Errorf("no summary of the copies sent:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, sum, err := builder(t).Build(ctx, "linux", runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range d.fleet.Hosts {
		b, err := os.ReadFile(h.Path("/tmp/murder/murder-agent"))
		got := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(got[:]) != sum {
			t.Errorf("host %s: agent %v, sha256 %x; want %s", h.Name, err, got, sum)
		}
		if fi, err := os.Stat(h.Path("/tmp/murder/murder-agent")); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("host %s: agent %v, %v; want mode 0755", h.Name, fi, err)
		}
	}

	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Fan1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Fan1")
	d.mustRun("murder:peer", "tag=Fan1", "destination_path=/tmp/dest")
	d.verify("/tmp/dest/Fan1")

	if out := d.mustRun("murder:distribute_files", "agent_sources=1"); strings.Count(out, "is up to date") != len(d.fleet.Hosts) {
		t.Errorf("second distribute_files did not find every host up to date:\n%s", out)
	}
	// The servers exit when idle; stop ends them now.
	stopped := 0
	for _, h := range d.fleet.Hosts {
		b, err := h.Exec(ctx, "/tmp/murder/murder-agent", "stop", "--missing-ok", "--grace", "2s", "--run-dir", "/tmp/murder/run", "serve-agent")
		if err != nil {
			t.Errorf("host %s: stop serve-agent: %v\n%s", h.Name, err, b)
		}
		if strings.Contains(string(b), "stopped serve-agent") {
			stopped++
		}
	}
	// All but the hosts of the last wave served: 1 source feeding 4
	// hosts, then those 5 feeding the last 3.
	if stopped != 5 {
		t.Errorf("stopped %d serve-agent processes, want 5", stopped)
	}
}
