package e2e

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
)

// The swarm tests shape every link to 16 Mbit/s (2 MB/s) and share 8 MiB
// of random data, so that a download lasts several seconds and faults can
// be injected while it runs.
const (
	faultRate = "16mbit"
	faultSize = 8 << 20
)

// TestFaultSeederLostEarly: the seeder host dies (everything on it
// killed) when the peers have only begun, long before the swarm holds a
// whole copy. Every peer fails after the stall timeout (stall_timeout=4s)
// saying so, nothing is extracted anywhere, and the run fails naming every
// peer.
func TestFaultSeederLostEarly(t *testing.T) {
	d := newFaultDeployment(t, faultSetup{hosts: 5, rate: faultRate, size: faultSize})
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Lost1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Lost1")
	run := d.start(context.Background(), "murder:peer", "tag=Lost1", "destination_path=/tmp/dest", "stall_timeout=4s")
	waitHave(t, d.peers()[0], "Lost1", 0, 30*time.Second)
	if err := d.fleet.Hosts[1].Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	run.wait(t, 90*time.Second)
	if run.err == nil {
		t.Fatal("murder:peer succeeded without a seeder")
	}
	// Stall timeout, plus a poll and an SSH round trip or two.
	if took := run.end.Sub(killed); took > 20*time.Second {
		t.Errorf("peers failed %v after the seeder died; want about the 4s stall timeout", took.Round(time.Second))
	}
	for _, h := range d.peers() {
		line := lineFor(run.err.Error(), "host "+h.IP+":")
		if !strings.Contains(line, "swarm stalled: no data for") || !strings.Contains(line, "is the seeder running?") {
			t.Errorf("host %s: want a stall error, got %q", h.Name, line)
		}
		if !strings.Contains(run.out, h.IP) {
			t.Errorf("summary does not name %s", h.IP)
		}
		checkNothingExtracted(t, h, "/tmp/dest/Lost1")
	}
}

// TestFaultPeerCutOff: one peer's link goes down in the middle of its
// download. The others complete, the run fails naming that host; once the
// link is back, murder:peer on that host alone keeps the pieces it had
// verified, fetches only the rest, and ends with the right files.
func TestFaultPeerCutOff(t *testing.T) {
	d := newFaultDeployment(t, faultSetup{hosts: 5, rate: faultRate, size: faultSize, ssh: "  keepalive: 1s\n"})
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Cut1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Cut1")
	cut := d.peers()[2]
	run := d.start(context.Background(), "murder:peer", "tag=Cut1", "destination_path=/tmp/dest", "stall_timeout=4s")
	waitHave(t, cut, "Cut1", 0.25, 30*time.Second)
	if err := cut.LinkDown(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cut.LinkUp() })
	run.wait(t, 90*time.Second)
	if run.err == nil {
		t.Fatal("murder:peer succeeded with a peer cut off")
	}
	if line := lineFor(run.err.Error(), "host "+cut.IP+":"); !strings.Contains(line, "connection lost") || !strings.Contains(run.out, "FAILED") {
		t.Errorf("the run's error and summary must name %s and say its connection was lost:\n%v", cut.IP, run.err)
	}
	if msg := run.err.Error(); strings.Count("\n"+msg, "\nhost ") != 1 {
		t.Errorf("only %s should fail:\n%s", cut.IP, msg)
	}
	d.verify("/tmp/dest/Cut1", d.peers()[:2]...)

	// Cut off, its peer stalls and gives up, keeping what it verified.
	waitFor(30*time.Second, func() bool { return !peerRunning(cut) && strings.HasPrefix(peerStatus(cut, "Cut1"), "error: ") })
	if st := peerStatus(cut, "Cut1"); !strings.HasPrefix(st, "error: swarm stalled") {
		log, _ := os.ReadFile(cut.Path("/tmp/murder/run/peer-Cut1.log"))
		t.Fatalf("host %s: peer ended with %q, want a stall; running %v; log:\n%s", cut.Name, st, peerRunning(cut), log)
	}
	checkNothingExtracted(t, cut, "/tmp/dest/Cut1")
	if err := cut.LinkUp(); err != nil {
		t.Fatal(err)
	}
	out := d.mustRun("murder:peer", "tag=Cut1", "destination_path=/tmp/dest", "hosts="+cut.IP)
	m := regexp.MustCompile(`resume verified=(\d+) missing=(\d+) pieces=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("retry did not resume:\n%s", out)
	}
	verified, _ := strconv.Atoi(m[1])
	missing, _ := strconv.Atoi(m[2])
	if verified == 0 || missing == 0 {
		t.Errorf("retry: %s; want the pieces held before the cut kept and only the rest fetched", m[0])
	}
	d.verify("/tmp/dest/Cut1", cut)
}

// TestFaultTrackerRestarted: the tracker is stopped and started again
// while the peers download; the download completes everywhere.
func TestFaultTrackerRestarted(t *testing.T) {
	d := newFaultDeployment(t, faultSetup{hosts: 5, rate: faultRate, size: faultSize})
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Trk1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Trk1")
	run := d.start(context.Background(), "murder:peer", "tag=Trk1", "destination_path=/tmp/dest", "stall_timeout=30s")
	waitHave(t, d.peers()[0], "Trk1", 0, 30*time.Second)
	d.mustRun("murder:stop_tracker")
	time.Sleep(time.Second) // peers announcing now find no tracker
	d.mustRun("murder:start_tracker")
	restarted := 0
	for _, h := range d.peers() {
		if !agentproto.IsDone(peerStatus(h, "Trk1")) {
			restarted++
		}
	}
	if restarted == 0 {
		t.Errorf("every peer was done before the tracker restarted; the test proved nothing")
	}
	run.wait(t, 90*time.Second)
	if run.err != nil {
		t.Fatalf("murder:peer with a tracker restart: %v", run.err)
	}
	d.verify("/tmp/dest/Trk1")
}
