package agent

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/anacrolix/torrent"
)

// TestSHA256Pieces: a storage of a torrent with per-piece digests passes
// the pieces whose SHA-256 is the record's; a piece whose SHA-1 is right
// but whose SHA-256 is not the record's fails and is reported as the
// torrent contradicting itself; a piece whose bytes are wrong fails
// quietly (it is fetched again); a torrent without digests keeps
// anacrolix's SHA-1.
func TestSHA256Pieces(t *testing.T) {
	tf, src := testTorrent(t, "127.0.0.1:1")
	n := tf.info.NumPieces()
	if len(tf.ext.PieceSHA256) != 32*n || n < 2 {
		t.Fatalf("make-torrent recorded %d bytes of piece digests for %d pieces", len(tf.ext.PieceSHA256), n)
	}
	if missing, err := verifyWith(t, tf, src); missing != 0 || err != nil {
		t.Fatalf("the record's own data: %d pieces missing, conflict %v", missing, err)
	}

	lying := *tf
	bad := []byte(tf.ext.PieceSHA256)
	bad[32*(n-1)] ^= 1
	lying.ext.PieceSHA256 = string(bad)
	missing, err := verifyWith(t, &lying, src)
	if missing != 1 || err == nil || !strings.Contains(err.Error(), fmt.Sprintf("piece %d has SHA-256", n-1)) {
		t.Fatalf("a record unlike the data: %d pieces missing, conflict %v", missing, err)
	}

	f, err := os.OpenFile(src, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 5); err == nil {
		b[0] ^= 1
		_, err = f.WriteAt(b, 5)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if missing, err := verifyWith(t, tf, src); missing != 1 || err != nil {
		t.Fatalf("a corrupt piece: %d pieces missing, conflict %v; want 1 and none", missing, err)
	}

	plain := *tf
	plain.ext.PieceSHA256 = ""
	if st := checkSHA256(nil, &plain, src); st != nil {
		t.Errorf("a torrent without digests: storage %T, want anacrolix's own", st)
	}
}

// verifyWith hashes every piece of tf's data at path in a storage that
// checks its SHA-256, and returns the pieces that failed and the
// contradiction reported, if any.
func verifyWith(t *testing.T, tf *torrentFile, path string) (int, error) {
	t.Helper()
	st := checkSHA256(fileStorage(path, &tf.info, tf.mi.HashInfoBytes(), false, false), tf, path)
	p, ok := st.(*sha256Pieces)
	if !ok {
		t.Fatalf("storage %T, want *sha256Pieces", st)
	}
	cl, err := torrent.NewClient(clientConfig(swarmFlags{maxConns: defaultMaxConns, halfOpen: 4, dialTimeout: 2e9}, net.IPv4(127, 0, 0, 1), st, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(cl)
	tor, err := addTorrent(cl, tf, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := verifyAll(t.Context(), tor)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.conflict:
		return missing, err
	default:
		return missing, nil
	}
}
