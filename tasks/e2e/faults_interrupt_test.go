package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestFaultInterruptedPeer: ^C during murder:peer (mage cancels the
// context, then allows 5 s) stops every peer the run started and removes
// their downloads: no worker left, no TAG.tgz, .part or .torrent in
// temp_path, nothing at the destination, and the run fails.
func TestFaultInterruptedPeer(t *testing.T) {
	d := newFaultDeployment(t, faultSetup{hosts: 5, rate: faultRate, size: faultSize})
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag=Int1", "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag=Int1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := d.start(ctx, "murder:peer", "tag=Int1", "destination_path=/tmp/dest")
	waitHave(t, d.peers()[0], "Int1", 0, 30*time.Second)
	cancel()
	interrupted := time.Now()
	run.wait(t, 30*time.Second)
	if !errors.Is(run.err, context.Canceled) {
		t.Errorf("interrupted murder:peer returned %v, want a context.Canceled error", run.err)
	}
	if took := run.end.Sub(interrupted); took > 5*time.Second {
		t.Errorf("murder:peer took %v to stop; mage kills it after 5s", took.Round(100*time.Millisecond))
	}
	for _, h := range d.peers() {
		if peerRunning(h) {
			t.Errorf("host %s: a peer still runs after the interrupt", h.Name)
		}
		if m, _ := filepath.Glob(h.Path("/tmp/Int1.tgz*")); len(m) > 0 {
			t.Errorf("host %s: temporary files left: %v", h.Name, m)
		}
		checkNothingExtracted(t, h, "/tmp/dest/Int1")
	}
}
