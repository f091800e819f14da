package tracker

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// rescanEvery rate-limits rescans of AllowDir triggered by unknown info-hashes,
// so garbage announces cannot keep the tracker reading the disk.
const rescanEvery = time.Second

// dirState is what the last scan of AllowDir found.
type dirState struct {
	hashes map[metainfo.Hash]string // info-hash to its token ("" for none); guarded by Server.mu

	scanMu   sync.Mutex // serializes scans; guards the fields below
	lastScan time.Time
	modTime  time.Time              // of the directory, at the last scan
	torrents map[string]torrentFile // by path, to skip re-parsing unchanged files
}

type torrentFile struct {
	modTime time.Time
	size    int64
	hash    metainfo.Hash
	token   string // from its announce URLs; "" for a tokenless torrent
}

// AllowFile registers ih in dir, an AllowDir, by creating an empty file named
// by its lowercase hex. The file appears atomically, so a tracker scanning dir
// never sees a half-made entry.
func AllowFile(dir string, ih metainfo.Hash) error {
	name := ih.HexString()
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("allow %s in %s: %w", name, dir, err)
	}
	tmp := f.Name()
	err = errors.Join(f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort; the error that matters is err
		return fmt.Errorf("allow %s in %s: %w", name, dir, err)
	}
	return nil
}

// AllowTorrent registers mi's info-hash in dir, an AllowDir, by writing the
// torrent there as <hex info-hash>.torrent: with the token its announce URLs
// carry, if any. The file is owner-only (it holds the transfer's token) and
// appears atomically. A torrent with a malformed token, or two, is refused.
func AllowTorrent(dir string, mi *metainfo.MetaInfo) error {
	name := mi.HashInfoBytes().HexString()
	if _, err := torrentToken(mi); err != nil {
		return fmt.Errorf("allow %s in %s: %w", name, dir, err)
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("allow %s in %s: %w", name, dir, err)
	}
	tmp := f.Name()
	err = errors.Join(mi.Write(f), f.Close())
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name+".torrent"))
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort; the error that matters is err
		return fmt.Errorf("allow %s in %s: %w", name, dir, err)
	}
	return nil
}

// authorized reports whether the tracker answers for ih to a request that
// presents token ("" on the tokenless routes). An info-hash registered with a
// token is answered only to that token; one registered without, and with
// AllowAll any unregistered one, only on the tokenless routes. A refusal
// rescans AllowDir (rate-limited) and asks again: the torrent may have just
// been registered, or re-made with a new token.
func (s *Server) authorized(ih metainfo.Hash, token string) bool {
	if s.authorizedNow(ih, token) {
		return true
	}
	if s.cfg.AllowDir == "" {
		return false
	}
	s.rescan()
	return s.authorizedNow(ih, token)
}

func (s *Server) authorizedNow(ih metainfo.Hash, token string) bool {
	s.mu.Lock()
	reg, ok := s.registrationLocked(ih)
	s.mu.Unlock()
	switch {
	case !ok:
		return s.cfg.AllowAll && token == ""
	case reg == "":
		return token == ""
	default:
		return token != "" && tokensEqual(token, reg)
	}
}

// known reports whether ih is registered, with or without a token.
func (s *Server) known(ih metainfo.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.knownLocked(ih)
}

// knownLocked reports whether ih was allowed explicitly or by AllowDir.
// Called with s.mu held.
func (s *Server) knownLocked(ih metainfo.Hash) bool {
	_, ok := s.registrationLocked(ih)
	return ok
}

// registrationLocked returns the token ih is registered with and whether it
// is registered at all. A token wins over a tokenless registration of the
// same info-hash (a leftover marker file must not open a tokened transfer),
// and Allow's over AllowDir's. Called with s.mu held.
func (s *Server) registrationLocked(ih metainfo.Hash) (token string, ok bool) {
	a, okA := s.allowed[ih]
	d, okD := s.dir.hashes[ih]
	switch {
	case a != "":
		return a, true
	case d != "":
		return d, true
	}
	return "", okA || okD
}

// rescan scans AllowDir if the last scan is older than rescanEvery or the
// directory changed since (a new entry changes its modification time, so a
// freshly registered torrent is seen at once while garbage costs one stat).
func (s *Server) rescan() {
	s.dir.scanMu.Lock()
	defer s.dir.scanMu.Unlock()
	fi, err := os.Stat(s.cfg.AllowDir)
	changed := err == nil && !fi.ModTime().Equal(s.dir.modTime)
	// A negative age means the clock went back: scan rather than wait.
	if age := s.now().Sub(s.dir.lastScan); !changed && age >= 0 && age < rescanEvery {
		return
	}
	if err := s.scanDirLocked(); err != nil {
		s.log.Warn("tracker: cannot rescan allow dir", "err", err)
	}
}

