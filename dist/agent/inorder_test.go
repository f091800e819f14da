package agent

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
)

// TestInOrder: a reader started before the first byte arrives reads the
// whole torrent, byte for byte, as a peer downloads it, and says how far
// it has read.
func TestInOrder(t *testing.T) {
	s := newInProcess(t, 8<<20+12345, false, nil) // a short last piece
	want, err := os.ReadFile(filepath.Join(s.dir, "seed", "data.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	type read struct {
		data []byte
		err  error
	}
	got := make(chan read, 1)
	var reached atomic.Int64
	cls := s.download("p", 1, nil, func(pt *torrent.Torrent) {
		r := newInOrder(context.Background(), pt)
		r.reached = &reached
		go func() {
			defer r.Close()
			b, err := io.ReadAll(r)
			got <- read{b, err}
		}()
	})
	defer cls[0].Close()
	select {
	case g := <-got:
		if g.err != nil || !bytes.Equal(g.data, want) {
			t.Fatalf("read %d bytes (%v), want the %d bytes seeded", len(g.data), g.err, len(want))
		}
		if reached.Load() != int64(len(want)) {
			t.Errorf("reached %d, want %d", reached.Load(), len(want))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reader did not finish 30 s after the download")
	}
}

// TestInOrderCancel: a read waiting for a piece that does not come ends
// with its context.
func TestInOrderCancel(t *testing.T) {
	s := newInProcess(t, 1<<20, false, nil)
	path := filepath.Join(s.dir, "lonely", "data.tgz")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cl, pt := s.client(path, false, nil) // no peers: nothing arrives
	defer cl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := newInOrder(ctx, pt)
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("read ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read still waits 5 s after its context ended")
	}
}
