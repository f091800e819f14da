package agent_test

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestOwnerOnlyFiles: whatever the umask (0, which would leave 0666
// files, or 077), the archive pack writes, the .torrent, a peer's .part
// during the download and its file after it (which anacrolix makes 0444
// on completion) are 0600, and the run directories 0700.
func TestOwnerOnlyFiles(t *testing.T) {
	for _, mask := range []int{0, 0o077} {
		t.Run("umask "+strconv.FormatInt(int64(mask), 8), func(t *testing.T) {
			old := syscall.Umask(mask) // inherited by the agents started here
			defer syscall.Umask(old)
			checkOwnerOnly(t)
		})
	}
}

func checkOwnerOnly(t *testing.T) {
	s := newSwarm(t, 4<<20)
	tgz := filepath.Join(s.dir, "T.tgz")
	mustRun(t, 30*time.Second, "pack", filepath.Dir(s.data), tgz)
	wantMode(t, tgz, 0o600)
	file := filepath.Join(s.dir, "F")
	mustRun(t, 30*time.Second, "pack", "--file", s.data, file)
	wantMode(t, file, 0o600)
	s.start(t)
	wantMode(t, s.torrent, 0o600)
	wantMode(t, s.run, 0o700|os.ModeDir)
	p := s.newPeer(t, 1)
	if r := s.download(t, p, 60*time.Second); r.code != 0 {
		t.Fatalf("peer: %s", r)
	}
	wantMode(t, p.dest, 0o600)
	wantMode(t, p.run, 0o700|os.ModeDir)
	slow := s.newPeer(t, 2)
	if r := s.download(t, slow, 60*time.Second, "--no-wait", "--max-download-rate", "65536"); r.code != 0 {
		t.Fatalf("slow peer: %s", r)
	}
	wantMode(t, slow.dest+".part", 0o600)
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}
