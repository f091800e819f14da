package agent_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// TestExtractNeedsMurdersSHA256: extract --torrent unpacks only an archive
// whose SHA-256 matches the one make-torrent recorded. A torrent made by
// another tool records none: its pieces were verified, but the whole
// archive cannot be, so it is refused with a clear error, and a tampered
// archive is refused too. Nothing reaches the destination either way.
func TestExtractNeedsMurdersSHA256(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "tree")
	writeFile(t, mkdir(t, src), "a.txt", []byte("a\n"))
	tgz := filepath.Join(dir, "T.tgz")
	mustRun(t, 30*time.Second, "pack", src, tgz)
	ours := filepath.Join(dir, "ours.torrent")
	mustRun(t, 30*time.Second, "make-torrent", "--run-dir", filepath.Join(dir, "run"), tgz, "127.0.0.1:8998", ours)
	foreign := foreignTorrent(t, tgz)
	tampered := filepath.Join(dir, "tampered.tgz")
	b, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	writeFile(t, dir, "tampered.tgz", b)

	tests := []struct {
		name, torrent, archive, want string
	}{
		{"foreign torrent", foreign, tgz, "records no SHA-256 (not made by murder's make-torrent)"},
		{"tampered archive", ours, tampered, "differs from"},
		{"missing torrent", filepath.Join(dir, "nope.torrent"), tgz, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "dest")
			r := run(t, 20*time.Second, "extract", "--torrent", tc.torrent, tc.archive, dest)
			checkOneLineError(t, r, tc.want)
			if _, err := os.Lstat(dest); !os.IsNotExist(err) {
				t.Errorf("destination %s exists after a refused extract (%v)", dest, err)
			}
		})
	}
	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, 20*time.Second, "extract", "--torrent", ours, tgz, dest)
	if got, err := os.ReadFile(filepath.Join(dest, "a.txt")); err != nil || string(got) != "a\n" {
		t.Errorf("extract with murder's torrent: a.txt = %q, %v", got, err)
	}
}

// foreignTorrent writes a plain v1 .torrent of file, as mktorrent would:
// valid pieces, no murder extension.
func foreignTorrent(t *testing.T, file string) string {
	t.Helper()
	info := metainfo.Info{PieceLength: 16 << 10}
	if err := info.BuildFromFilePath(file); err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{Announce: "http://127.0.0.1:8998/announce"}
	var err error
	if mi.InfoBytes, err = bencode.Marshal(info); err != nil {
		t.Fatal(err)
	}
	p := file + ".foreign.torrent"
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := mi.Write(f); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrackerListensOnlyOnItsAddress: `tracker --address` binds that
// address alone, so a tracker host with a public and a private interface
// can keep the tracker off the public one.
func TestTrackerListensOnlyOnItsAddress(t *testing.T) {
	s := newSwarm(t, 1)
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		r := run(t, 20*time.Second, "tracker", "--detach", "--address", loopback(5), "--port", strconv.Itoa(s.port), "--run-dir", s.run)
		if r.code == 0 {
			break
		}
		if attempt == 2 {
			t.Fatalf("tracker: %s", r)
		}
	}
	port := strconv.Itoa(s.port)
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(loopback(5), port), 5*time.Second); err != nil {
		t.Errorf("tracker does not answer on its address %s: %v", loopback(5), err)
	} else {
		c.Close()
	}
	for _, other := range []string{"127.0.0.1", loopback(6)} {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(other, port), 5*time.Second); err == nil {
			c.Close()
			t.Errorf("tracker bound to %s also answers on %s", loopback(5), other)
		}
	}
}

// TestTrackerAlreadyRunning: starting the tracker again from the same
// agent on the same port succeeds (the documented before-hook runs
// start_tracker on every deploy); on another port it is refused.
func TestTrackerAlreadyRunning(t *testing.T) {
	s := newSwarm(t, 1)
	s.port = freePort(t)
	args := []string{"tracker", "--detach", "--address", "127.0.0.1", "--port", strconv.Itoa(s.port), "--run-dir", s.run}
	mustRun(t, 20*time.Second, args...)
	r := mustRun(t, 20*time.Second, args...)
	if !strings.Contains(r.stdout, "tracker already running") {
		t.Errorf("second start said %s", r)
	}
	other := run(t, 20*time.Second, "tracker", "--detach", "--address", "127.0.0.1", "--port", strconv.Itoa(freePort(t)), "--run-dir", s.run)
	if other.code == 0 || !strings.Contains(other.stderr, "already running") {
		t.Errorf("start on another port: %s", other)
	}
}
