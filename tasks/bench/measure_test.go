package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	stat := "cpu  100 5 50 9000 300 7 11 13 0 0\ncpu0 50 2 25 4500 150 3 5 6 0 0\n"
	got, err := parseStat([]byte(stat))
	if want := int64(100 + 5 + 50 + 7 + 11); err != nil || got != want {
		t.Errorf("parseStat = %d, %v; want %d", got, err, want)
	}
	if _, err := parseStat([]byte("intr 1 2 3\n")); err == nil {
		t.Error("parseStat accepted a file without a cpu line")
	}
	if _, err := busyJiffies(); err != nil {
		t.Errorf("this machine's /proc/stat: %v", err)
	}
}

func TestParseNetDev(t *testing.T) {
	dev := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5555555    4000    0    0    0     0          0         0 987654321  700000    0    0    0     0       0          0
`
	rx, tx, err := parseNetDev([]byte(dev), "eth0")
	if err != nil || rx != 5555555 || tx != 987654321 {
		t.Errorf("parseNetDev(eth0) = %d, %d, %v; want 5555555, 987654321", rx, tx, err)
	}
	if _, _, err := parseNetDev([]byte(dev), "eth1"); err == nil {
		t.Error("parseNetDev found a missing device")
	}
	if _, _, err := counters(os.Getpid()); err != nil && !bytes.Contains([]byte(err.Error()), []byte("no eth0")) {
		t.Errorf("counters of this process: %v", err)
	}
}

func TestChanged(t *testing.T) {
	dir := t.TempDir()
	part, dest := filepath.Join(dir, ".d.part"), filepath.Join(dir, "d")
	if err := os.Mkdir(part, 0o755); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second) // coarse file system clock
	if err := os.Rename(part, dest); err != nil {
		t.Fatal(err)
	}
	at, err := changed(dest)
	if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("changed = %v, %v; want about now", at, err)
	}
}

func TestPieceLength(t *testing.T) {
	for n, want := range map[int64]int64{64 << 20: 256 << 10, 8 << 20: 64 << 10, 16 << 20: 64 << 10, 128 << 20: 512 << 10, 256 << 20: 512 << 10, 4 << 30: 2 << 20, 100 << 30: 16 << 20, 1 << 20: 64 << 10} {
		if got := pieceLength(n); got != want {
			t.Errorf("pieceLength(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestArtifact makes a small artifact and checks that its archive holds
// exactly its files, incompressible.
func TestArtifact(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "artifact")
	const size = chunk + 12345
	if err := makeArtifact(src, size); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(dir, "a.tgz")
	sum, err := packTgz(src, tgz)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(raw); hex.EncodeToString(h[:]) != sum {
		t.Error("packTgz returned the wrong SHA-256")
	}
	if len(raw) < size {
		t.Errorf("archive of %d random bytes is only %d bytes: not incompressible", size, len(raw))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(src, hdr.Name))
		got, _ := io.ReadAll(tr)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs in the archive (%v)", hdr.Name, err)
		}
		total += int64(len(got))
	}
	if total != size {
		t.Errorf("archive holds %d bytes, want %d", total, size)
	}
}
