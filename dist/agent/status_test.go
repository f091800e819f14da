package agent

import (
	"context"
	"errors"
	"os"
	"runtime"
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

// TestWaitResultWakesOnWrite: on Linux the wait learns of the result when
// the worker writes it, not at its next look (here an hour away); a
// cancelled wait returns too.
func TestWaitResultWakesOnWrite(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("no inotify: status --wait polls")
	}
	d := detached{kind: "peer", tag: "T", runDir: t.TempDir()}
	if err := writePidFile(d.pidPath(), os.Getpid()); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = writeFileAtomic(d.statusPath(), []byte("done\n"), 0o600)
	}()
	if err := waitResultPolling(t.Context(), d, time.Hour, time.Hour); err != nil {
		t.Fatal(err)
	}
	if line, final, err := readStatus(d); err != nil || !final {
		t.Fatalf("returned with status %q, %v: want the result", line, err)
	}

	os.Remove(d.statusPath())
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := waitResultPolling(ctx, d, time.Hour, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait = %v, want context.Canceled", err)
	}
}
