// Package taskstest is a fake fleet for unit tests of tasks written with
// package tasks: no network, no SSH. Each host answers commands from a
// script (exit 0 with no output by default), records every command,
// upload and download, and keeps the files uploaded to it in a directory
// of its own.
package taskstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/remote"
)

// Reply is a scripted answer to a command.
type Reply struct {
	Stdout, Stderr string
	Code           int // exit status; non-zero makes the command fail
}

// Fleet is a tasks.Dialer of fake hosts. Set its fields before the run.
type Fleet struct {
	// Root holds one directory per host (by display name), the host's
	// file system for Upload, Put and Download.
	Root string
	// Respond, when set, answers a command before the script does;
	// handled false falls through to the script.
	Respond func(host, cmd string) (r Reply, handled bool)
	// DialErr makes dialing a host (by display name) fail.
	DialErr map[string]error
	// Delay is how long each command takes.
	Delay time.Duration

	mu          sync.Mutex
	rules       []rule
	log         []Op
	dials       map[string]int
	inflight    int
	maxInflight int
}

// Op is one recorded operation: a command line as the host's shell got
// it, "upload NAME REMOTE MODE" or "download REMOTE"; Input is what the
// command got on its standard input.
type Op struct{ Host, Op, Input string }

type rule struct {
	host, contains string
	replies        []Reply
	calls          map[string]int
}

// New returns a fleet whose files live in a test's temporary directory.
func New(t testing.TB) *Fleet {
	return &Fleet{Root: t.TempDir(), DialErr: map[string]error{}, dials: map[string]int{}}
}

// Script answers the commands containing contains on host ("" for every
// host) with replies, one per call, the last one repeated. A later rule
// wins over an earlier one.
func (f *Fleet) Script(host, contains string, replies ...Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(replies) == 0 {
		replies = []Reply{{}}
	}
	f.rules = append(f.rules, rule{host: host, contains: contains, replies: replies, calls: map[string]int{}})
}

// Dial implements tasks.Dialer.
func (f *Fleet) Dial(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dials == nil {
		f.dials = map[string]int{}
	}
	f.dials[h.String()]++
	if err := f.DialErr[h.String()]; err != nil {
		return nil, err
	}
	return &conn{f: f, host: h.String()}, nil
}

// Ops returns the operations recorded on host, or on every host for "".
func (f *Fleet) Ops(host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, o := range f.log {
		if host == "" || o.Host == host {
			out = append(out, o.Op)
		}
	}
	return out
}

// Log returns every operation, in order.
func (f *Fleet) Log() []Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// HostsRunning lists, sorted, the hosts that ran an operation containing sub.
func (f *Fleet) HostsRunning(sub string) []string {
	var out []string
	for _, o := range f.Log() {
		if strings.Contains(o.Op, sub) && !slices.Contains(out, o.Host) {
			out = append(out, o.Host)
		}
	}
	slices.Sort(out)
	return out
}

// Dials counts the connections opened, over all hosts.
func (f *Fleet) Dials() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.dials {
		n += d
	}
	return n
}

// MaxInFlight is the most commands that ran at once.
func (f *Fleet) MaxInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInflight
}

// Path is where remotePath of host lives on this machine.
func (f *Fleet) Path(host, remotePath string) string {
	return filepath.Join(f.Root, host, filepath.FromSlash(remotePath))
}

// Put creates a file on a fake host.
func (f *Fleet) Put(t testing.TB, host, remotePath string, data []byte) {
	t.Helper()
	p := f.Path(host, remotePath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *Fleet) record(host, op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, Op{Host: host, Op: op})
}

// answer is the scripted reply to cmd on host.
func (f *Fleet) answer(host, cmd string) Reply {
	if f.Respond != nil {
		if r, ok := f.Respond(host, cmd); ok {
			return r
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.rules) - 1; i >= 0; i-- {
		r := &f.rules[i]
		if (r.host == "" || r.host == host) && strings.Contains(cmd, r.contains) {
			n := r.calls[host]
			r.calls[host]++
			return r.replies[min(n, len(r.replies)-1)]
		}
	}
	return Reply{}
}

type conn struct {
	f    *Fleet
	host string
}

func (c *conn) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	var input []byte
	if stdin != nil {
		input, _ = io.ReadAll(stdin)
	}
	f := c.f
	f.mu.Lock()
	f.log = append(f.log, Op{c.host, cmd, string(input)})
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := f.answer(c.host, cmd)
	_, _ = io.WriteString(stdout, r.Stdout)
	_, _ = io.WriteString(stderr, r.Stderr)
	if r.Code != 0 {
		return &remote.ExitError{Code: r.Code}
	}
	return nil
}

func (c *conn) Upload(ctx context.Context, local, remotePath string, mode uint32) error {
	c.f.record(c.host, fmt.Sprintf("upload %s %s %o", filepath.Base(local), remotePath, mode))
	b, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	dst := c.f.Path(c.host, remotePath)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, os.FileMode(mode))
}

func (c *conn) Download(ctx context.Context, remotePath, local string) error {
	c.f.record(c.host, "download "+remotePath)
	b, err := os.ReadFile(c.f.Path(c.host, remotePath))
	if err != nil {
		return fmt.Errorf("download %s: %w", remotePath, err)
	}
	return os.WriteFile(local, b, 0o600)
}

func (c *conn) Close() error { return nil }

// Config parses an inline murder.yaml, with the variables the registered
// tasks declared, or fails the test.
func Config(t testing.TB, yaml string, vars map[string]string) *roles.Config {
	t.Helper()
	cfg, err := roles.Options{Vars: vars}.Parse(strings.NewReader(yaml), "murder.yaml")
	if err != nil {
		t.Fatalf("murder.yaml: %v", err)
	}
	return cfg
}

// Run runs task on the fleet with murder.yaml's text and the `name=value`
// words (the environment is empty) and returns what the operator saw.
func (f *Fleet) Run(t testing.TB, yaml, task string, words ...string) (string, error) {
	t.Helper()
	var out Buffer
	err := tasks.Run(context.Background(), task, words, tasks.Options{
		Stdout: &out, Getenv: func(string) string { return "" }, Dialer: f,
		Config: Config(t, yaml, tasks.DeclaredVars()),
	})
	return out.String(), err
}

// Buffer is a bytes.Buffer safe for the runner's goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
