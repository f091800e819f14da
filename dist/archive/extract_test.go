package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sandbox is a test root holding dest (an existing empty directory) and an
// outside directory with a sentinel file that extraction must never touch.
type sandbox struct {
	root, dest, outside string
}

func newSandbox(t testing.TB) sandbox {
	t.Helper()
	root := t.TempDir()
	s := sandbox{root: root, dest: filepath.Join(root, "dest"), outside: filepath.Join(root, "outside")}
	must(t, os.Mkdir(s.dest, 0o755))
	must(t, os.Mkdir(s.outside, 0o755))
	must(t, os.WriteFile(filepath.Join(s.outside, "passwd"), []byte("sentinel"), 0o644))
	t.Cleanup(func() { _ = removeTree(root) })
	return s
}

func TestExtractRefusesHostile(t *testing.T) {
	s0 := newSandbox(t) // only for its absolute outside path
	abs := filepath.Join(s0.outside, "abs")
	tests := []struct {
		name  string
		ents  []ent
		entry string // the entry the error must name
	}{
		{"dotdot", []ent{{name: "../evil", body: "x"}}, "../evil"},
		{"absolute", []ent{{name: abs, body: "x"}}, abs},
		{"inner dotdot", []ent{{name: "a/../../evil", body: "x"}}, "a/../../evil"},
		{"harmless dotdot", []ent{{name: "./a/../b", body: "x"}}, "./a/../b"},
		{"empty name", []ent{{name: "", body: "x"}}, `""`},
		{"root as file", []ent{{name: ".", body: "x"}}, `"."`},
		{"absolute link", []ent{{name: "l", typ: tar.TypeSymlink, link: "/etc"}}, "l"},
		{"absolute link then write", []ent{
			{name: "l", typ: tar.TypeSymlink, link: s0.outside},
			{name: "l/passwd", body: "pwned"}}, "l"},
		{"escaping link", []ent{{name: "l", typ: tar.TypeSymlink, link: "../../x"}}, "l"},
		{"escaping nested link", []ent{{name: "a/l", typ: tar.TypeSymlink, link: "../../outside"}}, "a/l"},
		{"write through inner link", []ent{
			{name: "sub/", typ: tar.TypeDir},
			{name: "a", typ: tar.TypeSymlink, link: "sub"},
			{name: "a/file", body: "x"}}, "a/file"},
		{"link chain climbing out", []ent{
			{name: "d/x", typ: tar.TypeSymlink, link: ".."},
			{name: "y", typ: tar.TypeSymlink, link: "d/x/../.."}}, "y"},
		{"hard link", []ent{{name: "f", body: "x"}, {name: "h", typ: tar.TypeLink, link: "f"}}, "h"},
		{"char device", []ent{{name: "null", typ: tar.TypeChar}}, "null"},
		{"block device", []ent{{name: "sda", typ: tar.TypeBlock}}, "sda"},
		{"fifo", []ent{{name: "pipe", typ: tar.TypeFifo}}, "pipe"},
		{"unknown type", []ent{{name: "odd", typ: 'Z'}}, "odd"},
		{"file replaces dir", []ent{{name: "a/", typ: tar.TypeDir}, {name: "a", body: "x"}}, `"a"`},
		{"link replaces dir", []ent{
			{name: "a/", typ: tar.TypeDir},
			{name: "a", typ: tar.TypeSymlink, link: "b"}}, `"a"`},
		{"file as parent", []ent{{name: "f", body: "x"}, {name: "f/g", body: "y"}}, "f/g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			data := tgz(t, tt.ents...)
			before := snapshot(t, s.root, false)
			err := Extract(context.Background(), bytes.NewReader(data), s.dest, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.entry) {
				t.Fatalf("Extract error = %v, want one naming %s", err, tt.entry)
			}
			t.Log(err)
			if d := diffSnapshots(before, snapshot(t, s.root, false)); d != "" {
				t.Errorf("sandbox changed:\n%s", d)
			}
		})
	}
}

