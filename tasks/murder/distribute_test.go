package murder

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks/taskstest"
)

// distHost is what a fake host answers distribute_files.
type distHost struct {
	uname   string
	uid     string
	homes   []string // $HOME first, then passwd's
	dir     *dirState
	created dirState // what prepare reports after mkdir -p
	agent   string   // the SHA-256 of the agent there
}

// dirState is remote_murder_path as the host reports it.
type dirState struct {
	real, owner, mode string
	count             int
}

func (d dirState) lines() string {
	return fmt.Sprintf("real=%s\nowner=%s\nmode=%s\ncount=%8d\n", d.real, d.owner, d.mode, d.count)
}

// healthy is a host of deploy (uid 1000) where /opt/murder holds an
// older agent.
func healthy() distHost {
	return distHost{
		uname: "Linux x86_64", uid: "1000", homes: []string{"/home/deploy", "/root", "/home/deploy", "/usr/sbin", "/nonexistent"},
		dir:     &dirState{"/opt/murder", "1000", "755", 3},
		created: dirState{"/opt/murder", "1000", "755", 0},
		agent:   "0000old",
	}
}

// respond answers the commands of distribute_files as a.
func (a distHost) respond(_, cmd string) (taskstest.Reply, bool) {
	switch {
	case strings.Contains(cmd, "getent passwd"):
		out := "uname=" + a.uname + "\nuid=" + a.uid + "\n"
		for _, h := range a.homes {
			out += "home=" + h + "\n"
		}
		if a.dir != nil {
			out += a.dir.lines()
			if a.agent != "" {
				out += "agent=" + a.agent + "\n"
			}
		}
		return taskstest.Reply{Stdout: out}, true
	case strings.Contains(cmd, "mkdir -p"):
		return taskstest.Reply{Stdout: a.created.lines()}, true
	case strings.Contains(cmd, ".murder-agent.new."):
		out := "installed\n"
		if strings.Contains(cmd, " serve-agent ") {
			out += "serving murder-agent sha256:0123 on port 41234 (pid 77)\n"
		}
		return taskstest.Reply{Stdout: out}, true
	}
	return taskstest.Reply{}, false
}

// withMurderPath is fleetYAML with remote_murder_path p.
func withMurderPath(p string) string {
	return strings.Replace(fleetYAML, "remote_murder_path: /opt/murder", "remote_murder_path: "+p, 1)
}

