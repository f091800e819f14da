package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ent describes one entry of a hand-made test archive.
type ent struct {
	name string
	typ  byte
	body string
	link string
	mode int64
}

// tgz builds a gzip-compressed tarball from ents with archive/tar, so tests
// can make archives that Pack would never write.
func tgz(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range ents {
		typ, mode := e.typ, e.mode
		if typ == 0 {
			typ = tar.TypeReg
		}
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: mode,
			ModTime: time.Unix(1700000000, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write header %q: %v", e.name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// snapshot describes every entry under root (type, mode, content hash, link
// target and, with mtimes, modification times) keyed by relative path.
func snapshot(t testing.TB, root string, mtimes bool) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		var s string
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			s = "link -> " + target
		case fi.IsDir():
			s = fmt.Sprintf("dir %v", fi.Mode())
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s = fmt.Sprintf("file %v %x", fi.Mode(), sha256.Sum256(b))
		default:
			s = fmt.Sprintf("other %v", fi.Mode())
		}
		if mtimes {
			s += fmt.Sprintf(" @%d", fi.ModTime().Unix())
		}
		m[rel] = s
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", root, err)
	}
	return m
}

// diffSnapshots returns a readable difference between two snapshots, or "".
func diffSnapshots(want, got map[string]string) string {
	var b strings.Builder
	for k, w := range want {
		if g, ok := got[k]; !ok {
			fmt.Fprintf(&b, "missing %q (%s)\n", k, w)
		} else if g != w {
			fmt.Fprintf(&b, "%q: want %s, got %s\n", k, w, g)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "extra %q (%s)\n", k, g)
		}
	}
	return b.String()
}

// testTime is the mtime given to every entry of the test tree.
var testTime = time.Unix(1600000000, 0)

// makeTree builds the round-trip test tree under dir (which must exist):
// nested and empty directories, exec and read-only modes, a sticky
// directory, odd names, relative symlinks and .git* entries to exclude.
func makeTree(t testing.TB, dir string) {
	t.Helper()
	files := []struct {
		name, body string
		mode       fs.FileMode
	}{
		{"a/b/c.txt", "hello\n", 0o644},
		{"bin/run.sh", "#!/bin/sh\necho hi\n", 0o755},
		{"sp ace 'q\"uote ünïcødé.txt", "odd name\n", 0o640},
		{"ro/f", "read only\n", 0o444},
		{"big.bin", strings.Repeat("0123456789abcdef", 70000), 0o600},
		{".git/config", "[core]\n", 0o644},
		{".gitignore", "*.o\n", 0o644},
		{"a/.gitmodules", "x\n", 0o644},
		{"empty.txt", "", 0o644},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.body), f.mode))
		must(t, os.Chmod(p, f.mode))
	}
	must(t, os.MkdirAll(filepath.Join(dir, "a/empty"), 0o750))
	must(t, os.Mkdir(filepath.Join(dir, "tmp"), 0o755))
	must(t, os.Chmod(filepath.Join(dir, "tmp"), 0o777|fs.ModeSticky))
	must(t, os.Symlink("a/b/c.txt", filepath.Join(dir, "link")))
	must(t, os.Symlink("../../bin/run.sh", filepath.Join(dir, "a/b/up")))
	must(t, os.Chmod(filepath.Join(dir, "ro"), 0o555))
	setTimes(t, dir)
	t.Cleanup(func() { _ = removeTree(dir) })
}

// setTimes gives every entry under dir testTime, deepest first.
func setTimes(t testing.TB, dir string) {
	t.Helper()
	var paths []string
	must(t, filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	}))
	for i := len(paths) - 1; i >= 0; i-- {
		must(t, lchtimes(paths[i], testTime))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// packBytes packs dir with the default exclude and returns the tarball.
func packBytes(t testing.TB, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, Pack(context.Background(), &buf, dir, []string{".git*"}))
	return buf.Bytes()
}

// withoutGit drops the entries ".git*" excludes from a snapshot.
func withoutGit(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.Contains(k, ".git") {
			out[k] = v
		}
	}
	return out
}
