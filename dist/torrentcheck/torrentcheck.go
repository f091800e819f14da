// Package torrentcheck loads and checks the .torrent files of a murder
// transfer: a single file under a plain name, well-formed pieces, a
// tracker, and murder's own record of the archive (its SHA-256 and
// unpacked size). It reads them with murder's own bencode package, not
// anacrolix/torrent, so the controller checks a .torrent without linking
// a BitTorrent library; the agent reads each torrent with anacrolix too
// and refuses one the two readers see differently.
package torrentcheck

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/murderfleet/murder/internal/bencode"
)

// MaxSize bounds a .torrent file. Murder's torrents hold ~2000 piece
// hashes (40 KiB); 16 MiB leaves room for any sane torrent while a
// hostile one cannot exhaust memory.
const MaxSize = 16 << 20

// Key is the top-level key under which make-torrent records what the v1
// format lacks. It lives outside the info dictionary, so the info-hash and
// other clients are unaffected.
const Key = "murder"

// Extension is murder's record in a .torrent.
type Extension struct {
	// SHA256 is the digest of the whole file the torrent describes (the
	// ciphertext of an encrypted archive), in canonical form (ParseDigest).
	SHA256 string `bencode:"sha256"`
	// Unpacked is the total size of the regular files in the archive's
	// tar, or the file's size for a single file; -1 if not recorded.
	Unpacked int64 `bencode:"unpacked"`
	// Sealed: the file is age ciphertext, so extracting it needs the
	// transfer's key.
	Sealed bool `bencode:"sealed,omitempty"`
	// PieceSHA256 is each piece's SHA-256, 32 bytes a piece in order, or
	// empty: a peer checks each piece as it arrives, in any order, instead
	// of the whole file front to back after the last piece.
	PieceSHA256 string `bencode:"piece sha256,omitempty"`
}

// Torrent is what murder reads of a checked .torrent.
type Torrent struct {
	Name        string // the one file's name
	NameUTF8    string // name.utf-8, when present
	Length      int64  // of the file, in bytes
	PieceLength int64
	NumPieces   int
	Announce    string   // the first tracker
	InfoHash    [20]byte // SHA-1 of the info dictionary's bytes
	// Extension is murder's record: zero SHA256 and Unpacked -1 when the
	// torrent has none.
	Extension Extension
}

// Parse reads and checks the bytes b of the .torrent named name. It
// refuses what a murder agent must never act on: a multi-file or v2
// torrent (its paths would be joined under the destination), a name that
// is empty, "." or contains "/", "\", ".." or NUL, in either name field,
// malformed pieces, no tracker, and a malformed murder record.
func Parse(b []byte, name string) (Torrent, error) {
	top, err := bencode.Fields(b)
	if err != nil {
		return Torrent{}, fmt.Errorf("torrent %s is not a valid .torrent file: %v", name, err)
	}
	t, err := parse(top)
	if err != nil {
		return Torrent{}, fmt.Errorf("torrent %s: %w", name, err)
	}
	return t, nil
}

func parse(top map[string][]byte) (Torrent, error) {
	t := Torrent{Extension: Extension{Unpacked: -1}}
	raw, ok := top["info"]
	if !ok {
		return t, errors.New("no info dictionary")
	}
	t.InfoHash = sha1.Sum(raw)
	if err := t.readInfo(raw); err != nil {
		return t, err
	}
	var err error
	if t.Announce, err = firstTracker(top); err != nil {
		return t, err
	}
	if raw, ok := top[Key]; ok {
		if t.Extension, err = readExtension(raw); err != nil {
			return t, fmt.Errorf("malformed %q record: %v", Key, err)
		}
		if n := len(t.Extension.PieceSHA256); n != 0 && n != sha256.Size*t.NumPieces {
			return t, fmt.Errorf("malformed %q record: %d bytes of piece digests for %d pieces, want %d", Key, n, t.NumPieces, sha256.Size*t.NumPieces)
		}
	}
	return t, nil
}

// readInfo reads and checks the info dictionary.
func (t *Torrent) readInfo(raw []byte) error {
	v, err := bencode.Decode(raw)
	info, ok := v.(map[string]any)
	if err != nil || !ok {
		return errors.New("no valid info dictionary: not a dictionary")
	}
	if files, ok := info["files"]; ok {
		l, _ := files.([]any)
		return fmt.Errorf("describes %d files; murder shares exactly one file", len(l))
	}
	if _, ok := info["file tree"]; ok || info["meta version"] != nil && info["meta version"] != int64(1) {
		return errors.New("is a BitTorrent v2 torrent; murder shares v1 torrents")
	}
	var pieces string
	d := dict{info, "info's "}
	err = errors.Join(d.str("name", &t.Name, true), d.str("name.utf-8", &t.NameUTF8, false),
		d.int("length", &t.Length, true), d.int("piece length", &t.PieceLength, true),
		d.str("pieces", &pieces, true))
	if err != nil {
		return fmt.Errorf("no valid info dictionary: %v", err)
	}
	t.NumPieces = len(pieces) / 20
	if err := checkName(t.Name); err != nil {
		return err
	}
	if _, ok := info["name.utf-8"]; ok {
		if err := checkName(t.NameUTF8); err != nil {
			return fmt.Errorf("name.utf-8: %w", err)
		}
	}
	return checkPieces(t.Length, t.PieceLength, len(pieces))
}