func TestDistributeFiles(t *testing.T) {
	const (
		facts   = "getent passwd"
		prepare = "mkdir -p -m 755 -- /opt/murder && cd -P -- /opt/murder && "
		empty   = "set -e; find -H /opt/murder -mindepth 1 -maxdepth 1 '!' -name run -exec rm -rf -- '{}' +; tmp=/opt/murder/.murder-agent.new.$$"
		upload  = "set -e; tmp=/opt/murder/.murder-agent.new.$$; trap 'rm -f -- \"$tmp\"' EXIT; cat > \"$tmp\"; "
	)
	tests := []struct {
		name    string
		host    func(*distHost)
		want    []string // each peer's operations, by substring
		wantErr string
	}{
		{
			name: "fresh host",
			host: func(a *distHost) { a.dir = nil },
			want: []string{facts, prepare, upload},
		},
		{
			name: "older agent",
			want: []string{facts, empty},
		},
		{
			name: "agent up to date",
			host: func(a *distHost) { a.uname, a.agent = "Linux aarch64", "abc123linuxarm64" },
			want: []string{facts},
		},
		{
			name:    "too many entries, hidden and nested ones included",
			host:    func(a *distHost) { a.dir.count = 1000 },
			want:    []string{facts},
			wantErr: "host w01: distribute files: Cowardly refusing to remove files! Check the remote_murder_path (/opt/murder holds 1000 entries).",
		},
		{
			name:    "unsupported platform",
			host:    func(a *distHost) { a.uname = "SunOS sun4u" },
			want:    []string{facts},
			wantErr: `host w01: distribute files: unsupported platform "SunOS sun4u"`,
		},
		{
			name:    "a passwd home directory",
			host:    func(a *distHost) { a.homes = append(a.homes, "/opt/murder/") },
			want:    []string{facts},
			wantErr: "host w01: distribute files: remote_murder_path /opt/murder is a home directory: refusing to empty it",
		},
		{
			name:    "a home directory not created yet: nothing is created",
			host:    func(a *distHost) { a.dir, a.homes = nil, append(a.homes, "/opt/murder") },
			want:    []string{facts},
			wantErr: "host w02: distribute files: remote_murder_path /opt/murder is a home directory: refusing to empty it",
		},
		{
			name:    "the SSH user's $HOME",
			host:    func(a *distHost) { a.homes = []string{"/opt/murder"} },
			want:    []string{facts},
			wantErr: "host w03: distribute files: remote_murder_path /opt/murder is a home directory: refusing to empty it",
		},
		{
			name:    "a directory holding a home directory",
			host:    func(a *distHost) { a.homes = append(a.homes, "/opt/murder/ftp") },
			want:    []string{facts},
			wantErr: "host w04: distribute files: remote_murder_path /opt/murder contains the home directory /opt/murder/ftp: refusing to empty it",
		},
		{
			name:    "a symbolic link to a system directory",
			host:    func(a *distHost) { a.dir.real = "/etc" },
			want:    []string{facts},
			wantErr: "host w01: distribute files: remote_murder_path /opt/murder leads to /etc, which is a system directory: refusing to empty it",
		},
		{
			name:    "a symbolic link to a home directory",
			host:    func(a *distHost) { a.dir.real = "/home/deploy" },
			want:    []string{facts},
			wantErr: "host w01: distribute files: remote_murder_path /opt/murder leads to /home/deploy, which is a home directory: refusing to empty it",
		},
		{
			name:    "a symbolic link made after the facts, caught after mkdir",
			host:    func(a *distHost) { a.dir, a.created.real = nil, "/usr/lib" },
			want:    []string{facts, prepare},
			wantErr: "host w01: distribute files: remote_murder_path /opt/murder leads to /usr/lib, which is a system directory: refusing to empty it",
		},
		{
			name:    "owned by another user",
			host:    func(a *distHost) { a.dir.owner = "0" },
			want:    []string{facts},
			wantErr: "host w01: distribute files: remote_murder_path /opt/murder is owned by uid 0, not by the SSH user (uid 1000): refusing to use it: another local user could swap the agent that root then runs",
		},
		{
			name:    "group-writable",
			host:    func(a *distHost) { a.dir.mode = "775" },
			want:    []string{facts},
			wantErr: "host w02: distribute files: remote_murder_path /opt/murder is writable by group or others (mode 775): refusing to use it: another local user could swap the agent that root then runs",
		},
		{
			name:    "world-writable, sticky",
			host:    func(a *distHost) { a.dir.mode = "1777" },
			want:    []string{facts},
			wantErr: "remote_murder_path /opt/murder is writable by group or others (mode 1777)",
		},
		{
			name:    "created group-writable (umask 002)",
			host:    func(a *distHost) { a.dir, a.created.mode = nil, "2775" },
			want:    []string{facts, prepare},
			wantErr: "remote_murder_path /opt/murder is writable by group or others (mode 2775)",
		},
		{
			name:    "garbled answer",
			host:    func(a *distHost) { a.dir.real = "/opt/mur\nder" },
			want:    []string{facts},
			wantErr: `host w01: distribute files: asking the platform and remote_murder_path's state: unexpected line "der" in the host's answer`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := healthy()
			if tt.host != nil {
				tt.host(&a)
			}
			f := newFleet(t)
			f.Respond = a.respond
			out, err := run(t, f, fleetYAML, "murder:distribute_files")
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Run = %v, want an error with %q", err, tt.wantErr)
			}
			for _, h := range allPeers {
				got := f.Ops(h)
				if len(got) != len(tt.want) {
					t.Fatalf("%s ran %q, want %q", h, got, tt.want)
				}
				for i := range got {
					if !strings.Contains(got[i], remoteShell(tt.want[i])) && !strings.HasPrefix(got[i], tt.want[i]) {
						t.Errorf("%s op %d = %q, want %q", h, i, got[i], tt.want[i])
					}
				}
			}
		})
	}
}

// remoteShell is how s appears inside the sh -c '...' that Capture runs.
func remoteShell(s string) string { return strings.ReplaceAll(s, "'", `'\''`) }

