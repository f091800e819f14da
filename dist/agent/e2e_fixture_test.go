package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// swarm is a loopback swarm under construction: one directory, one run dir
// shared by tracker, make-torrent and seeder (so the tracker answers for
// the torrents they register), and a run dir per peer.
type swarm struct {
	dir     string // scratch directory of the test
	run     string // run dir of tracker, make-torrent and seeder
	port    int    // tracker port
	data    string // the file to distribute
	torrent string
}

// newSwarm writes size random bytes to share; nothing runs yet.
func newSwarm(t testing.TB, size int64) *swarm {
	t.Helper()
	dir := t.TempDir()
	s := &swarm{dir: dir, run: runDir(t, dir, "run"), data: filepath.Join(dir, "src", "data.bin")}
	if err := os.MkdirAll(filepath.Dir(s.data), 0o755); err != nil {
		t.Fatal(err)
	}
	randomFile(t, s.data, size)
	return s
}

// announce is the tracker's host:port, as make-torrent takes it.
func (s *swarm) announce() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// startTracker runs our tracker detached on a free port, re-announces
// every second so late peers find early ones quickly. Extra flags follow.
func (s *swarm) startTracker(t testing.TB, extra ...string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		args := append([]string{"tracker", "--detach", "--address", "127.0.0.1", "--port", strconv.Itoa(s.port),
			"--run-dir", s.run, "--interval", "1s", "--peer-ttl", "30s"}, extra...)
		r := run(t, 20*time.Second, args...)
		if r.code == 0 {
			return
		}
		// Another program may have taken the port between freePort and bind.
		if attempt == 2 || !strings.Contains(r.stderr, "address already in use") {
			t.Fatalf("tracker: %s", r)
		}
	}
}

// makeTorrent writes s.torrent for s.data, announcing at our tracker
// (registered there through the shared run dir). Extra flags go first.
func (s *swarm) makeTorrent(t testing.TB, extra ...string) {
	t.Helper()
	s.torrent = filepath.Join(s.dir, "data.torrent")
	args := append(append([]string{"make-torrent", "--run-dir", s.run}, extra...), s.data, s.announce(), s.torrent)
	mustRun(t, 30*time.Second, args...)
}

// startSeeder seeds s.data detached, announcing 127.0.0.2.
func (s *swarm) startSeeder(t testing.TB, extra ...string) {
	t.Helper()
	args := append(append([]string{"seeder", "--detach", "--run-dir", s.run}, extra...), s.torrent, s.data, loopback(2))
	mustRun(t, 30*time.Second, args...)
}

// start runs tracker, make-torrent and seeder.
func (s *swarm) start(t testing.TB) {
	t.Helper()
	s.startTracker(t)
	s.makeTorrent(t)
	s.startSeeder(t)
}

// seederPid returns the pid and start time of the detached seeder.
func (s *swarm) seederPid(t testing.TB) (int, uint64) {
	t.Helper()
	pid, start, err := readPid(filepath.Join(s.run, "seeder-data.bin.pid"))
	if err != nil {
		t.Fatalf("seeder pid file: %v", err)
	}
	return pid, start
}

// peer is one downloader of the swarm: its own run dir and destination.
type peer struct {
	n          int
	run, dest  string
	res        result
	finishedAt time.Time
}

// pidFile is where the peer's detached worker records itself.
func (p *peer) pidFile() string { return filepath.Join(p.run, "peer-data.bin.pid") }

// newPeer prepares peer n (announcing 127.0.0.(10+n)).
func (s *swarm) newPeer(t testing.TB, n int) *peer {
	t.Helper()
	d := filepath.Join(s.dir, fmt.Sprintf("peer%02d", n))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return &peer{n: n, run: runDir(t, d, "run"), dest: filepath.Join(d, "data.bin")}
}

// download runs `peer` in the foreground until it returns. Flags in extra
// come before the positional arguments.
func (s *swarm) download(t testing.TB, p *peer, timeout time.Duration, extra ...string) result {
	t.Helper()
	args := append(append([]string{"peer", "--run-dir", p.run, "--stall-timeout", "20s"}, extra...),
		s.torrent, p.dest, loopback(10+p.n))
	p.res = run(t, timeout, args...)
	p.finishedAt = time.Now()
	return p.res
}

// downloadAll runs n peers at once and waits for all of them; flags(i)
// gives the extra flags of peer i.
func (s *swarm) downloadAll(t testing.TB, peers []*peer, flags func(i int) []string) {
	t.Helper()
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() { s.download(t, p, 60*time.Second, flags(i)...) })
	}
	wg.Wait()
}

// checkPeers fails the test unless every peer exited 0 with s.data's bytes.
func (s *swarm) checkPeers(t testing.TB, peers []*peer) {
	t.Helper()
	for _, p := range peers {
		if p.res.code != 0 {
			t.Errorf("peer %d: %s", p.n, p.res)
			continue
		}
		sameFile(t, s.data, p.dest)
	}
}
