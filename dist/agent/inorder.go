package agent

import (
	"context"
	"errors"
	"io"

	"github.com/anacrolix/torrent"
)

// inOrder reads a torrent's data front to back while it downloads, each
// piece once anacrolix has verified it, so that a peer's extraction
// follows its download instead of starting at its end. Unlike anacrolix's
// own Reader it sets no piece priorities: that Reader makes the piece it
// waits on urgent, and every peer then asks the seeder for the same piece
// (bench n=10 256 MiB: seeder 1.74 S instead of 1.15, 42 s instead of 30).
type inOrder struct {
	ctx      context.Context
	t        *torrent.Torrent
	changes  <-chan torrent.PieceStateChange
	close    func()
	pieceLen int64
	size     int64
	off      int64
	sums     *pieceSums // nil: a piece is ready once anacrolix verified it
}

// newInOrder returns a reader of t's data; Close releases it. Reads fail
// with ctx's error once ctx ends.
func newInOrder(ctx context.Context, t *torrent.Torrent) *inOrder {
	sub := t.SubscribePieceStateChanges() // before any look at a piece's state: no change is missed
	return &inOrder{ctx: ctx, t: t, changes: sub.Values, close: sub.Close,
		pieceLen: t.Info().PieceLength, size: t.Length()}
}

func (r *inOrder) Read(b []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	i := int(r.off / r.pieceLen)
	if err := r.await(i); err != nil {
		return 0, err
	}
	n := min(int64(len(b)), min(int64(i+1)*r.pieceLen, r.size)-r.off)
	got, err := r.t.Piece(i).Storage().ReadAt(b[:n], r.off-int64(i)*r.pieceLen)
	r.off += int64(got)
	if int64(got) == n {
		err = nil // a piece's last bytes may come with io.EOF
	}
	return got, err
}

// await waits until piece i is complete, and checked when r.sums says.
func (r *inOrder) await(i int) error {
	if r.sums != nil {
		return r.sums.wait(r.ctx, i)
	}
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
