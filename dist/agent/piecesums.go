package agent

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// sha256Pieces is a storage whose pieces are checked against the SHA-256
// murder's record of the torrent gives each of them (make-torrent records
// one a piece), in place of anacrolix's SHA-1. anacrolix asks a piece that
// can hash itself (storage.SelfHashing) for its SHA-1 and compares that
// with the info's; these pieces answer with the info's SHA-1 when their
// SHA-256 is the record's, and with another when it is not. So each piece
// is hashed once, as it completes, with the stronger hash, and a piece
// anacrolix calls complete has passed its SHA-256: the extraction reads
// completed pieces without hashing them again. Before, anacrolix hashed
// each piece with SHA-1 and the extraction read it once more for its
// SHA-256: two passes and a copy of every byte.
//
// A piece that fails is fetched again, as one that fails SHA-1 is;
// anacrolix bans its peer when that peer alone sent it (its smart ban,
// which tells apart several senders, needs its own hashing). A piece whose
// SHA-1 is the info's while its SHA-256 is not the record's could never
// be fetched right: the torrent contradicts itself, and the first such
// piece is reported on conflict.
type sha256Pieces struct {
	storage.ClientImplCloser
	want     string // 32 bytes a piece
	file     string // for errors
	conflict chan error
}

// checkSHA256 wraps st in sha256Pieces when tf records per-piece digests.
func checkSHA256(st storage.ClientImplCloser, tf *torrentFile, file string) storage.ClientImplCloser {
	if tf.ext.PieceSHA256 == "" {
		return st // another tool's torrent, or an older murder's: anacrolix's SHA-1
	}
	return &sha256Pieces{ClientImplCloser: st, want: tf.ext.PieceSHA256, file: file, conflict: make(chan error, 1)}
}

// OpenTorrent implements storage.ClientImpl.
func (s *sha256Pieces) OpenTorrent(ctx context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	if len(s.want) != sha256.Size*info.NumPieces() {
		return storage.TorrentImpl{}, fmt.Errorf("%s: %d bytes of piece digests for %d pieces", s.file, len(s.want), info.NumPieces())
	}
	t, err := s.ClientImplCloser.OpenTorrent(ctx, info, ih)
	if err != nil {
		return t, err
	}
	if t.Piece == nil {
		if t.Close != nil {
			t.Close()
		}
		return storage.TorrentImpl{}, fmt.Errorf("%s: the storage has no pieces to check", s.file)
	}
	piece := t.Piece
	t.Piece = func(p metainfo.Piece) storage.PieceImpl {
		i := p.Index()
		return sha256Piece{PieceImpl: piece(p), p: p, want: s.want[sha256.Size*i : sha256.Size*(i+1)], of: s}
	}
	t.PieceWithHash = nil // anacrolix prefers it to Piece; file storage has none
	return t, nil
}

// sha256Piece is one piece of a sha256Pieces storage.
type sha256Piece struct {
	storage.PieceImpl
	p    metainfo.Piece
	want string
	of   *sha256Pieces
}

// SelfHash implements storage.SelfHashing: the info's SHA-1 if the piece's
// SHA-256 is the record's.
func (p sha256Piece) SelfHash() (metainfo.Hash, error) {
	h := p.p.V1Hash()
	if !h.Ok {
		return metainfo.Hash{}, errors.New("the piece has no SHA-1 to vouch for") // torrentcheck refuses v2 torrents
	}
	v1 := h.Value
	got, err := p.sum(sha256.New())
	if err != nil {
		return metainfo.Hash{}, err
	}
	if string(got) == p.want {
		return v1, nil
	}
	if sha, err := p.sum(sha1.New()); err == nil && bytes.Equal(sha, v1[:]) {
		select {
		case p.of.conflict <- fmt.Errorf("%s: piece %d has SHA-256 %x, the torrent records %x (with the SHA-1 the torrent gives it: the torrent contradicts itself)",
			p.of.file, p.p.Index(), got, p.want):
		default:
		}
	}
	v1[0] ^= 0xff
	return v1, nil
}

// sum hashes the piece's bytes; a piece shorter than it should be (its
// file cut short) is an error, as anacrolix's own hashing makes it.
func (p sha256Piece) sum(h hash.Hash) ([]byte, error) {
	n, err := p.WriteTo(h)
	if err == nil && n != p.p.Length() {
		err = fmt.Errorf("piece %d: read %d of %d bytes", p.p.Index(), n, p.p.Length())
	}
	if err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// WriteTo keeps the piece's io.WriterTo (file storage writes straight from
// its mapping of the file) visible through the wrapper.
func (p sha256Piece) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := p.PieceImpl.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, io.NewSectionReader(p.PieceImpl, 0, p.p.Length()))
}
