package agent

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/anacrolix/torrent"

	"github.com/murderfleet/murder/dist/seal"
)

// openDownload returns the reader the extraction reads the download
// through, in order, and how to open its payload: an encrypted archive
// whose pieces the storage checks against their SHA-256 (checked: see
// sha256Pieces) is decrypted here, chunk by chunk (chunkReader), and its
// reader gives the payload; release ends it.
func openDownload(ctx context.Context, o *seedOpts, t *torrent.Torrent, checked bool, reached *atomic.Int64) (io.Reader, payloadOpener, func(), error) {
	r := newInOrder(ctx, t)
	r.reached = reached
	release := func() { r.Close() }
	if checked && o.identity != "" {
		head := make([]byte, len(seal.Magic))
		if n, _ := r.ReadAt(head, 0); seal.IsEncrypted(head[:n]) {
			c, err := seal.OpenChunks(r, r.size, o.identity)
			if err != nil {
				release()
				return nil, nil, nil, fmt.Errorf("archive %s: %w", o.file, err)
			}
			return &chunkReader{src: r, chunks: c}, decryptedPayload, release, nil
		}
	}
	return r, sealedPayload(o.identity, o.file), release, nil
}

// chunkReader decrypts an encrypted download front to back, each chunk
// once the pieces it lies in are checked. age's own reader does the same
// with a fresh 64 KiB buffer for every chunk and one more copy of it
// (BenchmarkChunkReader); here the download's size, known in advance,
// says which chunk is the last.
type chunkReader struct {
	src     *inOrder // read at offsets: chunks straddle pieces
	chunks  *seal.Chunks
	next    int64  // the next chunk to decrypt
	pending []byte // what is left of the last one
	sealed  []byte
	plain   []byte
}

func (r *chunkReader) Read(b []byte) (int, error) {
	if len(r.pending) == 0 {
		if r.next == r.chunks.Count() {
			return 0, io.EOF
		}
		off, n := r.chunks.Range(r.next)
		if int64(cap(r.sealed)) < n {
			r.sealed = make([]byte, n)
		}
		r.sealed = r.sealed[:n]
		if _, err := r.src.ReadAt(r.sealed, off); err != nil {
			return 0, err
		}
		plain, err := r.chunks.Open(r.plain[:0], r.sealed, r.next)
		if err != nil {
			return 0, err
		}
		r.plain, r.pending = plain, plain
		r.next++
		if len(plain) == 0 {
			return 0, io.EOF // only an empty plaintext has an empty chunk
		}
	}
	n := copy(b, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}
