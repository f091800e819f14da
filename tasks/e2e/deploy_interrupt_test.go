package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// TestDeployInterrupted: ^C while the peers download (mage cancels the
// context) stops every agent the deploy started, removes the new release
// and leaves current where it was.
func TestDeployInterrupted(t *testing.T) {
	d := newDeployDeployment(t, 6)
	first := d.deployOnce()
	// A bigger release on slow links, so the download is under way for a while.
	big := make([]byte, 48<<20)
	for i := range big {
		big[i] = byte(i*131 + i>>9)
	}
	if err := os.WriteFile(filepath.Join(d.sample, "huge.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, h := range d.fleet.Hosts {
		shape(t, h, "40mbit")
	}
	time.Sleep(1100 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		waitFor(30*time.Second, func() bool { return peerRunning(d.peers()[0]) })
		cancel()
	}()
	var out bytes.Buffer
	err := d.runTask(ctx, &out, "deploy")
	t.Logf("%s", out.String())
	if err == nil {
		t.Fatal("interrupted deploy returned no error")
	}
	for _, h := range d.peers() {
		if got := current(t, h); got != first {
			t.Errorf("host %s: current is %s after an interrupted deploy, want %s", h.Name, got, first)
		}
		if got := releasesOn(t, h); len(got) != 1 {
			t.Errorf("host %s: releases %v after an interrupted deploy, want only %s", h.Name, got, first)
		}
		if peerRunning(h) {
			t.Errorf("host %s: a peer still runs after the interrupted deploy", h.Name)
		}
		if m, _ := filepath.Glob(h.Path("/tmp/*.tgz*")); len(m) > 0 {
			t.Errorf("host %s: temporary files left: %v", h.Name, m)
		}
	}
}

// shape limits a host's link (egress of its eth0) to rate.
func shape(t *testing.T, h *testfleet.Host, rate string) {
	t.Helper()
	if _, err := h.Exec(context.Background(), "tc", "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", rate, "burst", "64kb", "latency", "50ms"); err != nil {
		t.Fatal(err)
	}
}

// peerRunning reports whether a peer worker of any tag runs on h.
func peerRunning(h *testfleet.Host) bool {
	files, _ := filepath.Glob(h.Path("/tmp/murder/run/peer-*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid := strings.Fields(string(b))
		if len(pid) > 0 {
			if _, err := os.Stat("/proc/" + pid[0]); err == nil {
				if st, err := os.ReadFile("/proc/" + pid[0] + "/stat"); err == nil && !strings.Contains(string(st), ") Z ") {
					return true
				}
			}
		}
	}
	return false
}

func waitFor(d time.Duration, cond func() bool) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && !cond() {
		time.Sleep(50 * time.Millisecond)
	}
}
