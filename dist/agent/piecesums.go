package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/anacrolix/torrent"
)

// pieceSums checks each piece of a download against the SHA-256 its torrent
// records for it, as anacrolix completes the piece (its SHA-1 verified),
// in whatever order the pieces come. The extraction reads only checked
// pieces, so it no longer hashes the whole archive front to back: most of
// the archive is only ready for it once the last piece has arrived (peers
// take the rarest pieces first), and ten hosts hashing it then on shared
// cores made a fifth of a transfer's last seconds.
type pieceSums struct {
	t    *torrent.Torrent
	want []byte // 32 bytes a piece
	file string // for errors

	mu      sync.Mutex
	ok      []bool
	err     error
	changed chan struct{} // closed at each change, then replaced
}

func newPieceSums(t *torrent.Torrent, want []byte, file string) *pieceSums {
	return &pieceSums{t: t, want: want, file: file, ok: make([]bool, t.NumPieces()), changed: make(chan struct{})}
}

// run checks pieces as they complete until every piece is checked, one
// fails or ctx ends.
func (p *pieceSums) run(ctx context.Context) {
	sub := p.t.SubscribePieceStateChanges() // before any look at a piece's state: no change is missed
	defer sub.Close()
	buf := make([]byte, p.t.Info().PieceLength)
	left := len(p.ok)
	defer func() {
		// A waiter must not wait for pieces that will not be checked.
		p.mu.Lock()
		defer p.mu.Unlock()
		if left > 0 && p.err == nil {
			p.err = errors.Join(errors.New("piece checks stopped"), ctx.Err())
			close(p.changed)
		}
	}()
	check := func(i int) bool {
		if p.ok[i] || !p.t.PieceState(i).Complete {
			return true
		}
		err := p.check(i, buf)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			p.err = err
		} else {
			p.ok[i] = true
			left--
		}
		close(p.changed)
		p.changed = make(chan struct{})
		return err == nil
	}
	for i := range p.ok {
		if !check(i) {
			return
		}
	}
	for left > 0 {
		select {
		case <-ctx.Done():
			return
		case c, open := <-sub.Values:
			if !open {
				return
			}
			if c.Complete && !check(c.Index) {
				return
			}
		}
	}
}

// check reads piece i and compares its SHA-256 with the torrent's.
func (p *pieceSums) check(i int, buf []byte) error {
	n := p.t.Piece(i).Info().Length()
	if _, err := readPiece(p.t, i, buf[:n], 0); err != nil {
		return fmt.Errorf("%s: reading piece %d: %w", p.file, i, err)
	}
	sum := sha256.Sum256(buf[:n])
	if !bytes.Equal(sum[:], p.want[32*i:32*i+32]) {
		return fmt.Errorf("%s: piece %d has SHA-256 %x, the torrent records %x", p.file, i, sum, p.want[32*i:32*i+32])
	}
	return nil
}

// wait returns once piece i is checked, with the error of a piece that
// failed its check, or when ctx ends.
func (p *pieceSums) wait(ctx context.Context, i int) error {
	for {
		p.mu.Lock()
		ok, err, changed := p.ok[i], p.err, p.changed
		p.mu.Unlock()
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}
