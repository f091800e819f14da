package agent

import (
	"os"
	"testing"
	"time"
)

// TestWaitResult: status --wait returns as soon as the worker leaves its
// result, at once when no worker runs, and after the wait otherwise.
func TestWaitResult(t *testing.T) {
	d := detached{kind: "peer", tag: "T", runDir: t.TempDir()}
	start := time.Now()
	if err := waitResult(t.Context(), d, 5*time.Second); err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("no worker: waitResult = %v after %v, want nil at once", err, time.Since(start))
	}

	// This test process stands in for a running worker.
	if err := writePidFile(d.pidPath(), os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.statusPath(), []byte("progress have=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := waitResult(t.Context(), d, 300*time.Millisecond); err != nil || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("running: waitResult = %v after %v, want nil after the wait", err, time.Since(start))
	}

	go func() {
		time.Sleep(200 * time.Millisecond)
		os.WriteFile(d.statusPath(), []byte("done\n"), 0o600)
	}()
	start = time.Now()
	if err := waitResult(t.Context(), d, time.Minute); err != nil || time.Since(start) > 30*time.Second {
		t.Fatalf("finishing: waitResult = %v after %v, want nil soon after the result", err, time.Since(start))
	}
}
