package murder

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeBuilder "builds" an agent: a small file per platform.
type fakeBuilder struct {
	dir   string
	mu    sync.Mutex
	built []string
}

func (b *fakeBuilder) Build(ctx context.Context, goos, goarch string) (string, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := filepath.Join(b.dir, "murder-agent-"+goos+"-"+goarch)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		return "", "", err
	}
	if !slices.Contains(b.built, goos+"/"+goarch) {
		b.built = append(b.built, goos+"/"+goarch)
	}
	return p, "abc123" + goos + goarch, nil
}

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
			r, f, out := newRunner(t, fleetYAML)
			r.Agents = &fakeBuilder{dir: t.TempDir()}
			f.respond = func(host, cmd string) (string, string, int, bool) {
				a := tt.answer(host)
				switch {
				case cmd == "uname -sm":
					return a.uname + "\n", "", 0, true
				case strings.Contains(cmd, " --version "):
					return a.version + "\n", "", 0, true
				case strings.HasPrefix(cmd, "mkdir -p"):
					return a.count + "\n", "", 0, true
				}
				return "", "", 0, false
			}
			err := r.RunTask(context.Background(), "murder:distribute_files")
			if tt.wantErr == "" && err != nil {
				t.Fatalf("RunTask: %v\n%s", err, out)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("RunTask = %v, want an error with %q", err, tt.wantErr)
			}
			for _, h := range allPeers {
				got := f.ops(h)
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
	r, f, out := newRunner(t, yaml, "tag=Deploy1", "files_path=/srv/build", "temp_path="+tmp)
	torrent := tmp + "/Deploy1.tgz.torrent"
	f.put(t, "s1", torrent, []byte("d8:announce3:xyze"))
	if err := r.RunTask(context.Background(), "murder:create_torrent"); err != nil {
		t.Fatalf("RunTask: %v\n%s", err, out)
	}
	wantSeeder := []string{
		agent + " pack --exclude '.git*' /srv/build " + tmp + "/Deploy1.tgz",
		agent + " make-torrent --run-dir /opt/murder/run " + tmp + "/Deploy1.tgz t1.example.com:9000 " + torrent,
		"download " + torrent,
	}
	if got := f.ops("s1"); !slices.Equal(got, wantSeeder) {
		t.Errorf("seeder ran\n %q\nwant\n %q", got, wantSeeder)
	}
	wantTracker := []string{
		"upload Deploy1.tgz.torrent " + torrent + " 644",
		agent + " register --run-dir /opt/murder/run " + torrent,
	}
	if got := f.ops("t1.example.com"); !slices.Equal(got, wantTracker) {
		t.Errorf("tracker ran\n %q\nwant\n %q", got, wantTracker)
	}
	if b, err := os.ReadFile(torrent); err != nil || string(b) != "d8:announce3:xyze" {
		t.Errorf("local torrent = %q, %v", b, err)
	}
	if got := f.ops("w01"); len(got) != 0 {
		t.Errorf("peer w01 ran %q", got)
	}

	// do_not_download_torrent: nothing comes back, nothing to register.
	r, f, out = newRunner(t, yaml, "tag=Deploy1", "files_path=/srv/build", "temp_path="+tmp, "do_not_download_torrent=1")
	if err := r.RunTask(context.Background(), "murder:create_torrent"); err != nil {
		t.Fatalf("RunTask: %v\n%s", err, out)
	}
	if got := f.ops("s1"); len(got) != 2 {
		t.Errorf("seeder ran %q, want pack and make-torrent only", got)
	}
	if got := f.ops("t1.example.com"); len(got) != 0 {
		t.Errorf("tracker ran %q", got)
	}
}

func TestDownloadTorrentMissing(t *testing.T) {
	r, _, _ := newRunner(t, fleetYAML, "tag=Deploy1", "temp_path="+t.TempDir())
	err := r.RunTask(context.Background(), "murder:download_torrent")
	if err == nil || !strings.Contains(err.Error(), "host w01: download torrent: download ") {
		t.Errorf("RunTask = %v, want the seeder's download failure", err)
	}
}