func TestExtractRefusesSparse(t *testing.T) {
	// Made by GNU tar -S (--format=gnu and --format=pax --sparse-version=1.0)
	// from a 100 MB file that is a hole but for its last two bytes.
	for _, name := range []string{"sparse-gnu.tgz", "sparse-pax.tgz"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		must(t, err)
		s := newSandbox(t)
		before := snapshot(t, s.root, false)
		err = Extract(context.Background(), bytes.NewReader(data), s.dest, Options{})
		if err == nil || !strings.Contains(err.Error(), "sparse") {
			t.Errorf("%s: Extract = %v, want sparse refused", name, err)
		}
		if d := diffSnapshots(before, snapshot(t, s.root, false)); d != "" {
			t.Errorf("%s: sandbox changed:\n%s", name, d)
		}
	}
}

func TestExtractTricky(t *testing.T) {
	tests := []struct {
		name string
		ents []ent
		want map[string]string // snapshot of dest without mtimes
	}{
		{"last wins", []ent{{name: "f", body: "one"}, {name: "f", body: "two"}},
			map[string]string{".": "dir drwxr-xr-x", "f": fileDesc("-rw-r--r--", "two")}},
		{"link replaced by dir", []ent{
			{name: "a", typ: tar.TypeSymlink, link: "sub"},
			{name: "a/", typ: tar.TypeDir},
			{name: "a/f", body: "x"}},
			map[string]string{".": "dir drwxr-xr-x", "a": "dir drwxr-xr-x", "a/f": fileDesc("-rw-r--r--", "x")}},
		{"file replaced by link", []ent{{name: "f", body: "x"}, {name: "f", typ: tar.TypeSymlink, link: "g"}},
			map[string]string{".": "dir drwxr-xr-x", "f": "link -> g"}},
		{"link to root", []ent{{name: "d/x", typ: tar.TypeSymlink, link: ".."}},
			map[string]string{".": "dir drwxr-xr-x", "d": "dir drwxr-xr-x", "d/x": "link -> .."}},
		{"modes", []ent{
			{name: "./", typ: tar.TypeDir, mode: 0o750},
			{name: "ro/", typ: tar.TypeDir, mode: 0o555},
			{name: "ro/f", body: "x", mode: 0o444},
			{name: "suid", body: "x", mode: 0o4755},
			{name: "sgid/", typ: tar.TypeDir, mode: 0o2775},
			{name: "sticky/", typ: tar.TypeDir, mode: 0o1777}},
			map[string]string{".": "dir drwxr-x---", "ro": "dir dr-xr-xr-x", "ro/f": fileDesc("-r--r--r--", "x"),
				"suid": fileDesc("-rwxr-xr-x", "x"), "sgid": "dir drwxrwxr-x", "sticky": "dir dtrwxrwxrwx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			must(t, Extract(context.Background(), bytes.NewReader(tgz(t, tt.ents...)), s.dest, Options{}))
			if d := diffSnapshots(tt.want, snapshot(t, s.dest, false)); d != "" {
				t.Errorf("dest differs:\n%s", d)
			}
		})
	}
}

func fileDesc(mode, body string) string {
	return fmt.Sprintf("file %s %x", mode, sha256.Sum256([]byte(body)))
}

func TestExtractCorrupt(t *testing.T) {
	big := make([]byte, 512<<10)
	_, _ = rand.Read(big)
	good := tgz(t, ent{name: "a", body: "small"}, ent{name: "big", body: string(big)})
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-8] ^= 0xff
	tests := map[string][]byte{
		"truncated":   good[:len(good)/2],
		"no trailer":  good[:len(good)-4],
		"bad crc":     badCRC,
		"not gzip":    []byte("this is not a tarball"),
		"empty input": nil,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			before := snapshot(t, s.root, false)
			err := Extract(context.Background(), bytes.NewReader(data), s.dest, Options{})
			if err == nil {
				t.Fatal("Extract succeeded")
			}
			t.Log(err)
			if d := diffSnapshots(before, snapshot(t, s.root, false)); d != "" {
				t.Errorf("sandbox changed:\n%s", d)
			}
		})
	}
}

