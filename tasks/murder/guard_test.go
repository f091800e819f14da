package murder

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestPathRefusal(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/", "is the root directory"},
		{"/etc", "is a system directory"},
		{"/home", "is a system directory"},
		{"/usr", "is a system directory"},
		{"/usr/local", "is a system directory"},
		{"/usr/home", "is a system directory"},
		{"/var/lib", "is a system directory"},
		{"/var/tmp", "is a system directory"},
		{"/private/etc", "is a system directory"},
		{"/Users", "is a system directory"},
		{"/libx32", "is a system directory"},
		{"opt/murder", "is not a clean absolute path"},
		{"/opt/../etc", "is not a clean absolute path"},
		{"/opt/murder/", "is not a clean absolute path"},
		{"/opt/mur\nder", "is not a clean absolute path"},
		{"", "is not a clean absolute path"},
		{"/opt/murder", ""},
		{"/usr/local/murder", ""},
		{"/var/lib/murder", ""},
		{"/srv/app/shared/murder", ""},
		{"/u/apps/shop/shared/murder", ""},
		{"/home/deploy", ""}, // refused on the host's answer (homeRefusal)
		{"/etcetera", ""},
	}
	for _, tt := range tests {
		if got := pathRefusal(tt.path); got != tt.want {
			t.Errorf("pathRefusal(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if err := checkMurderPath("/opt/mur\nder"); err == nil || !strings.Contains(err.Error(), `remote_murder_path "/opt/mur\nder" is not a clean`) {
		t.Errorf("checkMurderPath = %v, want the path quoted", err)
	}
}

func TestHomeRefusal(t *testing.T) {
	homes := []string{"/home/deploy", "/root", "/", "/nonexistent", "relative", "/srv/ftp/", "/var/www"}
	tests := []struct{ path, want string }{
		{"/home/deploy", "is a home directory"},
		{"/srv/ftp", "is a home directory"},
		{"/srv", "contains the home directory /srv/ftp"},
		{"/home", "contains the home directory /home/deploy"},
		{"/home/deploy/murder", ""},
		{"/home/dep", ""},
		{"/opt/murder", ""},
		{"/var/www/murder", ""},
	}
	for _, tt := range tests {
		if got := homeRefusal(tt.path, homes); got != tt.want {
			t.Errorf("homeRefusal(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestParseFacts(t *testing.T) {
	var f hostFacts
	err := parseFacts("uname=Linux x86_64\nuid=1000\nhome=/home/deploy\nhome=\nhome=/root\nreal=/opt/my murder\nowner=1000\nmode=755\ncount=      12\n", &f)
	if err != nil {
		t.Fatal(err)
	}
	want := hostFacts{uname: "Linux x86_64", uid: "1000", homes: []string{"/home/deploy", "/root"}, exists: true, real: "/opt/my murder", owner: "1000", mode: "755", count: 12}
	if fmt.Sprint(f) != fmt.Sprint(want) {
		t.Errorf("parseFacts = %+v, want %+v", f, want)
	}
	for _, bad := range []string{"uname=Linux\njunk\n", "count=many\n"} {
		if err := parseFacts(bad, &hostFacts{}); err == nil {
			t.Errorf("parseFacts(%q) = nil, want an error", bad)
		}
	}
}

// TestGuardCommandsRunSafely runs the facts and prepare commands for real
// on local directories with hostile names: they report the directory
// without creating it, then create it, and count hidden and nested
// entries, through a symbolic link too.
func TestGuardCommandsRunSafely(t *testing.T) {
	sh := func(t *testing.T, dir, line string) hostFacts {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-c", line)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		var f hostFacts
		if err := parseFacts(string(out), &f); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		return f
	}
	uid := strconv.Itoa(os.Getuid())
	for _, name := range []string{"murder", "my app", "it's", "$(touch pwned)", "a;touch pwned", "`touch pwned`", "-rf", "*"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			s := settings{MurderPath: filepath.Join(root, name)}
			f := sh(t, root, s.factsCmd())
			if f.exists || f.uname == "" || f.uid != uid || len(f.homes) == 0 {
				t.Errorf("facts of a missing directory = %+v", f)
			}
			if _, err := os.Lstat(s.MurderPath); !os.IsNotExist(err) {
				t.Errorf("facts created %s (%v)", s.MurderPath, err)
			}
			if home := os.Getenv("HOME"); home != "" && !slices.Contains(f.homes, home) {
				t.Errorf("homes %q lack $HOME %s", f.homes, home)
			}
			if u := f.uname; !strings.Contains(u, " ") {
				t.Errorf("uname = %q", u)
			}
			// A umask that would leave the new directory group-writable.
			f = sh(t, root, "umask 002; "+s.prepareCmd())
			if !f.exists || f.real != s.MurderPath || f.owner != uid || f.mode != "755" || f.count != 0 {
				t.Errorf("prepare = %+v, want %s owned by %s, mode 755, empty", f, s.MurderPath, uid)
			}
			for _, e := range []string{".hidden", "old-agent", "run/tracker.pid", "lib/a/b"} {
				p := filepath.Join(s.MurderPath, e)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(s.MurderPath, 0o750); err != nil {
				t.Fatal(err)
			}
			f = sh(t, root, s.factsCmd())
			// .hidden old-agent run run/tracker.pid lib lib/a lib/a/b
			if !f.exists || f.real != s.MurderPath || f.mode != "750" || f.count != 7 {
				t.Errorf("facts = %+v, want %s, mode 750, 7 entries", f, s.MurderPath)
			}
			link := filepath.Join(root, "link")
			if err := os.Symlink(s.MurderPath, link); err != nil {
				t.Fatal(err)
			}
			if f := sh(t, root, (settings{MurderPath: link}).factsCmd()); f.real != s.MurderPath || f.count != 7 {
				t.Errorf("facts through a link = %+v, want %s with 7 entries", f, s.MurderPath)
			}
			cmd := exec.Command("/bin/sh", "-c", (settings{MurderPath: link}).emptyCmd())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("empty: %v\n%s", err, out)
			}
			if f := sh(t, root, s.factsCmd()); f.count != 2 {
				t.Errorf("after empty through the link: %d entries, want 2 (run, run/tracker.pid)", f.count)
			}
			entries, err := os.ReadDir(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 2 {
				t.Errorf("root holds %v, want %q and link only (injected code ran?)", entries, name)
			}
		})
	}
}
