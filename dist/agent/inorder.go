package agent

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"github.com/anacrolix/torrent"
)

// inOrder reads a torrent's data front to back while it downloads, each
// piece once anacrolix has verified it (against its SHA-256 where the
// torrent records one: sha256Pieces), so that a peer's extraction
// follows its download instead of starting at its end. Unlike anacrolix's
// own Reader it sets no piece priorities: that Reader makes the piece it
// waits on urgent, and every peer then asks the seeder for the same piece
// (bench n=10 256 MiB: seeder 1.74 S instead of 1.15, 42 s instead of 30).
type inOrder struct {
	ctx            context.Context
	t              *torrent.Torrent
	changes        <-chan torrent.PieceStateChange
	close          func()
	pieceLen, size int64
	off            int64 // Read's
	// reached, when set, is the end of the furthest read so far: how far
	// the extraction has come, for the peer's result.
	reached *atomic.Int64
}

// newInOrder returns a reader of t's data that hands out a piece once
// anacrolix has verified it; Close releases it. Reads fail with ctx's
// error once ctx ends.
func newInOrder(ctx context.Context, t *torrent.Torrent) *inOrder {
	// A subscription nobody reads would keep every change since.
	sub := t.SubscribePieceStateChanges() // before any look at a piece's state: no change is missed
	return &inOrder{ctx: ctx, t: t, changes: sub.Values, close: sub.Close,
		pieceLen: t.Info().PieceLength, size: t.Length()}
}

func (r *inOrder) Read(b []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	// Up to the end of the piece: a read returns what is ready, and never
	// waits for the next piece with data in hand.
	i := r.off / r.pieceLen
	n := min(int64(len(b)), (i+1)*r.pieceLen-r.off, r.size-r.off)
	got, err := r.ReadAt(b[:n], r.off)
	r.off += int64(got)
	return got, err
}

// ReadAt reads the bytes at off once every piece they lie in is
// verified, waiting for that (chunkReader's chunks straddle pieces, and
// age's header parser reads through an io.ReaderAt).
func (r *inOrder) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		if off >= r.size {
			return n, io.EOF
		}
		i := int(off / r.pieceLen)
		if err := r.verified(i); err != nil {
			return n, err
		}
		k := min(int64(len(b)-n), int64(i+1)*r.pieceLen-off, r.size-off)
		got, err := readPiece(r.t, i, b[n:n+int(k)], off-int64(i)*r.pieceLen)
		n += got
		off += int64(got)
		if r.reached != nil && off > r.reached.Load() {
			r.reached.Store(off) // one reader: no race between Load and Store
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readPiece reads len(b) bytes of piece i at off. A read that fills b
// succeeds: the storage may add io.EOF to a piece's last bytes.
func readPiece(t *torrent.Torrent, i int, b []byte, off int64) (int, error) {
	got, err := t.Piece(i).Storage().ReadAt(b, off)
	if got == len(b) {
		err = nil
	}
	return got, err
}

// verified waits until anacrolix has verified piece i.
func (r *inOrder) verified(i int) error {
	for !r.t.PieceState(i).Complete {
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case _, ok := <-r.changes:
			if !ok {
				return errors.New("the torrent was closed")
			}
		}
	}
	return nil
}

func (r *inOrder) Close() error {
	r.close()
	return nil
}
