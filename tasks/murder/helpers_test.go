package murder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// fleetYAML: four peers (w01 is also tracker and seeder), a web role of
// two of them, and a database server that receives no releases.
const fleetYAML = `
set:
  remote_murder_path: /opt/murder
roles:
  app: [w01, w02, w03, w04]
  web: [w03, w04]
  db:
    - { host: db1, no_release: true }
ssh:
  user: deploy
  max_hosts: 2
`

const agent = "/opt/murder/murder-agent"

var allPeers = []string{"w01", "w02", "w03", "w04"}

// env is a Getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// statusCmd is what every `murder-agent status` command line contains.
const statusCmd = "murder-agent status "

// newFleet is a fake fleet whose peers answer murder:peer's status
// command with one progress line, then "done".
func newFleet(t *testing.T) *taskstest.Fleet {
	f := taskstest.New(t)
	scriptStatus(f, "", "progress have=512 total=1024", "done")
	return f
}

// scriptStatus scripts what the peer's `status` command prints on host ("": on
// every host), call by call; the last line repeats. A later script wins
// over an earlier one, so give the "" script before the per-host ones.
func scriptStatus(f *taskstest.Fleet, host string, lines ...string) {
	replies := make([]taskstest.Reply, len(lines))
	for i, l := range lines {
		replies[i] = taskstest.Reply{Stdout: l + "\n"}
	}
	f.Script(host, statusCmd, replies...)
}

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
	// The upload keeps this mode: 0755 whatever the umask.
	if err := os.Chmod(p, 0o755); err != nil {
		return "", "", err
	}
	if !slices.Contains(b.built, goos+"/"+goarch) {
		b.built = append(b.built, goos+"/"+goarch)
	}
	return p, "abc123" + goos + goarch, nil
}

// run runs task on the fake fleet f with murder.yaml's text and the
// `name=value` words (the environment is empty), with a fake agent
// builder, and returns what the operator saw.
func run(t *testing.T, f *taskstest.Fleet, yaml, task string, words ...string) (string, error) {
	t.Helper()
	return runCtx(context.Background(), t, f, yaml, task, words...)
}

// runCtx is run with a context of the caller's (cancelled by the test, or
// carrying its own agent builder).
func runCtx(ctx context.Context, t *testing.T, f *taskstest.Fleet, yaml, task string, words ...string) (string, error) {
	t.Helper()
	if _, ok := ctx.Value(agentsKey{}).(AgentBuilder); !ok {
		ctx = WithAgents(ctx, &fakeBuilder{dir: t.TempDir()})
	}
	var out taskstest.Buffer
	err := tasks.Run(ctx, task, words, tasks.Options{
		Stdout: &out, Getenv: env(nil), Dialer: f,
		Config: taskstest.Config(t, yaml, tasks.DeclaredVars()),
	})
	return out.String(), err
}

// runReport is run with report=FILE, returning the report it wrote too.
func runReport(t *testing.T, f *taskstest.Fleet, yaml, task string, words ...string) (string, *tasks.Report, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	out, err := run(t, f, yaml, task, append(words, "report="+file)...)
	b, rerr := os.ReadFile(file)
	if rerr != nil {
		t.Fatalf("no report: %v (run: %v)\n%s", rerr, err, out)
	}
	rep := &tasks.Report{}
	if jerr := json.Unmarshal(b, rep); jerr != nil {
		t.Fatalf("report %s: %v", b, jerr)
	}
	return out, rep, err
}

// writeTorrent makes a real .torrent of a small file as dir/TAG.tgz.torrent,
// where murder:peer looks for it with temp_path=dir, and returns its
// content length.
func writeTorrent(t *testing.T, dir, tag string) int64 {
	t.Helper()
	data := bytes.Repeat([]byte("murder"), 10000)
	src := filepath.Join(dir, tag+".tgz")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 16384}
	if err := info.BuildFromFilePath(src); err != nil {
		t.Fatal(err)
	}
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	// With the whole-file SHA-256 that murder:create_torrent records.
	sum := sha256.Sum256(data)
	b, err := bencode.Marshal(map[string]any{"announce": "http://w01:8998/abcdefghijklmnopqrstuvwxyz012345/announce", "info": bencode.Bytes(ib), "murder": map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	if err != nil {
		t.Fatal(err)
	}
	// The upload keeps this mode: 0644 whatever the umask.
	if err := os.WriteFile(src+".torrent", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(src+".torrent", 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(len(data))
}

// setPollEvery makes murder:peer tick, and wait on each host, for d for
// the test's duration. Tests that call it must not run in parallel.
func setPollEvery(t *testing.T, d time.Duration) {
	oldPoll, oldWait := pollEvery, finishWait
	pollEvery, finishWait = d, d
	t.Cleanup(func() { pollEvery, finishWait = oldPoll, oldWait })
}
