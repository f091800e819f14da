package agent

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent"

	"github.com/murderfleet/murder/dist/seal"
)

// sealedTorrent writes size random bytes encrypted to a new key, and its
// torrent with 64 KiB pieces (so that every chunk of the encryption
// straddles two pieces), and returns the plaintext, the identity, a
// torrent of the complete file, and whether its storage checks each
// piece's SHA-256.
func sealedTorrent(t testing.TB, size int) (plain []byte, id string, tor *torrent.Torrent, checked bool) {
	return sealedTorrentPieces(t, size, 64<<10)
}

func sealedTorrentPieces(t testing.TB, size int, pieceLen int64) (plain []byte, id string, tor *torrent.Torrent, checked bool) {
	t.Helper()
	plain = make([]byte, size)
	if _, err := rand.Read(plain); err != nil {
		t.Fatal(err)
	}
	return sealedTorrentOf(t, plain, pieceLen)
}

func sealedTorrentOf(t testing.TB, plain []byte, pieceLen int64) (_ []byte, id string, tor *torrent.Torrent, checked bool) {
	t.Helper()
	size := len(plain)
	id, rcpt, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "data.tgz")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w, err := seal.Encrypt(f, rcpt)
	if err == nil {
		_, err = w.Write(plain)
	}
	if err == nil {
		err = w.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	tf, err := makeTorrent(context.Background(), file, "http://127.0.0.1:1/announce", pieceLen, int64(size))
	if err != nil {
		t.Fatal(err)
	}
	_, tor = testClientTorrent(t, tf, file)
	return plain, id, tor, tf.ext.PieceSHA256 != ""
}

// readChunks reads the whole plaintext of the download through openDownload.
func readChunks(t testing.TB, tor *torrent.Torrent, checked bool, id string) ([]byte, error) {
	t.Helper()
	r, open, release, err := openDownload(t.Context(), &seedOpts{identity: id, file: "data.tgz"}, tor, checked, nil)
	if err != nil {
		return nil, err
	}
	defer release()
	if _, ok := r.(*chunkReader); !ok {
		t.Fatalf("openDownload gave a %T, want a chunkReader", r)
	}
	pr, err := open(r)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(pr)
}

// TestChunkReader: the plaintext read chunk by chunk is the archive's, at
// every size around a chunk's, its chunks straddling pieces.
func TestChunkReader(t *testing.T) {
	for _, size := range []int{0, 1, seal.ChunkSize, seal.ChunkSize + 1, 40*seal.ChunkSize + 1234} {
		plain, id, tor, checked := sealedTorrent(t, size)
		got, err := readChunks(t, tor, checked, id)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: read %d (%v), want the bytes sealed", size, len(got), err)
		}
	}
}

// TestChunkReaderAgeInside: a payload that is itself an age file (a file
// distributed with path_is_file) is passed on as it is, not taken for the
// archive's own encryption.
func TestChunkReaderAgeInside(t *testing.T) {
	inner := append([]byte(seal.Magic+"\n-> X25519 not really\n"), make([]byte, 3*seal.ChunkSize)...)
	plain, id, tor, checked := sealedTorrentOf(t, inner, 64<<10)
	got, err := readChunks(t, tor, checked, id)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("read %d bytes (%v), want the %d bytes sealed", len(got), err, len(plain))
	}
}

// TestChunkReaderRefuses: a wrong key fails at the header, naming it.
func TestChunkReaderRefuses(t *testing.T) {
	_, _, tor, checked := sealedTorrent(t, 3*seal.ChunkSize)
	other, _, _ := seal.NewKey()
	if _, err := readChunks(t, tor, checked, other); err == nil || !strings.Contains(err.Error(), "wrong key") {
		t.Errorf("wrong key: %v", err)
	}
}

// BenchmarkChunkReader reads a 64 MiB archive whose pieces are all
// checked, chunk by chunk and through age's streaming decryption.
func BenchmarkChunkReader(b *testing.B) {
	_, id, tor, checked := sealedTorrentPieces(b, 64<<20, 512<<10)
	for _, c := range []struct {
		name string
		open func() io.Reader
	}{
		{"chunks", func() io.Reader {
			r, _, _, err := openDownload(b.Context(), &seedOpts{identity: id, file: "data.tgz"}, tor, checked, nil)
			if err != nil {
				b.Fatal(err)
			}
			return r
		}},
		{"age", func() io.Reader {
			r, err := openPayload(bufio.NewReaderSize(newInOrder(b.Context(), tor), 1<<20), id, "data.tgz")
			if err != nil {
				b.Fatal(err)
			}
			return r
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(64 << 20)
			buf := make([]byte, 1<<20)
			for b.Loop() {
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{c.open()}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
