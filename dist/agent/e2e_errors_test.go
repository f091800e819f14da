package agent_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// badInput is the fixture of TestBadInput: a running tracker with one
// registered torrent and no seeder, and files that are wrong in every way.
type badInput struct {
	*swarm
	truncated, garbage     string // broken .torrent files
	unregistered, deadPort string // torrents the tracker refuses / no tracker listens for
	sameSize, otherSize    string // data that is not s.data
	busyPort               int    // held by the test
}

func newBadInput(t *testing.T) *badInput {
	s := newSwarm(t, 1<<20)
	s.startTracker(t)
	s.makeTorrent(t)
	b := &badInput{swarm: s}
	torrent, err := os.ReadFile(s.torrent)
	if err != nil {
		t.Fatal(err)
	}
	b.truncated = writeFile(t, s.dir, "truncated.torrent", torrent[:len(torrent)/2])
	b.garbage = writeFile(t, s.dir, "garbage.torrent", []byte("<html>502 Bad Gateway</html>\n"))
	b.sameSize = filepath.Join(s.dir, "same-size.bin")
	randomFile(t, b.sameSize, 1<<20)
	b.otherSize = filepath.Join(s.dir, "other-size.bin")
	randomFile(t, b.otherSize, 1<<20+1)

	// Made with another run dir: not registered at our tracker.
	b.unregistered = filepath.Join(s.dir, "unregistered.torrent")
	mustRun(t, 30*time.Second, "make-torrent", "--run-dir", filepath.Join(s.dir, "elsewhere"), b.sameSize, s.announce(), b.unregistered)
	b.deadPort = filepath.Join(s.dir, "dead.torrent")
	mustRun(t, 30*time.Second, "make-torrent", "--run-dir", filepath.Join(s.dir, "elsewhere"),
		s.data, "127.0.0.1:"+strconv.Itoa(freePort(t)), b.deadPort)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	b.busyPort = ln.Addr().(*net.TCPAddr).Port
	return b
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadInput: each mistake ends with one clear line on stderr and a
// non-zero exit, quickly.
func TestBadInput(t *testing.T) {
	b := newBadInput(t)
	s := b.swarm
	port := func(p int) string { return strconv.Itoa(p) }
	// Each case gets a fresh directory: {dir} in args is replaced by it.
	tests := []struct {
		name    string
		args    []string
		want    string
		maxTime time.Duration
	}{
		{"truncated torrent, peer", []string{"peer", b.truncated, "{dir}/data.bin", "127.0.0.20"}, "is not a valid .torrent file", 5 * time.Second},
		{"truncated torrent, seeder", []string{"seeder", b.truncated, s.data, "127.0.0.2"}, "is not a valid .torrent file", 5 * time.Second},
		{"garbage torrent, peer", []string{"peer", b.garbage, "{dir}/data.bin", "127.0.0.20"}, "is not a valid .torrent file", 5 * time.Second},
		{"garbage torrent, detached seeder", []string{"seeder", "--detach", b.garbage, s.data, "127.0.0.2"}, "is not a valid .torrent file", 5 * time.Second},
		{"garbage torrent, register", []string{"register", b.garbage}, "is not a valid .torrent file", 5 * time.Second},
		{"missing torrent", []string{"peer", filepath.Join(s.dir, "nope.torrent"), "{dir}/data.bin"}, "no such file", 5 * time.Second},
		{"seeder on other data of the same size", []string{"seeder", s.torrent, b.sameSize, "127.0.0.2"}, "does not match", 10 * time.Second},
		{"detached seeder on other data", []string{"seeder", "--detach", s.torrent, b.sameSize, "127.0.0.2"}, "does not match", 10 * time.Second},
		{"seeder on data of another size", []string{"seeder", s.torrent, b.otherSize, "127.0.0.2"}, "does not match", 10 * time.Second},
		{"peer, torrent unknown to the tracker", []string{"peer", b.unregistered, "{dir}/data.bin", "127.0.0.20"}, "unregistered info_hash", 10 * time.Second},
		{"seeder, torrent unknown to the tracker", []string{"seeder", b.unregistered, b.sameSize, "127.0.0.2"}, "unregistered info_hash", 10 * time.Second},
		{"peer, tracker unreachable", []string{"peer", b.deadPort, "{dir}/data.bin", "127.0.0.20"}, "connection refused", 5 * time.Second},
		{"seeder, tracker unreachable", []string{"seeder", b.deadPort, s.data, "127.0.0.2"}, "connection refused", 5 * time.Second},
		{"tracker, port in use", []string{"tracker", "--address", "127.0.0.1", "--port", port(b.busyPort)}, "address already in use", 5 * time.Second},
		{"detached tracker, port in use", []string{"tracker", "--detach", "--address", "127.0.0.1", "--port", port(b.busyPort)}, "address already in use", 5 * time.Second},
		{"destination below a missing directory", []string{"peer", s.torrent, "{dir}/missing/dir/data.bin", "127.0.0.20"}, "no such file or directory", 5 * time.Second},
		{"destination below a file", []string{"peer", s.torrent, s.data + "/data.bin", "127.0.0.20"}, "is not a directory", 5 * time.Second},
		{"destination is a directory", []string{"peer", s.torrent, "{dir}", "127.0.0.20"}, "is not a regular file", 5 * time.Second},
		{"swarm stalled", []string{"peer", "--stall-timeout", "3s", s.torrent, "{dir}/data.bin", "127.0.0.20"}, "stalled", 15 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := []string{tc.args[0], "--run-dir", runDir(t, dir, "run")}
			for _, a := range tc.args[1:] {
				args = append(args, strings.ReplaceAll(a, "{dir}", dir))
			}
			rd := args[2]
			r := run(t, tc.maxTime+10*time.Second, args...)
			checkOneLineError(t, r, tc.want)
			noWorkerLeft(t, rd)
			if r.dur > tc.maxTime {
				t.Errorf("took %v, want under %v", r.dur.Round(time.Millisecond), tc.maxTime)
			}
		})
	}
	t.Run("malformed announce", func(t *testing.T) {
		t.Parallel()
		body := httpGet(t, "http://"+s.announce()+"/announce?info_hash=short&peer_id=x&port=0")
		if !strings.HasPrefix(body, "d14:failure reason") || !strings.Contains(body, "info_hash") {
			t.Errorf("tracker answered %q, want a bencoded failure reason about info_hash", body)
		}
	})
}

// checkOneLineError fails unless r failed with one stderr line containing want.
func checkOneLineError(t *testing.T, r result, want string) {
	t.Helper()
	msg := strings.TrimRight(r.stderr, "\n")
	switch {
	case r.code <= 0:
		t.Errorf("want a failure exit code:\n%s", r)
	case strings.Contains(msg, "\n") || msg == "":
		t.Errorf("want exactly one line on stderr:\n%s", r)
	case !strings.Contains(msg, want):
		t.Errorf("stderr %q does not say %q", msg, want)
	default:
		t.Logf("exit %d after %v: %s", r.code, r.dur.Round(time.Millisecond), msg)
	}
}

// noWorkerLeft fails if a worker of a failed command still runs: a failed
// command must not leave anything behind.
func noWorkerLeft(t *testing.T, dir string) {
	t.Helper()
	pids, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, p := range pids {
		pid, start, err := readPid(p)
		if err != nil {
			continue
		}
		deadline := time.Now().Add(3 * time.Second)
		for running(pid, start) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if running(pid, start) {
			t.Errorf("worker pid %d (%s) still runs after its command failed", pid, p)
		}
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