// cancelReader cancels its context after the first read.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.cancel()
	return n, err
}

func TestExtractCancel(t *testing.T) {
	big := make([]byte, 4<<20)
	_, _ = rand.Read(big)
	data := tgz(t, ent{name: "a", body: string(big)}, ent{name: "b", body: string(big)})
	for _, early := range []bool{true, false} {
		s := newSandbox(t)
		before := snapshot(t, s.root, false)
		ctx, cancel := context.WithCancel(context.Background())
		var r io.Reader = cancelReader{bytes.NewReader(data), cancel}
		if early {
			cancel()
		}
		err := Extract(ctx, r, s.dest, Options{})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("early=%v: Extract = %v, want context.Canceled", early, err)
		}
		if d := diffSnapshots(before, snapshot(t, s.root, false)); d != "" {
			t.Errorf("early=%v: sandbox changed:\n%s", early, d)
		}
	}
}

// failReader fails the test if Extract reads anything.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("archive read although the destination was refused")
	return 0, io.EOF
}

func TestExtractDestChecks(t *testing.T) {
	s := newSandbox(t)
	must(t, os.WriteFile(filepath.Join(s.dest, "x"), nil, 0o644))
	err := Extract(context.Background(), failReader{t}, s.dest, Options{})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "destination "+s.dest+" is not empty") {
		t.Errorf("non-empty dest: %v", err)
	}
	link := filepath.Join(s.root, "link")
	must(t, os.Symlink("outside", link))
	for _, opts := range []Options{{}, {Merge: true}} {
		if err := Extract(context.Background(), failReader{t}, link, opts); err == nil || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("symlink dest %+v: %v", opts, err)
		}
	}
	file := filepath.Join(s.outside, "passwd")
	if err := Extract(context.Background(), failReader{t}, file, Options{Merge: true}); err == nil {
		t.Error("file dest accepted")
	}
}

func TestExtractMerge(t *testing.T) {
	s := newSandbox(t)
	files := map[string]string{"a.txt": "old", "keep.txt": "keep", "sub/old.txt": "old"}
	for n, b := range files {
		must(t, os.MkdirAll(filepath.Join(s.dest, filepath.Dir(n)), 0o755))
		must(t, os.WriteFile(filepath.Join(s.dest, n), []byte(b), 0o644))
	}
	must(t, os.Symlink(s.outside, filepath.Join(s.dest, "lnk")))
	data := tgz(t,
		ent{name: "./", typ: tar.TypeDir, mode: 0o700},
		ent{name: "./a.txt", body: "new"},
		ent{name: "./sub/new.txt", body: "new"},
		ent{name: "./newdir/", typ: tar.TypeDir, mode: 0o555},
		ent{name: "./newdir/inner/", typ: tar.TypeDir, mode: 0o500},
		ent{name: "./newdir/inner/x", body: "x"},
		ent{name: "./lnk/", typ: tar.TypeDir},
		ent{name: "./lnk/passwd", body: "pwned"},
	)
	outside := snapshot(t, s.outside, false)
	must(t, Extract(context.Background(), bytes.NewReader(data), s.dest, Options{Merge: true}))
	got := snapshot(t, s.dest, false)
	want := map[string]string{
		".": "dir drwxr-xr-x", "a.txt": fileDesc("-rw-r--r--", "new"), "keep.txt": fileDesc("-rw-r--r--", "keep"),
		"sub": "dir drwxr-xr-x", "sub/old.txt": fileDesc("-rw-r--r--", "old"), "sub/new.txt": fileDesc("-rw-r--r--", "new"),
		"newdir": "dir dr-xr-xr-x", "newdir/inner": "dir dr-x------", "newdir/inner/x": fileDesc("-rw-r--r--", "x"),
		"lnk": "dir drwxr-xr-x", "lnk/passwd": fileDesc("-rw-r--r--", "pwned"),
	}
	if d := diffSnapshots(want, got); d != "" {
		t.Errorf("merged dest differs:\n%s", d)
	}
	if d := diffSnapshots(outside, snapshot(t, s.outside, false)); d != "" {
		t.Errorf("merge wrote through a symlink:\n%s", d)
	}
	assertNoStaging(t, s.root)

	// A file that would replace a directory is refused before anything moves.
	before := snapshot(t, s.dest, false)
	data = tgz(t, ent{name: "a.txt", body: "newer"}, ent{name: "sub", body: "file"})
	if err := Extract(context.Background(), bytes.NewReader(data), s.dest, Options{Merge: true}); err == nil || !strings.Contains(err.Error(), "sub") {
		t.Errorf("conflicting merge: %v", err)
	}
	if d := diffSnapshots(before, snapshot(t, s.dest, false)); d != "" {
		t.Errorf("refused merge changed dest:\n%s", d)
	}
	assertNoStaging(t, s.root)
}

