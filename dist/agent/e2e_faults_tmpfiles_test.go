package agent_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Another local user can pre-create names in a shared /tmp: a symlink to a
// file we would then overwrite, a file of their own we would fill, a hard
// link to someone else's file. These tests plant each at the paths the
// agent writes, and check that the agent refuses or replaces the name, and
// never writes through it (the victim keeps its content).

const victimContent = "precious, must not change\n"

// victim writes a file the planted names point at.
func victim(t *testing.T, dir string) string {
	t.Helper()
	return writeFile(t, dir, "victim", []byte(victimContent))
}

// checkVictim fails unless the victim file is unchanged.
func checkVictim(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != victimContent {
		t.Errorf("victim %s was written through (now %q, err %v)", path, b, err)
	}
}

// TestPeerRefusesPlantedDownloadFiles: TAG.tgz and TAG.tgz.part that are
// not our own regular files are refused with a clear error before any
// write; the download never goes through them.
func TestPeerRefusesPlantedDownloadFiles(t *testing.T) {
	s := newSwarm(t, 1<<20)
	s.port = freePort(t) // the refusal comes before any announce
	s.makeTorrent(t)
	tests := []struct {
		name  string
		plant func(t *testing.T, dest, victim string)
		want  string
	}{
		{"symlink at .part", func(t *testing.T, dest, v string) { symlink(t, v, dest+".part") }, "is not a regular file but a symlink"},
		{"dangling symlink at .part", func(t *testing.T, dest, v string) { symlink(t, v+".new", dest+".part") }, "is not a regular file but a symlink"},
		{"symlink at the file", func(t *testing.T, dest, v string) { symlink(t, v, dest) }, "is not a regular file but a symlink"},
		{"fifo at .part", func(t *testing.T, dest, v string) { mkfifo(t, dest+".part") }, "is not a regular file"},
		{"hard link at .part", func(t *testing.T, dest, v string) { hardlink(t, v, dest+".part") }, "hard links"},
		{".part of another user", func(t *testing.T, dest, v string) { foreignFile(t, dest+".part") }, "belongs to uid"},
		{"file of another user", func(t *testing.T, dest, v string) { foreignFile(t, dest) }, "belongs to uid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			v := victim(t, dir)
			dest := filepath.Join(dir, "data.bin")
			tc.plant(t, dest, v)
			rd := runDir(t, dir, "run")
			r := run(t, 20*time.Second, "peer", "--run-dir", rd, "--stall-timeout", "5s", s.torrent, dest, loopback(20))
			checkOneLineError(t, r, tc.want)
			noWorkerLeft(t, rd)
			checkVictim(t, v)
			if _, err := os.Stat(v + ".new"); err == nil {
				t.Errorf("the dangling link's target %s.new was created", v)
			}
		})
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func hardlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Link(target, name); err != nil {
		t.Fatal(err)
	}
}

func mkfifo(t *testing.T, name string) {
	t.Helper()
	if r := runCmd(t, 10*time.Second, "mkfifo", name); r.code != 0 {
		t.Fatalf("mkfifo: %s", r)
	}
}

// foreignFile creates name owned by nobody (65534); it needs root.
func foreignFile(t *testing.T, name string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a file of another user")
	}
	writeFile(t, filepath.Dir(name), filepath.Base(name), []byte("theirs"))
	if err := os.Chown(name, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

// TestAtomicWritesReplacePlantedLinks: pack, pack --file, make-torrent and
// extract --file write a temporary file and rename it over the target, so
// a symlink planted at the target is replaced, never followed.
func TestAtomicWritesReplacePlantedLinks(t *testing.T) {
	s := newSwarm(t, 64<<10)
	srcDir := filepath.Join(s.dir, "tree")
	writeFile(t, mkdir(t, srcDir), "a.txt", []byte("a\n"))
	tests := []struct {
		name string
		args func(target string) []string
	}{
		{"pack", func(target string) []string { return []string{"pack", srcDir, target} }},
		{"pack --file", func(target string) []string { return []string{"pack", "--file", s.data, target} }},
		{"make-torrent", func(target string) []string {
			return []string{"make-torrent", "--run-dir", filepath.Join(filepath.Dir(target), "run"), s.data, "127.0.0.1:8998", target}
		}},
		{"extract --file", func(target string) []string { return []string{"extract", "--file", s.data, target} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			v := victim(t, dir)
			target := filepath.Join(dir, "T.tgz")
			symlink(t, v, target)
			mustRun(t, 30*time.Second, tc.args(target)...)
			checkVictim(t, v)
			if fi, err := os.Lstat(target); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s: want a regular file in place of the link, got %v (%v)", target, fi.Mode(), err)
			}
		})
	}
}