// TestDistributeFilesRefusesPaths: a remote_murder_path that is the root,
// a system directory or one directly below /usr or /var is refused before
// connecting, in a dry run too.
func TestDistributeFilesRefusesPaths(t *testing.T) {
	for _, p := range []string{"/etc", "/home", "/usr", "/usr/local", "/var/lib", "/var/tmp", "/tmp", "/root", "/opt", "/srv", "/boot", "/lib64", "/run", "/private/var"} {
		for _, dry := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s dry=%v", p, dry), func(t *testing.T) {
				f := newFleet(t)
				f.Respond = healthy().respond
				var words []string
				if dry {
					words = append(words, "dry_run=1")
				}
				out, err := run(t, f, withMurderPath(p), "murder:distribute_files", words...)
				want := "host w01: distribute files: remote_murder_path " + p + " is a system directory: refusing to empty it"
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("Run = %v, want an error with %q\n%s", err, want, out)
				}
				if n := f.Dials(); n != 0 || len(f.Ops("")) != 0 {
					t.Errorf("dialed %d times and ran %q", n, f.Ops(""))
				}
			})
		}
	}
}

// TestDistributeFilesDryRun prints every command it may run and connects
// nowhere.
func TestDistributeFilesDryRun(t *testing.T) {
	f := newFleet(t)
	out, err := run(t, f, fleetYAML, "murder:distribute_files", "dry_run=1")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if n := f.Dials(); n != 0 || len(f.Ops("")) != 0 {
		t.Errorf("dry run dialed %d times and ran %q", n, f.Ops(""))
	}
	s := settings{MurderPath: "/opt/murder"}
	for _, h := range allPeers {
		fetch := s.installCmd(install{url: "http://SOURCE:0/murder-agent/SHA256", sum: "SHA256", empty: true, serve: true})
		for _, line := range []string{s.factsCmd(), s.prepareCmd(), fetch} {
			if want := "  * [dry-run :: " + h + "] " + line + "\n"; !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if want := " ** [info :: " + h + "] upload the agent built for its platform to " + agent + ", or fetch it from a host that has it\n"; !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestPlatform(t *testing.T) {
	tests := []struct{ uname, goos, goarch string }{
		{"Linux x86_64", "linux", "amd64"},
		{"Linux aarch64", "linux", "arm64"},
		{"Darwin arm64", "darwin", "arm64"},
		{"FreeBSD amd64", "freebsd", "amd64"},
		{"Linux armv7l", "linux", "arm"},
		{"Linux i686", "linux", "386"},
		{"SunOS sun4u", "", ""},
		{"Linux mips", "", ""},
		{"Linux", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		goos, goarch, err := platform(tt.uname)
		if goos != tt.goos || goarch != tt.goarch || (err == nil) != (tt.goos != "") {
			t.Errorf("platform(%q) = %q, %q, %v; want %q, %q", tt.uname, goos, goarch, err, tt.goos, tt.goarch)
		}
	}
}

// TestCreateTorrent: pack and make the torrent on the seeder, announcing
// at the tracker host as configured, fetch it, and register it at a
// tracker that runs on another host.
func TestCreateTorrent(t *testing.T) {
	const yaml = `
set: { remote_murder_path: /opt/murder, tracker_port: 9000 }
ssh: { user: deploy }
roles:
  app: [w01, w02]
  tracker: [t1.example.com]
  seeder: [s1]
`
	tmp := t.TempDir()
	f := newFleet(t)
	torrent := tmp + "/Deploy1.tgz.torrent"
	f.Put(t, "s1", torrent, []byte("d8:announce3:xyze"))
	if out, err := run(t, f, yaml, "murder:create_torrent", "tag=Deploy1", "files_path=/srv/build", "temp_path="+tmp); err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	wantSeeder := []string{
		agent + " pack --recipient age1 --exclude '.git*' /srv/build " + tmp + "/Deploy1.tgz",
		agent + " make-torrent --run-dir /opt/murder/run --token-file - " + tmp + "/Deploy1.tgz t1.example.com:9000 " + torrent,
		"download " + torrent,
	}
	var got []string
	for _, op := range f.Ops("s1") {
		got = append(got, regexp.MustCompile(`age1[0-9a-z]+`).ReplaceAllString(op, "age1"))
	}
	if !slices.Equal(got, wantSeeder) {
		t.Errorf("seeder ran\n %q\nwant\n %q", got, wantSeeder)
	}
	// The token reaches make-torrent on stdin only; the key stays here,
	// owner-only.
	for _, op := range f.Log() {
		if strings.Contains(op.Op, "make-torrent") && len(strings.TrimSpace(op.Input)) < 22 {
			t.Errorf("make-torrent got %q on stdin, want the transfer's token", op.Input)
		}
	}
	if fi, err := os.Stat(tmp + "/Deploy1.tgz.key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("local key: %v, %v; want an owner-only file", fi, err)
	}
	// The upload keeps the local file's mode, which is what the download
	// left (0644 over SSH; see TestCreateTorrentUploadMode).
	fi, err := os.Stat(torrent)
	if err != nil {
		t.Fatal(err)
	}
	wantTracker := []string{
		fmt.Sprintf("upload Deploy1.tgz.torrent %s %o", torrent, fi.Mode().Perm()),
		agent + " register --run-dir /opt/murder/run " + torrent,
	}
	if got := f.Ops("t1.example.com"); !slices.Equal(got, wantTracker) {
		t.Errorf("tracker ran\n %q\nwant\n %q", got, wantTracker)
	}
	if b, err := os.ReadFile(torrent); err != nil || string(b) != "d8:announce3:xyze" {
		t.Errorf("local torrent = %q, %v", b, err)
	}
	if got := f.Ops("w01"); len(got) != 0 {
		t.Errorf("peer w01 ran %q", got)
	}

	// do_not_download_torrent: nothing comes back, nothing to register.
	f = newFleet(t)
	if out, err := run(t, f, yaml, "murder:create_torrent", "tag=Deploy1", "files_path=/srv/build", "temp_path="+tmp, "do_not_download_torrent=1"); err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if got := f.Ops("s1"); len(got) != 2 {
		t.Errorf("seeder ran %q, want pack and make-torrent only", got)
	}
	if got := f.Ops("t1.example.com"); len(got) != 0 {
		t.Errorf("tracker ran %q", got)
	}
}

// TestCreateTorrentUploadMode: download_torrent leaves the local .torrent
// owner-only (tasks/remote/client.go Download, as the fake), and the
// upload to the tracker keeps that mode: the tracker gets it as "600".
func TestCreateTorrentUploadMode(t *testing.T) {
	const yaml = `
set: { remote_murder_path: /opt/murder }
ssh: { user: deploy }
roles:
  tracker: [t1]
  seeder: [s1]
`
	tmp := t.TempDir()
	torrent := tmp + "/Deploy1.tgz.torrent"
	f := newFleet(t)
	f.Put(t, "s1", torrent, []byte("d8:announce3:xyze"))
	if out, err := run(t, f, yaml, "murder:create_torrent", "tag=Deploy1", "files_path=/srv/build", "temp_path="+tmp); err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	want := "upload Deploy1.tgz.torrent " + torrent + " 600"
	if got := f.Ops("t1"); len(got) == 0 || got[0] != want {
		t.Errorf("tracker ran %q, want first %q", got, want)
	}
}

// TestCreateTorrentNarrowedToSeeder: hosts= or roles= that keep the
// seeder (the only host create_torrent runs on) still register the
// torrent at a tracker on another host, as before the move: the tracker
// answers only for the info-hashes it was told about, so skipping it
// leaves every later murder:peer without a swarm.
func TestCreateTorrentNarrowedToSeeder(t *testing.T) {
	const yaml = `
set: { remote_murder_path: /opt/murder, tracker_port: 9000 }
ssh: { user: deploy }
roles:
  app: [w01, w02]
  tracker: [t1.example.com]
  seeder: [s1]
`
	for _, narrow := range []string{"hosts=s1", "roles=seeder"} {
		t.Run(narrow, func(t *testing.T) {
			tmp := t.TempDir()
			torrent := tmp + "/Deploy1.tgz.torrent"
			f := newFleet(t)
			f.Put(t, "s1", torrent, []byte("d8:announce3:xyze"))
			if out, err := run(t, f, yaml, "murder:create_torrent", "tag=Deploy1", "files_path=/srv/build", "temp_path="+tmp, narrow); err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			if got := f.HostsRunning(" register "); !slices.Equal(got, []string{"t1.example.com"}) {
				t.Errorf("registered at %q, want the tracker t1.example.com", got)
			}
		})
	}
}

func TestDownloadTorrentMissing(t *testing.T) {
	_, err := run(t, newFleet(t), fleetYAML, "murder:download_torrent", "tag=Deploy1", "temp_path="+t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "host w01: download torrent: download ") {
		t.Errorf("Run = %v, want the seeder's download failure", err)
	}
}