func TestExtractMergeIntoMissingOrEmpty(t *testing.T) {
	s := newSandbox(t)
	data := tgz(t, ent{name: "./", typ: tar.TypeDir, mode: 0o711}, ent{name: "f", body: "x"})
	for _, dest := range []string{s.dest, filepath.Join(s.root, "missing")} {
		must(t, Extract(context.Background(), bytes.NewReader(data), dest, Options{Merge: true}))
		if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o711 {
			t.Errorf("%s: mode %v, %v; want the archive root's 0711", dest, fi.Mode(), err)
		}
	}
	assertNoStaging(t, s.root)
}

func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, ".murder-extract-*"))
	if len(matches) > 0 {
		t.Errorf("staging directories left: %v", matches)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"./a/b", true}, {"./", true}, {".", true}, {"a//b/", true}, {"..a/b..", true},
		{"", false}, {"/a", false}, {"//", false}, {"..", false}, {"../a", false}, {"a/..", false},
		{"a/../b", false}, {"./a/../../b", false}, {"a\x00b", false},
	}
	for _, tt := range tests {
		if err := ValidateName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestCheckLinkTarget(t *testing.T) {
	tests := []struct {
		name, target string
		ok           bool
	}{
		{"l", "a/b", true}, {"a/l", "..", true}, {"a/b/l", "../../c", true}, {"l", "./x/./y", true},
		{"l", "..", false}, {"a/l", "../..", false}, {"l", "/etc", false}, {"l", "", false},
		{"a/l", "x/../..", false}, {"a/l", "x/..", false},
	}
	for _, tt := range tests {
		if err := checkLinkTarget(tt.name, tt.target); (err == nil) != tt.ok {
			t.Errorf("checkLinkTarget(%q, %q) = %v, want ok=%v", tt.name, tt.target, err, tt.ok)
		}
	}
}

func TestExtractVerify(t *testing.T) {
	data := tgz(t, ent{name: "a", body: "content"})
	for _, merge := range []bool{false, true} {
		s := newSandbox(t)
		before := snapshot(t, s.root, false)
		bad := errors.New("checksum mismatch")
		called := 0
		err := Extract(context.Background(), bytes.NewReader(data), s.dest, Options{Merge: merge, Verify: func() error {
			called++
			return bad
		}})
		if !errors.Is(err, bad) || called != 1 {
			t.Errorf("merge=%v: Extract = %v after %d Verify calls, want the Verify error after 1", merge, err, called)
		}
		if d := diffSnapshots(before, snapshot(t, s.root, false)); d != "" {
			t.Errorf("merge=%v: sandbox changed although Verify failed:\n%s", merge, d)
		}
		if err := Extract(context.Background(), bytes.NewReader(data), s.dest, Options{Merge: merge, Verify: func() error { return nil }}); err != nil {
			t.Errorf("merge=%v: Extract with a passing Verify = %v", merge, err)
		}
	}
}
