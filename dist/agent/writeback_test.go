package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriteback: the writeback waits for a file that does not exist yet,
// keeps the file it opened across a rename (anacrolix's promotion of
// FILE.part), changes nothing in it, and stops when asked.
func TestWriteback(t *testing.T) {
	dir := t.TempDir()
	part, final := filepath.Join(dir, "a.tgz.part"), filepath.Join(dir, "a.tgz")
	stop := startWriteback(context.Background(), part, time.Millisecond)
	time.Sleep(5 * time.Millisecond) // ticks with no file
	data := make([]byte, 4<<20)
	_, _ = rand.Read(data)
	if err := os.WriteFile(part, data, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := os.Rename(part, final); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	stop()
	got, err := os.ReadFile(final)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after writeback: %d bytes, %v; want the %d written", len(got), err, len(data))
	}

	w := writebacker{path: filepath.Join(dir, "missing")}
	w.kick()
	w.close()
}

// TestWritebackStopsWithContext: a cancelled context ends the writeback;
// stop after it returns at once.
func TestWritebackStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := startWriteback(ctx, filepath.Join(t.TempDir(), "x"), time.Hour)
	cancel()
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return after the context ended")
	}
}
