package tasks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// fakeFleet is a Dialer whose connections record every command per host
// and answer as scripted, without any network. Uploads and downloads use
// a directory per host under root as that host's file system.
type fakeFleet struct {
	root string

	// respond, when set, answers a command before the defaults; handled
	// false falls through to them.
	respond func(host, cmd string) (stdout, stderr string, code int, handled bool)
	dialErr map[string]error // host -> dial failure
	// status is what a peer's `status` command prints, call by call; the
	// last entry repeats. Per host, else the "" entry.
	status map[string][]string
	delay  time.Duration // time each command takes

	mu          sync.Mutex
	log         []record // every operation, in order
	dials       map[string]int
	statusCalls map[string]int
	inflight    int
	maxInflight int
}

type record struct{ host, op string }

func newFakeFleet(t *testing.T) *fakeFleet {
	return &fakeFleet{
		root:        t.TempDir(),
		dialErr:     map[string]error{},
		status:      map[string][]string{"": {"progress have=512 total=1024", "done"}},
		dials:       map[string]int{},
		statusCalls: map[string]int{},
	}
}

func (f *fakeFleet) Dial(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dials[h.String()]++
	if err := f.dialErr[h.String()]; err != nil {
		return nil, err
	}
	return &fakeConn{f: f, host: h.String()}, nil
}

func (f *fakeFleet) record(host, op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, record{host, op})
}

// ops returns the operations recorded for host, or for all hosts when
// host is "".
func (f *fakeFleet) ops(host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.log {
		if host == "" || r.host == host {
			out = append(out, r.op)
		}
	}
	return out
}

// hostsRunning lists the hosts that ran an operation containing sub.
func (f *fakeFleet) hostsRunning(sub string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.log {
		if strings.Contains(r.op, sub) && !slices.Contains(out, r.host) {
			out = append(out, r.host)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeFleet) totalDials() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.dials {
		n += d
	}
	return n
}

// answer is the scripted reply to cmd on host.
func (f *fakeFleet) answer(host, cmd string) (string, string, int) {
	if f.respond != nil {
		if out, errOut, code, ok := f.respond(host, cmd); ok {
			return out, errOut, code
		}
	}
	if strings.Contains(cmd, "murder-agent status ") {
		f.mu.Lock()
		script := f.status[host]
		if script == nil {
			script = f.status[""]
		}
		n := f.statusCalls[host]
		f.statusCalls[host]++
		f.mu.Unlock()
		return script[min(n, len(script)-1)] + "\n", "", 0
	}
	return "", "", 0
}

type fakeConn struct {
	f    *fakeFleet
	host string
}

func (c *fakeConn) Run(ctx context.Context, cmd string, stdout, stderr io.Writer) error {
	f := c.f
	f.mu.Lock()
	f.log = append(f.log, record{c.host, cmd})
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if f.delay > 0 {
		sleepCtx(ctx, f.delay)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	out, errOut, code := f.answer(c.host, cmd)
	_, _ = io.WriteString(stdout, out)
	_, _ = io.WriteString(stderr, errOut)
	if code != 0 {
		return &remote.ExitError{Code: code}
	}
	return nil
}

// path maps a remote path of this host into the fake's directory.
func (c *fakeConn) path(remotePath string) string {
	return filepath.Join(c.f.root, c.host, filepath.FromSlash(remotePath))
}

func (c *fakeConn) Upload(ctx context.Context, local, remotePath string, mode uint32) error {
	c.f.record(c.host, fmt.Sprintf("upload %s %s %o", filepath.Base(local), remotePath, mode))
	b, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	dst := c.path(remotePath)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, os.FileMode(mode))
}

func (c *fakeConn) Download(ctx context.Context, remotePath, local string) error {
	c.f.record(c.host, "download "+remotePath)
	b, err := os.ReadFile(c.path(remotePath))
	if err != nil {
		return fmt.Errorf("download %s: %w", remotePath, err)
	}
	return os.WriteFile(local, b, 0o644)
}

func (c *fakeConn) Close() error { return nil }

// put creates a file on a fake host.
func (f *fakeFleet) put(t *testing.T, host, remotePath string, data []byte) {
	t.Helper()
	p := filepath.Join(f.root, host, filepath.FromSlash(remotePath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRunner parses an inline murder.yaml and returns a Runner on a fake
// fleet, its output buffer, and the fake.
func newRunner(t *testing.T, yaml string, words ...string) (*Runner, *fakeFleet, *syncBuffer) {
	t.Helper()
	cfg, err := roles.Parse(strings.NewReader(yaml), "murder.yaml")
	if err != nil {
		t.Fatalf("murder.yaml: %v", err)
	}
	args, err := ParseArgs(words, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeFleet(t)
	out := &syncBuffer{}
	r := &Runner{Config: cfg, Args: args, Dialer: f, Out: out}
	t.Cleanup(func() { _ = r.Close() })
	return r, f, out
}

// syncBuffer is a bytes.Buffer safe for the runner's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
	b, err := bencode.Marshal(map[string]any{"info": bencode.Bytes(ib), "murder": map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src+".torrent", b, 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(len(data))
}

// setPollEvery makes murder:peer poll quickly for the test's duration.
func setPollEvery(t *testing.T, d time.Duration) {
	old := pollEvery
	pollEvery = d
	t.Cleanup(func() { pollEvery = old })
}
