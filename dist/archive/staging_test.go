package archive

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStaleStagingRemoved: the leftovers of killed extractions (a staging
// directory without its lock file, one whose lock nobody holds, an orphan
// lock) are removed by the next extraction into the same parent; one
// whose lock is held (a running extraction) is kept.
func TestStaleStagingRemoved(t *testing.T) {
	parent := t.TempDir()
	noLock := filepath.Join(parent, stagingPrefix+"1")
	must(t, os.MkdirAll(filepath.Join(noLock, "sub"), 0o700))
	must(t, os.Chmod(filepath.Join(noLock, "sub"), 0o500)) // removeTree copes
	unlocked := filepath.Join(parent, stagingPrefix+"2")
	must(t, os.Mkdir(unlocked, 0o700))
	must(t, os.WriteFile(unlocked+lockSuffix, nil, 0o600))
	orphan := filepath.Join(parent, stagingPrefix+"3"+lockSuffix)
	must(t, os.WriteFile(orphan, nil, 0o600))
	live := filepath.Join(parent, stagingPrefix+"4")
	must(t, os.Mkdir(live, 0o700))
	lf, err := os.Create(live + lockSuffix)
	must(t, err)
	defer lf.Close()
	must(t, unix.Flock(int(lf.Fd()), unix.LOCK_EX))

	dest := filepath.Join(parent, "dest")
	must(t, Extract(context.Background(), bytes.NewReader(tgz(t, ent{name: "a", body: "x"})), dest, Options{}))
	for _, p := range []string{noLock, unlocked, unlocked + lockSuffix, orphan} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("stale %s still there (%v)", p, err)
		}
	}
	for _, p := range []string{live, live + lockSuffix} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("live %s removed: %v", p, err)
		}
	}
}

// TestMaxBytes: an archive whose files add up to more than MaxBytes is
// refused before the file that passes the limit is written, and dest is
// untouched; exactly MaxBytes is fine.
func TestMaxBytes(t *testing.T) {
	arc := tgz(t, ent{name: "a", body: "12345"}, ent{name: "b", body: "6789"})
	dir := t.TempDir()
	dest := filepath.Join(dir, "dest")
	err := Extract(context.Background(), bytes.NewReader(arc), dest, Options{LimitBytes: true, MaxBytes: 8})
	if err == nil || !strings.Contains(err.Error(), "more than 8 bytes") {
		t.Fatalf("9 bytes under a limit of 8: %v", err)
	}
	if _, err := os.Lstat(dest); !os.IsNotExist(err) {
		t.Errorf("dest exists after a refused extraction (%v)", err)
	}
	must(t, Extract(context.Background(), bytes.NewReader(arc), dest, Options{LimitBytes: true, MaxBytes: 9}))
	if n, err := UnpackedSize(bytes.NewReader(arc)); err != nil || n != 9 {
		t.Errorf("UnpackedSize = %d, %v; want 9", n, err)
	}
}

// TestPackSizeMatchesUnpackedSize: what Pack counts is what UnpackedSize
// reads back.
func TestPackSizeMatchesUnpackedSize(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src)
	var buf bytes.Buffer
	n, err := PackSize(context.Background(), &buf, src, nil)
	must(t, err)
	m, err := UnpackedSize(&buf)
	if err != nil || m != n || n == 0 {
		t.Errorf("PackSize %d, UnpackedSize %d (%v)", n, m, err)
	}
	if _, err := UnpackedSize(strings.NewReader("plain text")); err == nil {
		t.Error("UnpackedSize accepted a non-gzip stream")
	}
}
