package agent_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// TestUnpackedSizeRecorded: make-torrent records the unpacked size it reads
// from a plaintext tgz (what pack prints) and a plain file's size; an
// encrypted archive needs --unpacked-size.
func TestUnpackedSizeRecorded(t *testing.T) {
	dir := t.TempDir()
	src := mkdir(t, filepath.Join(dir, "tree"))
	randomFile(t, filepath.Join(src, "a"), 100000)
	writeFile(t, src, "b", []byte("12345"))
	tgz := filepath.Join(dir, "T.tgz")
	out := mustRun(t, 30*time.Second, "pack", src, tgz).stdout
	if got := unpackedSize(t, out); got != "100005" {
		t.Errorf("pack printed unpacked-size %s, want 100005", got)
	}
	for file, want := range map[string]int64{tgz: 100005, filepath.Join(src, "a"): 100000} {
		tor := file + ".torrent"
		mustRun(t, 30*time.Second, "make-torrent", "--run-dir", filepath.Join(dir, "run"), file, "127.0.0.1:8998", tor)
		if ext := readTorrent(t, tor).Extension; ext.Unpacked != want {
			t.Errorf("%s: recorded unpacked %d, want %d", tor, ext.Unpacked, want)
		}
	}
}

// TestExtractStopsAtRecordedSize: an archive that unpacks to more than its
// torrent records (a decompression bomb, here a torrent claiming less) is
// refused with DEST untouched.
func TestExtractStopsAtRecordedSize(t *testing.T) {
	dir := t.TempDir()
	src := mkdir(t, filepath.Join(dir, "tree"))
	writeFile(t, src, "a", make([]byte, 1<<20)) // compresses to ~1 KiB
	tgz := filepath.Join(dir, "T.tgz")
	mustRun(t, 30*time.Second, "pack", src, tgz)
	tor := filepath.Join(dir, "T.torrent")
	mustRun(t, 30*time.Second, "make-torrent", "--run-dir", filepath.Join(dir, "run"), "--unpacked-size", strconv.Itoa(64<<10), tgz, "127.0.0.1:8998", tor)
	dest := filepath.Join(dir, "dest")
	checkOneLineError(t, run(t, 30*time.Second, "extract", "--torrent", tor, tgz, dest), "unpacks to more than 65536 bytes")
	if _, err := os.Lstat(dest); !os.IsNotExist(err) {
		t.Errorf("destination exists after a refused extract (%v)", err)
	}
	mustRun(t, 30*time.Second, "extract", tgz, dest) // no torrent: no recorded size
}

// TestHostileTorrentsRefused: peer, seeder and extract refuse a multi-file
// torrent and one whose name is a path, before anything is written.
func TestHostileTorrentsRefused(t *testing.T) {
	dir := t.TempDir()
	hostile := map[string]metainfo.Info{
		"multi-file": {Name: "T", PieceLength: 16384, Pieces: make([]byte, 20),
			Files: []metainfo.FileInfo{{Path: []string{"a"}, Length: 5}, {Path: []string{"..", "b"}, Length: 5}}},
		"path name": {Name: "../T.tgz", Length: 10, PieceLength: 16384, Pieces: make([]byte, 20)},
	}
	for name, info := range hostile {
		t.Run(name, func(t *testing.T) {
			ib, err := bencode.Marshal(info)
			if err != nil {
				t.Fatal(err)
			}
			mi := metainfo.MetaInfo{InfoBytes: ib, Announce: "http://127.0.0.1:1/announce"}
			tor := filepath.Join(dir, name+".torrent")
			f, err := os.Create(tor)
			if err != nil {
				t.Fatal(err)
			}
			if err := mi.Write(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			d := t.TempDir()
			dest := filepath.Join(d, "T.tgz")
			rd := runDir(t, d, "run")
			checkOneLineError(t, run(t, 20*time.Second, "peer", "--run-dir", rd, tor, dest, "127.0.0.20"), "torrent "+tor)
			checkOneLineError(t, run(t, 20*time.Second, "seeder", "--run-dir", rd, tor, dest, "127.0.0.2"), "torrent "+tor)
			checkOneLineError(t, run(t, 20*time.Second, "extract", "--torrent", tor, dest, filepath.Join(d, "x")), "torrent "+tor)
			if entries, _ := os.ReadDir(d); len(entries) > 1 {
				t.Errorf("something was written: %v", entries)
			}
		})
	}
}
