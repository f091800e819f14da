package agent

import (
	"github.com/murderfleet/murder/dist/passkey"
	"github.com/murderfleet/murder/internal/ctxio"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/murderfleet/murder/dist/seal"
	"github.com/murderfleet/murder/dist/torrentcheck"
	"github.com/murderfleet/murder/dist/tracker"
)

// torrentFile is a parsed and checked .torrent (torrentcheck.Parse).
type torrentFile struct {
	path string
	mi   *metainfo.MetaInfo
	info metainfo.Info
	ext  torrentcheck.Extension
}

// loadTorrent reads and checks a .torrent, with one clear error for a
// missing, truncated, garbage or hostile file (several files, a name with
// a path in it).
func loadTorrent(path string) (*torrentFile, error) {
	b, err := torrentcheck.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tf, err := parseTorrent(b, path)
	if err != nil {
		return nil, err
	}
	tf.path = path
	return tf, nil
}

// parseTorrent checks the .torrent b (named name in errors) with
// torrentcheck, reads it again with anacrolix, which downloads it, and
// refuses one the two readers see differently: what was checked must be
// what the client acts on.
func parseTorrent(b []byte, name string) (*torrentFile, error) {
	t, err := torrentcheck.Parse(b, name)
	if err != nil {
		return nil, err
	}
	mi, err := metainfo.Load(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("torrent %s is not a valid .torrent file: %v", name, err)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return nil, fmt.Errorf("torrent %s: no valid info dictionary: %v", name, err)
	}
	tf := &torrentFile{mi: mi, info: info, ext: t.Extension}
	if mi.HashInfoBytes() != t.InfoHash || info.Name != t.Name || info.NameUtf8 != t.NameUTF8 ||
		len(info.Files) != 0 || info.TotalLength() != t.Length || info.PieceLength != t.PieceLength ||
		info.NumPieces() != t.NumPieces || tf.announceURL() != t.Announce {
		return nil, fmt.Errorf("torrent %s reads one way to murder's check and another to the BitTorrent client; refusing it", name)
	}
	return tf, nil
}

// announceURL is the first tracker of the torrent.
func (t *torrentFile) announceURL() string {
	if t.mi.Announce != "" || len(t.mi.AnnounceList) == 0 || len(t.mi.AnnounceList[0]) == 0 {
		return t.mi.Announce
	}
	return t.mi.AnnounceList[0][0]
}

// runMakeTorrent: make-torrent FILE TRACKERHOST:PORT TARGET.
func runMakeTorrent(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("make-torrent", flag.ContinueOnError)
	pieceLen := fs.Int64("piece-length", 0, "piece length in bytes, a power of two (0: chosen from the size)")
	unpacked := fs.Int64("unpacked-size", -1, "record this unpacked size (bytes of regular files, as pack prints it); needed for an encrypted FILE (-1: read it from FILE)")
	runDir := fs.String("run-dir", defaultRunDir(), "run directory; the torrent is allowed at a tracker running from it")
	tokenFile := fs.String("token-file", "", "read the transfer's tracker token from this owner-only file (- for stdin): the announce URL then carries it, over https")
	plainHTTP := fs.Bool("plain-http", false, "with --token-file, announce over plain http (for clients that verify a tracker's certificate)")
	rest, err := parseFlags(fs, args, 3, 3)
	if err != nil {
		return err
	}
	file, trackerArg, target := rest[0], rest[1], rest[2]
	token, err := readToken(*tokenFile, env.stdin)
	if err != nil {
		return err
	}
	announce, err := announceFromArg(trackerArg, token)
	if err != nil {
		return usagef("%v", err)
	}
	if *plainHTTP {
		announce = strings.Replace(announce, "https://", "http://", 1)
	}
	if *pieceLen != 0 && (*pieceLen < 16<<10 || *pieceLen&(*pieceLen-1) != 0) {
		return usagef("--piece-length %d is not a power of two of at least 16384", *pieceLen)
	}
	if *unpacked < -1 {
		return usagef("--unpacked-size %d is negative", *unpacked)
	}
	tf, err := makeTorrent(ctx, file, announce, *pieceLen, *unpacked)
	if err != nil {
		return err
	}
	if err := writeTorrent(target, tf); err != nil {
		return err
	}
	_ = allowTorrentLocally(*runDir, tf)
	fmt.Fprintf(env.stdout, "created %s: %s, %d bytes, %d pieces of %d, info-hash %s\n",
		target, filepath.Base(file), tf.info.TotalLength(), tf.info.NumPieces(), tf.info.PieceLength, tf.mi.HashInfoBytes().HexString())
	return nil
}

