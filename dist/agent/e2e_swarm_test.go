package agent_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const swarmPeers = 10

// TestSwarm: tracker, seeder and ten peers as separate processes; every
// peer ends with a byte-identical file.
func TestSwarm(t *testing.T) {
	s := newSwarm(t, 16<<20)
	s.start(t)
	peers := make([]*peer, swarmPeers)
	for i := range peers {
		peers[i] = s.newPeer(t, i)
	}
	start := time.Now()
	s.downloadAll(t, peers, func(int) []string { return nil })
	t.Logf("%d peers done in %v", len(peers), time.Since(start).Round(time.Millisecond))
	s.checkPeers(t, peers)
}

// TestSwarmSurvivesSeederLoss: the seeder is killed (SIGKILL, so it cannot
// even say goodbye to the tracker) as soon as one peer holds a full copy,
// while the other peers, capped at 4 MiB/s, are still downloading; every
// peer still completes from the others.
func TestSwarmSurvivesSeederLoss(t *testing.T) {
	s := newSwarm(t, 16<<20)
	s.start(t)
	peers := make([]*peer, swarmPeers)
	for i := range peers {
		peers[i] = s.newPeer(t, i)
	}
	first := peers[0]
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for _, p := range peers[1:] {
		wg.Go(func() {
			s.download(t, p, 60*time.Second, "--max-download-rate", "4194304")
			mu.Lock()
			done++
			mu.Unlock()
		})
	}
	if r := s.download(t, first, 60*time.Second); r.code != 0 {
		wg.Wait()
		t.Fatalf("first peer: %s", r)
	}
	pid, startTime := s.seederPid(t)
	if !running(pid, startTime) {
		t.Fatalf("seeder pid %d is not running", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	doneAtKill := done
	mu.Unlock()
	t.Logf("seeder killed %v after start; %d of %d capped peers were done", time.Since(first.finishedAt.Add(-first.res.dur)).Round(time.Millisecond), doneAtKill, len(peers)-1)
	if doneAtKill == len(peers)-1 {
		t.Errorf("all capped peers completed before the seeder was killed; the test proved nothing")
	}
	wg.Wait()
	s.checkPeers(t, peers)
}

// TestPeerSeedsAfterReturning: `peer` returns 0 once the file is verified,
// leaving its worker (pid file peer-TAG.pid) seeding: a second peer
// completes from it alone after `stop seeder TAG`. After --seed-time
// the worker exits and removes its pid file.
func TestPeerSeedsAfterReturning(t *testing.T) {
	const seedTime = 3 * time.Second
	s := newSwarm(t, 8<<20)
	s.start(t)
	p1, p2 := s.newPeer(t, 1), s.newPeer(t, 2)
	if r := s.download(t, p1, 30*time.Second, "--seed-time", seedTime.String()); r.code != 0 {
		t.Fatalf("peer 1: %s", r)
	}
	returned := time.Now()
	pid, start, err := readPid(p1.pidFile())
	if err != nil {
		t.Fatalf("worker pid file after peer returned: %v", err)
	}
	if !isOurAgent(pid, start) {
		t.Fatalf("worker pid %d from %s does not run murder-agent", pid, p1.pidFile())
	}
	seeder, seederStart := s.seederPid(t)
	if r := mustRun(t, 15*time.Second, "stop", "--run-dir", s.run, "seeder", "data.bin"); !strings.Contains(r.stdout, "stopped seeder") {
		t.Errorf("stop seeder: %s", r)
	}
	if running(seeder, seederStart) {
		t.Fatalf("seeder pid %d still runs after stop", seeder)
	}
	if r := s.download(t, p2, 30*time.Second, "--stall-timeout", "5s", "--seed-time", "1s"); r.code != 0 {
		t.Errorf("peer 2, with only peer 1's worker to download from: %s", r)
	} else {
		sameFile(t, s.data, p2.dest)
	}
	for running(pid, start) {
		if time.Since(returned) > seedTime+10*time.Second {
			t.Fatalf("worker pid %d still runs %v after peer returned (--seed-time %v)", pid, time.Since(returned), seedTime)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if gone := time.Since(returned); gone < seedTime-time.Second {
		t.Errorf("worker exited %v after peer returned, before --seed-time %v", gone, seedTime)
	}
	// The worker removes its pid file just before it exits.
	if _, err := os.Stat(p1.pidFile()); !os.IsNotExist(err) {
		t.Errorf("pid file %s after the worker exited: %v", p1.pidFile(), err)
	}
	sameFile(t, s.data, p1.dest)
}

// TestSeederAcceptsGoodFile: the seeder's verification never refuses the
// file it was made from. anacrolix reports a piece verified before it
// records the result; reading the result too early made the seeder refuse
// good data now and then ("1 of 64 pieces fail verification"), more often
// on a busy machine, so several seeders verify at once, a few times. The
// tracker port is dead: reaching the announce proves verification passed.
func TestSeederAcceptsGoodFile(t *testing.T) {
	s := newSwarm(t, 16<<20)
	s.port = freePort(t) // nothing listens there
	s.makeTorrent(t, "--piece-length", "65536")
	for round := range 4 {
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				dir := runDir(t, s.dir, fmt.Sprintf("seeder%d-%d", round, i))
				r := run(t, 30*time.Second, "seeder", "--run-dir", dir, s.torrent, s.data, loopback(2))
				if !strings.Contains(r.stderr, "connection refused") {
					t.Errorf("seeder %d in round %d: want the dead tracker's error after verification:\n%s", i, round, r)
				}
			})
		}
		wg.Wait()
	}
}

// TestPeerResumes: a download whose worker dies midway (SIGKILL) fails
// clearly, and a rerun keeps the verified pieces, fetches only the rest
// and ends with the right bytes; a rerun on the complete file verifies it
// and fetches nothing.
func TestPeerResumes(t *testing.T) {
	s := newSwarm(t, 16<<20)
	s.start(t)
	p := s.newPeer(t, 1)
	res := make(chan result, 1)
	go func() { res <- s.download(t, p, 30*time.Second, "--max-download-rate", "4194304", "--seed-time", "1s") }()
	time.Sleep(1500 * time.Millisecond)
	pid, start, err := readPid(p.pidFile())
	if err != nil || !isOurAgent(pid, start) {
		t.Fatalf("no running worker after 1.5 s (%v); peer: %s", err, <-res)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if r := <-res; r.code == 0 || !strings.Contains(r.stderr, "exited before it was ready") {
		t.Errorf("peer whose worker was killed: want a failure naming it:\n%s", r)
	}
	resumeRe := regexp.MustCompile(`resume verified=(\d+) missing=(\d+) pieces=(\d+)`)
	for _, want := range []string{"partial", "complete"} {
		r := s.download(t, p, 30*time.Second, "--seed-time", "1s")
		if r.code != 0 {
			t.Fatalf("rerun on %s data: %s", want, r)
		}
		m := resumeRe.FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("rerun on %s data did not report a resume:\n%s", want, r)
		}
		t.Logf("rerun on %s data: %s", want, m[0])
		switch {
		case want == "partial" && (m[1] == "0" || m[2] == "0"):
			t.Errorf("rerun after the kill: want some pieces kept and some missing, got %s", m[0])
		case want == "complete" && m[2] != "0":
			t.Errorf("rerun on the complete file: want nothing missing, got %s", m[0])
		}
		sameFile(t, s.data, p.dest)
		// The next rerun needs the worker (seeding for 1 s) to be gone.
		waitNoWorker(t, p)
	}
}

// waitNoWorker waits until the peer's worker has exited.
func waitNoWorker(t *testing.T, p *peer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pid, start, err := readPid(p.pidFile())
		if err != nil || !running(pid, start) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker pid %d still runs", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
