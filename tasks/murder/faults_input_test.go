package murder

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/remote"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// TestBadInputRunsNothing: murder:peer with a bad argument, from the
// command line or the environment, fails with a message naming it before
// any host is contacted.
func TestBadInputRunsNothing(t *testing.T) {
	setPollEvery(t, 0)
	tmp := t.TempDir()
	writeTorrent(t, tmp, "Deploy1")
	foreignTorrent(t, tmp, "Foreign1")
	// destination_path=/srv/app unless a case gives its own, either way.
	words := func(w []string, e map[string]string) []string {
		out := append([]string{"temp_path=" + tmp}, w...)
		if e["destination_path"] == "" && !strings.Contains(strings.Join(w, " "), "destination_path=") {
			out = append(out, "destination_path=/srv/app")
		}
		return out
	}
	tests := []struct {
		name  string
		words []string
		env   map[string]string
		want  string
	}{
		{"tag with /", []string{"tag=a/b"}, nil, "Tag cannot contain a / character"},
		{"tag ..", []string{"tag=.."}, nil, "must start with a letter or digit"},
		{"tag with a space", []string{"tag=a b"}, nil, "not allowed"},
		{"tag with quotes", []string{`tag=it's"`}, nil, "not allowed"},
		{"tag with $()", []string{"tag=$(reboot)"}, nil, "not allowed"},
		{"tag with ;", []string{"tag=a;reboot"}, nil, "not allowed"},
		{"tag with a backquote", []string{"tag=`id`"}, nil, "not allowed"},
		{"tag with a newline", []string{"tag=a\nb"}, nil, "line break"},
		{"tag with a newline, from the environment", nil, map[string]string{"tag": "a\nb"}, "not allowed"},
		{"unicode tag", []string{"tag=déploiement"}, nil, "not allowed"},
		{"tag like an option", []string{"tag=--help"}, nil, "must start with a letter or digit"},
		{"relative destination", []string{"tag=Deploy1", "destination_path=srv"}, nil, "must be an absolute path"},
		{"destination with ..", []string{"tag=Deploy1", "destination_path=/srv/../etc"}, nil, "must not contain '..'"},
		{"destination with a newline, from the environment", []string{"tag=Deploy1"}, map[string]string{"destination_path": "/srv/a\nb"}, "line break"},
		{"relative temp_path", []string{"tag=Deploy1", "temp_path=tmp"}, nil, "must be an absolute path"},
		{"unknown argument", []string{"tag=Deploy1", "destination=/srv"}, nil, `unknown argument "destination"`},
		{"not name=value", []string{"tag=Deploy1", "/srv/app"}, nil, "is not name=value"},
		{"stall_timeout not a duration", []string{"tag=Deploy1", "stall_timeout=soon"}, nil, "stall_timeout=soon: want a positive duration"},
		{"stall_timeout zero", []string{"tag=Deploy1", "stall_timeout=0s"}, nil, "want a positive duration"},
		{"stall_timeout negative, from the environment", []string{"tag=Deploy1"}, map[string]string{"stall_timeout": "-5m"}, "want a positive duration"},
		{"no local torrent", []string{"tag=Deploy2"}, nil, "no torrent at " + tmp + "/Deploy2.tgz.torrent on this machine: run murder:create_torrent"},
		{"torrent not made by murder", []string{"tag=Foreign1"}, nil, "records no SHA-256"},
		{"unsafe_please_delete of a top-level directory", []string{"tag=Deploy1", "destination_path=/srv", "no_tag_directory=1", "unsafe_please_delete=1"}, nil,
			"unsafe_please_delete with no_tag_directory would replace everything in /srv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t)
			out := &taskstest.Buffer{}
			ctx := WithAgents(context.Background(), &GoBuilder{Dir: t.TempDir()})
			err := tasks.Run(ctx, "murder:peer", words(tt.words, tt.env), tasks.Options{
				Stdout: out, Getenv: env(tt.env), Dialer: f, Config: taskstest.Config(t, fleetYAML, tasks.DeclaredVars()),
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error mentioning %q\n%s", err, tt.want, out)
			}
			if n := f.Dials(); n != 0 || len(f.Ops("")) != 0 {
				t.Errorf("dialed %d times and ran %q before refusing", n, f.Ops(""))
			}
		})
	}
}

// TestOddPathsAreQuoted: paths with spaces, quotes and shell syntax are
// accepted and reach every remote command as one quoted word; deeper
// destinations keep the original's unsafe_please_delete with
// no_tag_directory.
func TestOddPathsAreQuoted(t *testing.T) {
	for _, dest := range []string{"/srv/my app", `/srv/it's "quoted"`, "/srv/$(reboot);`id`", "/srv/déploiement ☃"} {
		t.Run(dest, func(t *testing.T) {
			f, words, _ := peerRun(t, "destination_path="+dest, "no_tag_directory=1", "unsafe_please_delete=1", "stall_timeout=90s")
			if out, err := run(t, f, fleetYAML, "murder:peer", words...); err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			for _, op := range f.Ops("w02") {
				if strings.Contains(op, " extract ") && !strings.HasSuffix(op, " "+remote.Command(dest)) {
					t.Errorf("extract does not end with the quoted destination %s: %s", remote.Command(dest), op)
				}
				if strings.Contains(op, " peer --no-wait ") && !strings.Contains(op, "--stall-timeout 1m30s") {
					t.Errorf("stall_timeout=90s did not reach the peer: %s", op)
				}
			}
		})
	}
}

// foreignTorrent writes dir/TAG.tgz.torrent as another tool would make it:
// valid, without murder's SHA-256.
func foreignTorrent(t *testing.T, dir, tag string) {
	t.Helper()
	src := filepath.Join(dir, tag+".tgz")
	if err := os.WriteFile(src, []byte("not murder's"), 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 16384}
	if err := info.BuildFromFilePath(src); err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{Announce: "http://w01:8998/announce"}
	var err error
	if mi.InfoBytes, err = bencode.Marshal(info); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(src + ".torrent")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := mi.Write(f); err != nil {
		t.Fatal(err)
	}
}
