package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
)

// TestPeerNoWaitOutlivesItsCaller: `peer --no-wait` (what murder:peer
// runs on every host) returns once the download is under way, and its
// worker must carry on alone to the end. The worker used to keep writing
// progress to the report pipe of the command that had already exited,
// took the broken pipe for a killed caller and quit after one second, so
// any download longer than that failed on the fleet.
func TestPeerNoWaitOutlivesItsCaller(t *testing.T) {
	s := newSwarm(t, 4<<20)
	s.start(t)
	p := s.newPeer(t, 1)
	// ~3 s at 1 MiB/s: several progress reports after the caller left.
	r := s.download(t, p, 20*time.Second, "--no-wait", "--max-download-rate", "1048576", "--seed-time", "1s")
	if r.code != 0 {
		t.Fatalf("peer --no-wait: %s", r)
	}
	if r.dur > 2*time.Second {
		t.Errorf("peer --no-wait took %v; it should return once the download is under way", r.dur)
	}
	if line := waitPeerStatus(t, p.run, "data.bin", 30*time.Second); !agentproto.IsDone(line) {
		t.Fatalf("worker of peer --no-wait ended with %q, want done", line)
	}
	sameFile(t, s.data, p.dest)
}

// waitPeerStatus polls `status peer TAG` until the worker reports done or
// an error, and returns that final line.
func waitPeerStatus(t *testing.T, runDir, tag string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := run(t, 10*time.Second, "status", "--run-dir", runDir, "peer", tag)
		line := strings.TrimSpace(r.stdout)
		switch {
		case r.code != 0:
			return "status failed: " + strings.TrimSpace(r.stderr)
		case agentproto.IsDone(line) || strings.HasPrefix(line, "error: "):
			return line
		case time.Now().After(deadline):
			t.Fatalf("peer %s still not finished after %v: %q", tag, timeout, line)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
