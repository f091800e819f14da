package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src)
	dest := filepath.Join(t.TempDir(), "out", "dest") // parent missing: created
	must(t, Extract(context.Background(), bytes.NewReader(packBytes(t, src)), dest, Options{}))
	t.Cleanup(func() { _ = removeTree(dest) })
	want := withoutGit(snapshot(t, src, true))
	if d := diffSnapshots(want, snapshot(t, dest, true)); d != "" {
		t.Errorf("extracted tree differs:\n%s", d)
	}
	if _, err := os.Lstat(filepath.Join(dest, ".gitignore")); !os.IsNotExist(err) {
		t.Errorf(".gitignore not excluded: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".murder-extract-*"))
	if len(leftovers) > 0 {
		t.Errorf("staging directories left: %v", leftovers)
	}
}

func TestPackDeterministic(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src)
	if !bytes.Equal(packBytes(t, src), packBytes(t, src)) {
		t.Error("two packs of the same tree differ")
	}
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(src, link))
	if !bytes.Equal(packBytes(t, src), packBytes(t, link)) {
		t.Error("packing through a symlink to the directory differs")
	}
}

func TestPackExclude(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src)
	tests := []struct {
		name    string
		exclude []string
		gone    []string
		kept    []string
	}{
		{"none", nil, nil, []string{".git/config", ".gitignore", "a/.gitmodules"}},
		{"git", []string{".git*"}, []string{".git", ".gitignore", "a/.gitmodules"}, []string{"a/b/c.txt"}},
		{"with slash", []string{"a/b"}, []string{"a/b"}, []string{"a/empty", ".git/config"}},
		{"several", []string{"*.sh", "ro"}, []string{"bin/run.sh", "ro"}, []string{"bin", "link"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			must(t, Pack(context.Background(), &buf, src, tt.exclude))
			dest := filepath.Join(t.TempDir(), "d")
			must(t, Extract(context.Background(), &buf, dest, Options{}))
			t.Cleanup(func() { _ = removeTree(dest) })
			for _, n := range tt.gone {
				if _, err := os.Lstat(filepath.Join(dest, n)); err == nil {
					t.Errorf("%s not excluded", n)
				}
			}
			for _, n := range tt.kept {
				if _, err := os.Lstat(filepath.Join(dest, n)); err != nil {
					t.Errorf("%s missing: %v", n, err)
				}
			}
		})
	}
}

func TestPackRefuses(t *testing.T) {
	tests := []struct {
		name string
		make func(dir string) error
		want string
	}{
		{"fifo", func(d string) error { return syscall.Mkfifo(filepath.Join(d, "pipe"), 0o644) }, "pipe"},
		{"absolute symlink", func(d string) error { return os.Symlink("/etc", filepath.Join(d, "etc")) }, "absolute"},
		{"escaping symlink", func(d string) error { return os.Symlink("../x", filepath.Join(d, "up")) }, "outside"},
		{"bad pattern", func(string) error { return nil }, "pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, tt.make(dir))
			exclude := []string{".git*"}
			if tt.name == "bad pattern" {
				exclude = []string{"["}
			}
			err := Pack(context.Background(), &bytes.Buffer{}, dir, exclude)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Pack error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if err := Pack(context.Background(), &bytes.Buffer{}, "/nonexistent/dir", nil); err == nil {
		t.Error("Pack of a missing directory succeeded")
	}
}

func TestPackHardLinkAsFiles(t *testing.T) {
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "a"), []byte("same"), 0o644))
	must(t, os.Link(filepath.Join(src, "a"), filepath.Join(src, "b")))
	dest := filepath.Join(t.TempDir(), "d")
	must(t, Extract(context.Background(), bytes.NewReader(packBytes(t, src)), dest, Options{}))
	for _, n := range []string{"a", "b"} {
		if b, err := os.ReadFile(filepath.Join(dest, n)); err != nil || string(b) != "same" {
			t.Errorf("%s = %q, %v", n, b, err)
		}
	}
}

func TestPackCancel(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Pack(ctx, &bytes.Buffer{}, src, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Pack with cancelled context = %v", err)
	}
}

func TestPackFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	must(t, os.WriteFile(src, []byte("payload"), 0o750))
	must(t, os.Chmod(src, 0o750))
	must(t, os.Chtimes(src, time.Time{}, testTime))
	dst := filepath.Join(dir, "TAG.tgz")
	must(t, os.WriteFile(dst, []byte("old"), 0o600))
	must(t, PackFile(context.Background(), dst, src))
	got := snapshot(t, dir, true)
	if got["TAG.tgz"] != got["src.bin"] {
		t.Errorf("copy = %s, want %s", got["TAG.tgz"], got["src.bin"])
	}
	must(t, PackFile(context.Background(), src, src)) // onto itself: no-op
	if b, _ := os.ReadFile(src); string(b) != "payload" {
		t.Errorf("copy onto itself changed the file: %q", b)
	}
	if err := PackFile(context.Background(), dst, dir); err == nil {
		t.Error("copying a directory succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := PackFile(ctx, filepath.Join(dir, "new"), src); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled PackFile = %v", err)
	}
	if len(snapshot(t, dir, false)) != 3 { // ".", src.bin, TAG.tgz
		t.Errorf("temporary files left: %v", snapshot(t, dir, false))
	}
}

func TestGNUTarReadsPack(t *testing.T) {
	tarBin := lookTar(t)
	src := t.TempDir()
	makeTree(t, src)
	file := filepath.Join(t.TempDir(), "TAG.tgz")
	must(t, os.WriteFile(file, packBytes(t, src), 0o644))
	out, err := exec.Command(tarBin, "tzf", file).CombinedOutput()
	if err != nil {
		t.Fatalf("tar tzf: %v\n%s", err, out)
	}
	list := strings.Split(strings.TrimSpace(string(out)), "\n")
	if list[0] != "./" {
		t.Errorf("first member %q, want ./", list[0])
	}
	for _, want := range []string{"./a/b/c.txt", "./a/empty/", "./sp ace 'q\"uote ünïcødé.txt", "./link"} {
		if !contains(list, want) {
			t.Errorf("tar tzf lacks %q:\n%s", want, out)
		}
	}
	dest := t.TempDir()
	if out, err := exec.Command(tarBin, "-x", "-p", "-z", "-f", file, "-C", dest).CombinedOutput(); err != nil {
		t.Fatalf("tar xzf: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = removeTree(dest) })
	if d := diffSnapshots(withoutGit(snapshot(t, src, true)), snapshot(t, dest, true)); d != "" {
		t.Errorf("GNU tar extracted a different tree:\n%s", d)
	}
}

func TestExtractReadsGNUTar(t *testing.T) {
	tarBin := lookTar(t)
	src := t.TempDir()
	makeTree(t, src)
	file := filepath.Join(t.TempDir(), "x.tgz")
	if out, err := exec.Command(tarBin, "czf", file, "-C", src, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar czf: %v\n%s", err, out)
	}
	f, err := os.Open(file)
	must(t, err)
	defer f.Close()
	dest := filepath.Join(t.TempDir(), "d")
	must(t, Extract(context.Background(), f, dest, Options{}))
	t.Cleanup(func() { _ = removeTree(dest) })
	if d := diffSnapshots(snapshot(t, src, true), snapshot(t, dest, true)); d != "" {
		t.Errorf("Extract of a GNU tarball differs:\n%s", d)
	}
}

func lookTar(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("tar not on PATH")
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
