package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidateName checks that accepted entry names and symlink targets are
// local, i.e. cannot lead outside the destination.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "./a/b/", "../x", "/abs", "a/../b", ".", "", "a\x00b", "..a"} {
		f.Add(s, "../"+s)
	}
	f.Fuzz(func(t *testing.T, name, target string) {
		clean, err := cleanName(name)
		if err != nil {
			return
		}
		if clean != "." && !filepath.IsLocal(clean) {
			t.Fatalf("ValidateName accepted %q (clean %q), which is not local", name, clean)
		}
		if ValidateName(name) != nil {
			t.Fatalf("ValidateName and cleanName disagree on %q", name)
		}
		if clean == "." || checkLinkTarget(clean, target) != nil {
			return
		}
		if resolved := filepath.Join(filepath.Dir(clean), target); !filepath.IsLocal(resolved) && resolved != "." {
			t.Fatalf("link %q -> %q accepted but resolves to %q", clean, target, resolved)
		}
	})
}

// FuzzExtract feeds arbitrary bytes to Extract: it must never panic, never
// touch anything outside dest, never leave a staging directory, leave dest
// absent on error and only create symlinks that resolve inside dest.
func FuzzExtract(f *testing.F) {
	seeds := [][]ent{
		{{name: "./", typ: tar.TypeDir}, {name: "./a/b", body: "x"}, {name: "./l", typ: tar.TypeSymlink, link: "a/b"}},
		{{name: "../evil", body: "x"}},
		{{name: "l", typ: tar.TypeSymlink, link: "../outside"}, {name: "l/passwd", body: "x"}},
		{{name: "sub/", typ: tar.TypeDir}, {name: "a", typ: tar.TypeSymlink, link: "sub"}, {name: "a/f", body: "x"}},
		{{name: "d/x", typ: tar.TypeSymlink, link: ".."}, {name: "y", typ: tar.TypeSymlink, link: "d/x/../.."}},
		{{name: "h", typ: tar.TypeLink, link: "../outside/passwd"}},
	}
	for _, s := range seeds {
		f.Add(tgz(f, s...))
	}
	for _, name := range []string{"sparse-gnu.tgz", "sparse-pax.tgz"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		must(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return // keeps gzip bombs from filling the disk
		}
		root := t.TempDir()
		dest, outside := filepath.Join(root, "dest"), filepath.Join(root, "outside")
		must(t, os.Mkdir(outside, 0o755))
		must(t, os.WriteFile(filepath.Join(outside, "passwd"), []byte("sentinel"), 0o644))
		t.Cleanup(func() { _ = removeTree(root) })
		before := snapshot(t, outside, true)

		err := Extract(context.Background(), bytes.NewReader(data), dest, Options{})

		if d := diffSnapshots(before, snapshot(t, outside, true)); d != "" {
			t.Fatalf("outside changed:\n%s", d)
		}
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.Name() != "dest" && e.Name() != "outside" {
				t.Fatalf("unexpected %s left beside dest", e.Name())
			}
		}
		if err != nil {
			if _, serr := os.Lstat(dest); serr == nil {
				t.Fatalf("dest created although Extract failed: %v", err)
			}
			return
		}
		checkLinksInside(t, dest)
	})
}

// checkLinksInside fails if a symlink under dest resolves outside it.
func checkLinksInside(t *testing.T, dest string) {
	t.Helper()
	realDest, err := filepath.EvalSymlinks(dest)
	must(t, err)
	_ = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or looping: cannot lead anywhere
		}
		if r != realDest && !strings.HasPrefix(r, realDest+string(filepath.Separator)) {
			t.Errorf("symlink %s resolves outside dest to %s", p, r)
		}
		return nil
	})
}