// firstTracker is the announce URL, or the first of announce-list's first
// tier: the tracker an agent announces to.
func firstTracker(top map[string][]byte) (string, error) {
	if raw, ok := top["announce"]; ok {
		v, err := bencode.Decode(raw)
		s, ok := v.(string)
		if err != nil || !ok {
			return "", errors.New("announce is not a string")
		}
		if s != "" {
			return s, nil
		}
	}
	if raw, ok := top["announce-list"]; ok {
		v, _ := bencode.Decode(raw) // on error v is nil: no tiers
		tiers, _ := v.([]any)
		if len(tiers) > 0 {
			tier, _ := tiers[0].([]any)
			if len(tier) > 0 {
				if s, ok := tier[0].(string); ok && s != "" {
					return s, nil
				}
			}
		}
	}
	return "", errors.New("names no tracker")
}

func readExtension(raw []byte) (Extension, error) {
	ext := Extension{Unpacked: -1}
	v, err := bencode.Decode(raw)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return ext, errors.New("not a dictionary")
	}
	var sealed int64
	d := dict{m, ""}
	if err := errors.Join(d.str("sha256", &ext.SHA256, false), d.int("unpacked", &ext.Unpacked, false),
		d.int("sealed", &sealed, false), d.str("piece sha256", &ext.PieceSHA256, false)); err != nil {
		return ext, err
	}
	ext.Sealed = sealed != 0
	ext.SHA256, err = ParseDigest(ext.SHA256)
	return ext, err
}

// dict reads typed fields of a decoded dictionary; what names it in errors.
type dict struct {
	m    map[string]any
	what string
}

func (d dict) str(key string, dst *string, required bool) error {
	return field(d, key, dst, required, "a string")
}

func (d dict) int(key string, dst *int64, required bool) error {
	return field(d, key, dst, required, "an integer")
}

// field sets *dst to the value at key, which must be a T (what names a T
// in errors); a missing key is an error only when required.
func field[T any](d dict, key string, dst *T, required bool, what string) error {
	v, ok := d.m[key]
	switch {
	case !ok && required:
		return fmt.Errorf("no %s%q", d.what, key)
	case !ok:
		return nil
	}
	if *dst, ok = v.(T); !ok {
		return fmt.Errorf("%s%q is not %s", d.what, key, what)
	}
	return nil
}

// ReadFile reads the .torrent at path, refusing one larger than MaxSize.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading torrent: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading torrent %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("torrent %s is larger than %d bytes; refusing it", path, MaxSize)
	}
	return b, nil
}

func checkName(name string) error {
	switch {
	case name == "" || name == ".":
		return fmt.Errorf("file name %q is not a file name", name)
	case strings.ContainsAny(name, "/\\\x00") || strings.Contains(name, ".."):
		return fmt.Errorf("file name %q contains '/', '\\', '..' or NUL; refusing it", name)
	}
	return nil
}

func checkPieces(length, pieceLength int64, pieceBytes int) error {
	if pieceLength <= 0 || pieceBytes == 0 || pieceBytes%20 != 0 || length <= 0 {
		return fmt.Errorf("malformed (piece length %d, %d piece hash bytes, length %d)", pieceLength, pieceBytes, length)
	}
	if want := (length + pieceLength - 1) / pieceLength; int64(pieceBytes/20) != want {
		return fmt.Errorf("malformed: %d pieces for %d bytes of %d-byte pieces", pieceBytes/20, length, pieceLength)
	}
	return nil
}

// ParseDigest returns the SHA-256 hex digest s in the one form murder
// compares: 64 lowercase hex digits. Upper case input is accepted and
// lowered here, once; "" stays "" (no digest).
func ParseDigest(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return "", fmt.Errorf("SHA-256 %q is not 64 hex digits", s)
	}
	return s, nil
}

// PieceLength chooses the piece length for a file of n bytes: 512 KiB up to
// 1 GiB, then doubling so a torrent stays within ~1000-2000 pieces, and
// halving (down to 64 KiB) for files under 128 MiB so there are at least
// 256 pieces to share. A peer passes a piece on only once it holds and
// has verified all of it, so shorter pieces spread faster, and with few
// pieces several peers ask the seeder for the same one at the start; but
// every piece costs messages and a hash, which outweigh the spread above
// 512 KiB-sized swarms and below 64 KiB pieces (the bench's figures are in
// the commit log).
func PieceLength(n int64) int64 {
	pl := int64(512 << 10)
	for pl < 16<<20 && n/pl > 2048 {
		pl <<= 1
	}
	for pl > 64<<10 && n/pl < 256 {
		pl >>= 1
	}
	return pl
}
