package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestPieceSums: pieces whose SHA-256 matches the torrent's pass, one that
// differs fails its waiters with an error that names it, and a stopped
// check fails the waiters it leaves.
func TestPieceSums(t *testing.T) {
	tf, src := testTorrent(t, "127.0.0.1:1")
	n := tf.info.NumPieces()
	if len(tf.ext.PieceSHA256) != 32*n || n < 2 {
		t.Fatalf("make-torrent recorded %d bytes of piece digests for %d pieces", len(tf.ext.PieceSHA256), n)
	}
	_, tor := testClientTorrent(t, tf, src)
	ctx := t.Context()

	good := newPieceSums(tor, []byte(tf.ext.PieceSHA256), src)
	go good.run(ctx)
	for i := range n {
		if err := good.wait(ctx, i); err != nil {
			t.Fatalf("piece %d: %v", i, err)
		}
	}

	bad := []byte(tf.ext.PieceSHA256)
	bad[32*(n-1)] ^= 1
	wrong := newPieceSums(tor, bad, src)
	go wrong.run(ctx)
	if err := wrong.wait(ctx, n-1); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("piece %d has SHA-256", n-1)) {
		t.Fatalf("a piece unlike its digest: %v", err)
	}

	stopped, cancel := context.WithCancel(ctx)
	cancel()
	_, empty := testClientTorrent(t, tf, filepath.Join(t.TempDir(), "data.tgz"))
	none := newPieceSums(empty, []byte(tf.ext.PieceSHA256), src)
	none.run(stopped)
	if err := none.wait(ctx, 0); err == nil {
		t.Fatal("a check that stopped before the piece: no error")
	}
}
