// Package torrentcheck loads and checks the .torrent files of a murder
// transfer: a single file under a plain name, well-formed pieces, a
// tracker, and murder's own record of the archive (its SHA-256 and
// unpacked size). It imports only anacrolix's metainfo and bencode, not
// the BitTorrent client, so the controller can check a .torrent it has
// downloaded from a seeder before handing it to the peers.
package torrentcheck

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
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
}

// Load reads the .torrent at path, at most MaxSize bytes, and checks it
// with Check.
func Load(path string) (*metainfo.MetaInfo, error) {
	mi, _, err := LoadExtension(path)
	return mi, err
}

// LoadExtension is Load that also returns murder's record (zero SHA256 and
// Unpacked -1 when the torrent has none). A record that is present but
// malformed is an error.
func LoadExtension(path string) (*metainfo.MetaInfo, Extension, error) {
	b, err := readCapped(path)
	if err != nil {
		return nil, Extension{}, err
	}
	return Parse(b, path)
}

// Parse is LoadExtension for the bytes b of the .torrent named name.
func Parse(b []byte, name string) (*metainfo.MetaInfo, Extension, error) {
	ext := Extension{Unpacked: -1}
	mi, err := metainfo.Load(bytes.NewReader(b))
	if err != nil {
		return nil, ext, fmt.Errorf("torrent %s is not a valid .torrent file: %v", name, err)
	}
	if err := Check(mi); err != nil {
		return nil, ext, fmt.Errorf("torrent %s: %w", name, err)
	}
	var top map[string]bencode.Bytes
	if err := bencode.Unmarshal(b, &top); err != nil {
		return nil, ext, fmt.Errorf("torrent %s is not a valid .torrent file: %v", name, err)
	}
	raw, ok := top[Key]
	if !ok {
		return mi, ext, nil
	}
	if err := bencode.Unmarshal(raw, &ext); err != nil {
		return nil, ext, fmt.Errorf("torrent %s: malformed %q record: %v", name, Key, err)
	}
	if ext.SHA256, err = ParseDigest(ext.SHA256); err != nil {
		return nil, ext, fmt.Errorf("torrent %s: %q record: %v", name, Key, err)
	}
	return mi, ext, nil
}

func readCapped(path string) ([]byte, error) {
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

// Check refuses what a murder agent must never act on: a multi-file
// torrent (its paths would be joined under the destination), a name that
// is empty, "." or contains "/", "\", ".." or NUL, in either name field,
// malformed pieces, and no tracker.
func Check(mi *metainfo.MetaInfo) error {
	if len(mi.InfoBytes) == 0 {
		return errors.New("no info dictionary")
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return fmt.Errorf("no valid info dictionary: %v", err)
	}
	if len(info.Files) > 0 {
		return fmt.Errorf("describes %d files; murder shares exactly one file", len(info.Files))
	}
	if err := checkName(info.Name); err != nil {
		return err
	}
	if info.NameUtf8 != "" {
		if err := checkName(info.NameUtf8); err != nil {
			return fmt.Errorf("name.utf-8: %w", err)
		}
	}
	if err := checkPieces(&info); err != nil {
		return err
	}
	if mi.Announce == "" && (len(mi.AnnounceList) == 0 || len(mi.AnnounceList[0]) == 0) {
		return errors.New("names no tracker")
	}
	return nil
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

func checkPieces(info *metainfo.Info) error {
	if info.PieceLength <= 0 || len(info.Pieces) == 0 || len(info.Pieces)%20 != 0 || info.TotalLength() <= 0 {
		return fmt.Errorf("malformed (piece length %d, %d piece hash bytes, length %d)",
			info.PieceLength, len(info.Pieces), info.TotalLength())
	}
	if want := (info.TotalLength() + info.PieceLength - 1) / info.PieceLength; int64(info.NumPieces()) != want {
		return fmt.Errorf("malformed: %d pieces for %d bytes of %d-byte pieces", info.NumPieces(), info.TotalLength(), info.PieceLength)
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
// smaller for small files so there are at least ~64 pieces to share.
// Measured on the shaped fleet (go tool mage bench methods=murder n=5,10,
// 128 MiB, 100 Mbit/s links, 2 cores, one request per piece): 256 KiB
// pieces 19.1 / 21.6 s, 512 KiB 18.2 / 21.9 s, 1 MiB 18.5 / 23.8 s, 2 MiB
// 22.0 / 27.6 s. A peer passes a piece on only once it holds and has
// verified all of it, so shorter pieces spread faster; below 512 KiB the
// per-piece messages and hashing cost more CPU than the spread gains.
func PieceLength(n int64) int64 {
	pl := int64(512 << 10)
	for pl < 16<<20 && n/pl > 2048 {
		pl <<= 1
	}
	for pl > 64<<10 && n/pl < 64 {
		pl >>= 1
	}
	return pl
}