// scanDir reads AllowDir and replaces the info-hashes registered by it.
func (s *Server) scanDir() error {
	s.dir.scanMu.Lock()
	defer s.dir.scanMu.Unlock()
	return s.scanDirLocked()
}

func (s *Server) scanDirLocked() error {
	dir := s.cfg.AllowDir
	s.dir.lastScan = s.now() // failed scans count too, for the rate limit
	// Stat before reading, so an entry added during the scan changes the
	// directory after the recorded time and triggers the next rescan.
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("allow dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("allow dir: %w", err)
	}
	reg := s.readDirEntries(dir, entries)
	hashes, torrents := reg.hashes, reg.torrents
	for ih := range reg.conflicts {
		// Torrents of one content with different tokens: which one is
		// current is unknowable, so none is answered.
		s.log.Warn("tracker: info-hash registered with two different tokens in allow dir; not answering for it",
			"info_hash", ih.HexString())
		delete(hashes, ih)
	}
	s.dir.modTime, s.dir.torrents = fi.ModTime(), torrents

	s.mu.Lock()
	defer s.mu.Unlock()
	for ih := range hashes {
		if _, ok := s.dir.hashes[ih]; !ok {
			s.log.Info("tracker: info-hash registered from allow dir", "info_hash", ih.HexString())
		}
	}
	s.dir.hashes = hashes
	return nil
}

// readDirEntries collects the registrations of AllowDir's entries.
func (s *Server) readDirEntries(dir string, entries []os.DirEntry) *dirScan {
	reg := newDirScan(len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() {
			continue // temporary files of AllowFile, and such
		}
		if ih, ok := hexName(name); ok {
			reg.add(ih, "")
			continue
		}
		if !strings.HasSuffix(name, ".torrent") {
			continue
		}
		path := filepath.Join(dir, name)
		tf, err := s.loadTorrent(path)
		if err != nil {
			// Maybe still being written: the next rescan retries.
			s.log.Warn("tracker: skipping unreadable torrent in allow dir", "path", path, "err", err)
			continue
		}
		reg.torrents[path] = tf
		reg.add(tf.hash, tf.token)
	}
	return reg
}

// dirScan collects the registrations of one scan of AllowDir.
type dirScan struct {
	hashes    map[metainfo.Hash]string // info-hash to token
	conflicts map[metainfo.Hash]bool   // registered with two different tokens
	torrents  map[string]torrentFile
}

func newDirScan(n int) *dirScan {
	return &dirScan{
		hashes:    make(map[metainfo.Hash]string, n),
		conflicts: make(map[metainfo.Hash]bool),
		torrents:  make(map[string]torrentFile),
	}
}

// add registers ih with token. A token wins over a tokenless entry of the
// same info-hash (a leftover marker file must not open a tokened transfer).
func (d *dirScan) add(ih metainfo.Hash, token string) {
	prev, seen := d.hashes[ih]
	switch {
	case !seen || prev == "":
		d.hashes[ih] = token
	case token != "" && token != prev:
		d.conflicts[ih] = true
	}
}

// loadTorrent returns the info-hash and token of a .torrent file, from the cache of the
// previous scan if the file did not change.
func (s *Server) loadTorrent(path string) (torrentFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return torrentFile{}, err
	}
	if tf, ok := s.dir.torrents[path]; ok && tf.modTime.Equal(fi.ModTime()) && tf.size == fi.Size() {
		return tf, nil
	}
	mi, err := metainfo.LoadFromFile(path)
	if err != nil {
		return torrentFile{}, err
	}
	token, err := torrentToken(mi)
	if err != nil {
		return torrentFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return torrentFile{modTime: fi.ModTime(), size: fi.Size(), hash: mi.HashInfoBytes(), token: token}, nil
}

// hexName parses a marker file name: 40 hex digits.
func hexName(name string) (metainfo.Hash, bool) {
	var ih metainfo.Hash
	if len(name) != 2*len(ih) {
		return ih, false
	}
	_, err := hex.Decode(ih[:], []byte(name))
	return ih, err == nil
}
