package murder

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks/taskstest"
)

func TestDistributeFiles(t *testing.T) {
	type answers struct{ uname, version, count string }
	tests := []struct {
		name    string
		answer  func(host string) answers
		want    []string // w01's operations, by substring
		wantErr string
	}{
		{
			name:   "fresh host",
			answer: func(string) answers { return answers{"Linux x86_64", "", "0"} },
			want:   []string{"uname -sm", " --version ", "mkdir -p -- /opt/murder", "find /opt/murder -mindepth 1", "upload murder-agent-linux-amd64 " + agent + " 755"},
		},
		{
			name:   "agent up to date",
			answer: func(string) answers { return answers{"Linux aarch64", "murder-agent v1 sha256:abc123linuxarm64", "2"} },
			want:   []string{"uname -sm", " --version "},
		},
		{
			name:    "too many entries",
			answer:  func(string) answers { return answers{"Linux x86_64", "", "1000"} },
			want:    []string{"uname -sm", " --version ", "mkdir -p -- /opt/murder"},
			wantErr: "Cowardly refusing to remove files! Check the remote_murder_path (/opt/murder holds 1000 entries)",
		},
		{
			name:    "unsupported platform",
			answer:  func(string) answers { return answers{"SunOS sun4u", "", "0"} },
			want:    []string{"uname -sm"},
			wantErr: `host w01: distribute files: unsupported platform "SunOS sun4u"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t)
			// The shell lines run as sh -c '<line>'.
			f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
				a := tt.answer(host)
				switch {
				case strings.Contains(cmd, "uname -sm"):
					return taskstest.Reply{Stdout: a.uname + "\n"}, true
				case strings.Contains(cmd, " --version "):
					return taskstest.Reply{Stdout: a.version + "\n"}, true
				case strings.Contains(cmd, "mkdir -p"):
					return taskstest.Reply{Stdout: a.count + "\n"}, true
				}
				return taskstest.Reply{}, false
			}
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
					if !strings.Contains(got[i], tt.want[i]) {
						t.Errorf("%s op %d = %q, want %q", h, i, got[i], tt.want[i])
					}
				}
			}
		})
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
		agent + " pack --exclude '.git*' /srv/build " + tmp + "/Deploy1.tgz",
		agent + " make-torrent --run-dir /opt/murder/run " + tmp + "/Deploy1.tgz t1.example.com:9000 " + torrent,
		"download " + torrent,
	}
	if got := f.Ops("s1"); !slices.Equal(got, wantSeeder) {
		t.Errorf("seeder ran\n %q\nwant\n %q", got, wantSeeder)
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