// announceFromArg turns the original's TRACKERHOST:PORT into an announce
// URL, with the transfer's token when there is one; a full http:// URL is
// taken as it is.
func announceFromArg(s, token string) (string, error) {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		if token != "" {
			return "", fmt.Errorf("tracker %q: give HOST:PORT with --token-file", s)
		}
		return s, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", fmt.Errorf("tracker %q is not HOST:PORT", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("tracker port %q is not a port number", port)
	}
	p, _ := strconv.Atoi(port)
	return tracker.AnnounceURL(host, p, token), nil
}

// readToken reads a transfer token from an owner-only file, or stdin for
// "-"; "" means no token.
func readToken(path string, stdin io.Reader) (string, error) {
	if path == "" {
		return "", nil
	}
	tok, err := seal.ReadSecret(path, stdin)
	if err != nil {
		return "", usagef("--token-file: %v", err)
	}
	if err := passkey.Valid(tok); err != nil {
		return "", usagef("--token-file: %v", err)
	}
	return tok, nil
}

// PieceLength is the piece length murder's torrents use for n bytes.
func PieceLength(n int64) int64 { return torrentcheck.PieceLength(n) }

// makeTorrent hashes file once, computing the v1 piece hashes, the
// whole-file SHA-256 and, unless unpacked is given (>= 0), the unpacked
// size from the same read.
func makeTorrent(ctx context.Context, file, announce string, pieceLen, unpacked int64) (*torrentFile, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("file to share: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (pack a directory into a .tgz first)", file)
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("%s is empty: nothing to share", file)
	}
	if pieceLen == 0 {
		pieceLen = PieceLength(fi.Size())
	}
	counter, err := newUnpackedCounter(file, fi.Size(), unpacked)
	if err != nil {
		return nil, err
	}
	info := metainfo.Info{Name: filepath.Base(file), Length: fi.Size(), PieceLength: pieceLen}
	sum, pieces := sha256.New(), &pieceDigests{pieceLen: pieceLen, h: sha256.New()}
	err = info.GeneratePieces(func(metainfo.FileInfo) (io.ReadCloser, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		return teeCloser{ctxio.Reader(ctx, f), io.MultiWriter(sum, pieces, counter), f}, nil
	})
	size := counter.result()
	if err != nil {
		return nil, fmt.Errorf("hashing %s: %w", file, err)
	}
	ib, err := bencode.Marshal(info)
	if err != nil {
		return nil, err
	}
	mi := &metainfo.MetaInfo{InfoBytes: ib, Announce: announce, CreatedBy: "murder", CreationDate: time.Now().Unix()}
	ext := torrentcheck.Extension{SHA256: hex.EncodeToString(sum.Sum(nil)), Unpacked: size, Sealed: isSealed(file),
		PieceSHA256: string(pieces.result())}
	return &torrentFile{mi: mi, info: info, ext: ext}, nil
}

// pieceDigests is a writer that takes a file front to back and keeps the
// SHA-256 of each piece.
type pieceDigests struct {
	pieceLen int64
	h        hash.Hash
	n        int64  // bytes of the current piece so far
	sums     []byte // 32 bytes a finished piece
}

func (p *pieceDigests) Write(b []byte) (int, error) {
	total := len(b)
	for len(b) > 0 {
		k := min(int64(len(b)), p.pieceLen-p.n)
		p.h.Write(b[:k])
		p.n += k
		b = b[k:]
		if p.n == p.pieceLen {
			p.sums, p.n = p.h.Sum(p.sums), 0
			p.h.Reset()
		}
	}
	return total, nil
}

// result is the digests of every piece, the last one however short.
func (p *pieceDigests) result() []byte {
	if p.n > 0 {
		p.sums, p.n = p.h.Sum(p.sums), 0
	}
	return p.sums
}

// writeTorrent writes the .torrent with the murder extension, atomically.
func writeTorrent(target string, tf *torrentFile) error {
	var buf bytes.Buffer
	if err := tf.mi.Write(&buf); err != nil {
		return err
	}
	var top map[string]bencode.Bytes
	if err := bencode.Unmarshal(buf.Bytes(), &top); err != nil {
		return err
	}
	ext, err := bencode.Marshal(tf.ext)
	if err != nil {
		return err
	}
	top[torrentcheck.Key] = ext
	out, err := bencode.Marshal(top)
	if err != nil {
		return err
	}
	return writeFileAtomic(target, out, archivePerm)
}

// writeFileAtomic writes data to a fresh temporary file beside path and
// renames it into place, so readers never see half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

type teeCloser struct {
	r io.Reader
	h io.Writer
	c io.Closer
}

func (t teeCloser) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.h.Write(p[:n])
	return n, err
}

func (t teeCloser) Close() error { return t.c.Close() }

var errMismatch = errors.New("does not match the torrent")

// isSealed reports whether file is age ciphertext.
func isSealed(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(seal.Magic))
	n, _ := io.ReadFull(f, head)
	return seal.IsEncrypted(head[:n])
}