// TestExtractRefusesPlantedDestination: a destination that is a symlink to
// another directory is refused, or (--replace) the link itself is
// replaced; the directory it points to is never written.
func TestExtractRefusesPlantedDestination(t *testing.T) {
	s := newSwarm(t, 64<<10)
	srcDir := filepath.Join(s.dir, "tree")
	writeFile(t, mkdir(t, srcDir), "a.txt", []byte("a\n"))
	tgz := filepath.Join(s.dir, "T.tgz")
	mustRun(t, 30*time.Second, "pack", srcDir, tgz)
	for _, flags := range [][]string{nil, {"--merge"}, {"--replace"}} {
		t.Run(strings.Join(append([]string{"extract"}, flags...), " "), func(t *testing.T) {
			dir := t.TempDir()
			elsewhere := mkdir(t, filepath.Join(dir, "elsewhere"))
			dest := filepath.Join(dir, "dest")
			symlink(t, elsewhere, dest)
			r := run(t, 30*time.Second, append(append([]string{"extract"}, flags...), tgz, dest)...)
			if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
				t.Errorf("extract wrote into the link's target %s: %v\n%s", elsewhere, entries, r)
			}
			if r.code == 0 {
				// Only --replace may succeed, by replacing the link itself.
				if fi, err := os.Lstat(dest); flags == nil || flags[0] != "--replace" || err != nil || !fi.IsDir() {
					t.Errorf("extract succeeded through a symlinked destination:\n%s", r)
				}
				return
			}
			checkOneLineError(t, r, "is a symlink")
		})
	}
}

// TestRunDirRefusesPlantedDirectories: the run dir (pid, log and status
// files) must be our own private directory: a symlink, a directory open to
// others, or one of another user is refused before anything is written.
func TestRunDirRefusesPlantedDirectories(t *testing.T) {
	s := newSwarm(t, 64<<10)
	s.port = freePort(t)
	s.makeTorrent(t)
	tests := []struct {
		name  string
		plant func(t *testing.T, runDir string)
		want  string
	}{
		{"symlink", func(t *testing.T, rd string) { symlink(t, mkdir(t, rd+".real"), rd) }, "refusing to follow a link"},
		{"world-writable", func(t *testing.T, rd string) { mkdir(t, rd); chmod(t, rd, 0o777) }, "writable by group or others"},
		{"another user's", func(t *testing.T, rd string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root")
			}
			mkdir(t, rd)
			chmod(t, rd, 0o700)
			if err := os.Chown(rd, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "belongs to uid 65534"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rd := filepath.Join(dir, "run")
			tc.plant(t, rd)
			before := listDir(t, rd)
			r := run(t, 20*time.Second, "peer", "--run-dir", rd, s.torrent, filepath.Join(dir, "data.bin"), loopback(20))
			checkOneLineError(t, r, tc.want)
			if after := listDir(t, rd); after != before {
				t.Errorf("run dir changed from %q to %q", before, after)
			}
		})
	}
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// listDir names the entries of dir (following a link), for before/after.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var b bytes.Buffer
	for _, e := range entries {
		b.WriteString(e.Name() + " ")
	}
	return strconv.Quote(b.String())
}
