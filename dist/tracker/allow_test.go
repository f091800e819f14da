package tracker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// writeTorrent writes a minimal single-file .torrent to path and returns its
// info-hash.
func writeTorrent(t *testing.T, path, name string) metainfo.Hash {
	t.Helper()
	info := metainfo.Info{Name: name, PieceLength: 16 << 10, Length: 3, Pieces: make([]byte, 20)}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{InfoBytes: infoBytes, Announce: "http://127.0.0.1:8998/announce"}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := mi.Write(f); err != nil {
		t.Fatal(err)
	}
	return mi.HashInfoBytes()
}

func TestAllowDir(t *testing.T) {
	dir := t.TempDir()
	early := writeTorrent(t, filepath.Join(dir, "early.tgz.torrent"), "early.tgz")
	s, _ := newTestServer(t, Config{AllowDir: dir})

	late := writeTorrent(t, filepath.Join(dir, "late.tgz.torrent"), "late.tgz")
	marked := hashOf("marker")
	if err := AllowFile(dir, marked); err != nil {
		t.Fatalf("AllowFile: %v", err)
	}
	upper := hashOf("upper-case marker")
	if err := os.WriteFile(filepath.Join(dir, strings.ToUpper(upper.HexString())), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Ignored: not registered by these.
	garbage := hashOf("garbage")
	for name, data := range map[string]string{
		"broken.torrent":                   "not bencode",
		"." + garbage.HexString():          "",
		garbage.HexString()[:39] + "x":     "",
		garbage.HexString() + ".txt":       "",
		"notes-" + garbage.HexString()[:5]: "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for name, ih := range map[string]metainfo.Hash{
		"torrent present at New": early, "torrent added later": late,
		"AllowFile marker": marked, "upper-case marker": upper,
	} {
		t.Run(name, func(t *testing.T) {
			mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "a", 1, 1))
		})
	}
	r := announce(t, s, "10.0.0.1:1", annQuery(garbage, "a", 1, 1))
	if !strings.Contains(r.FailureReason, "unregistered") {
		t.Errorf("garbage info-hash: failure reason %q, want unregistered", r.FailureReason)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("AllowFile left a temporary file %s", e.Name())
		}
	}
}

// A rescan for an unknown info-hash happens at once when the directory changed,
// else at most once per second.
func TestAllowDirRescanRateLimit(t *testing.T) {
	dir := t.TempDir()
	s, clk := newTestServer(t, Config{AllowDir: dir})
	// The fake clock is behind the real one New scanned with: this scans.
	if r := announce(t, s, "10.0.0.1:1", annQuery(hashOf("x"), "a", 1, 1)); r.FailureReason == "" {
		t.Fatal("unknown info-hash accepted")
	}

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	ih := hashOf("sneaky")
	if err := AllowFile(dir, ih); err != nil {
		t.Fatal(err)
	}
	// Hide the change: same directory time as at the last scan.
	if err := os.Chtimes(dir, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	clk.advance(rescanEvery / 2)
	if r := announce(t, s, "10.0.0.1:1", annQuery(ih, "a", 1, 1)); r.FailureReason == "" {
		t.Fatal("rescanned within the rate limit although the directory looked unchanged")
	}
	clk.advance(rescanEvery / 2)
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ih, "a", 1, 1))

	// A removed registration is dropped by the next rescan.
	if err := os.Remove(filepath.Join(dir, ih.HexString())); err != nil {
		t.Fatal(err)
	}
	clk.advance(rescanEvery)
	announce(t, s, "10.0.0.1:1", annQuery(hashOf("y"), "a", 1, 1)) // triggers the rescan
	if r := announce(t, s, "10.0.0.1:1", annQuery(ih, "a", 1, 1)); r.FailureReason == "" {
		t.Error("info-hash still registered after its marker was removed")
	}
}

func TestAllowDirMissing(t *testing.T) {
	if _, err := New(Config{AllowDir: filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Error("New accepted a missing AllowDir")
	}
}

func TestAllowFileErrors(t *testing.T) {
	err := AllowFile(filepath.Join(t.TempDir(), "nope"), hashOf("x"))
	if err == nil || !strings.Contains(err.Error(), hashOf("x").HexString()) {
		t.Errorf("AllowFile into a missing dir: err = %v, want an error naming the hash", err)
	}
}

func TestNewConfig(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Interval: 15 * time.Second, MinInterval: 5 * time.Second, PeerTTL: 2 * time.Minute,
		MaxNumWant: 200, DefaultNumWant: 50, MaxPeersPerSwarm: 20000}
	if s.cfg != want {
		t.Errorf("defaults = %+v, want %+v", s.cfg, want)
	}
	for name, cfg := range map[string]Config{
		"min interval above interval": {Interval: 10 * time.Second, MinInterval: 20 * time.Second},
		"TTL not above interval":      {Interval: time.Minute, PeerTTL: time.Minute},
		"negative max numwant":        {MaxNumWant: -1},
		"sub-second interval":         {Interval: time.Millisecond},
		"negative peers per swarm":    {MaxPeersPerSwarm: -1},
		"short admin token":           {AdminToken: "short"},
		"admin token with a space":    {AdminToken: "0123456789 abcdef"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
