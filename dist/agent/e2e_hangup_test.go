package agent_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A peer start whose caller stops reading (the SSH session that ran it was
// closed: goph's cancel leaves the remote command running) stops the
// worker it spawned, and removes the partial download, instead of leaving
// a download nobody waits for.
func TestPeerStartCallerGone(t *testing.T) {
	s := newSwarm(t, 1<<20)
	s.startTracker(t)
	s.makeTorrent(t) // no seeder: the peer waits for data
	t.Run("while waiting", func(t *testing.T) {
		p := s.newPeer(t, 1)
		r, cmd, stderr := startPeerPiped(t, s, p)
		waitFor(t, 20*time.Second, "the peer's worker", func() bool { return fileExists(p.pidFile()) })
		r.Close() // the session is gone
		checkStartEnds(t, cmd, stderr, "the session that started it is gone")
		waitNoWorker(t, p)
		if m, _ := filepath.Glob(p.dest + "*"); len(m) > 0 {
			t.Errorf("left behind: %v", m) // the .part and the .torrent it was sent
		}
	})
	t.Run("before it starts", func(t *testing.T) {
		p := s.newPeer(t, 2)
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pr.Close()
		var stderr bytes.Buffer
		cmd := peerCmd(t, s, p, pw, &stderr)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		checkStartEnds(t, cmd, &stderr, "not starting peer")
		if fileExists(p.pidFile()) {
			t.Errorf("a worker started: %s", p.pidFile())
		}
	})
}

// peerCmd is `peer` as the controller runs it: the .torrent on stdin,
// written beside the download.
func peerCmd(t *testing.T, s *swarm, p *peer, stdout *os.File, stderr *bytes.Buffer) *exec.Cmd {
	t.Helper()
	torrent, err := os.ReadFile(s.torrent)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(agentBin, "peer", "--run-dir", p.run, "--stall-timeout", "60s", "--torrent-stdin",
		p.dest+".torrent", p.dest, loopback(10+p.n))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(torrent), stdout, stderr
	return cmd
}

// startPeerPiped starts `peer` with its stdout on a pipe and returns the
// pipe's read end.
func startPeerPiped(t *testing.T, s *swarm, p *peer) (*os.File, *exec.Cmd, *bytes.Buffer) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := peerCmd(t, s, p, pw, &stderr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		pr.Close()
		if cmd.ProcessState == nil { // not waited for by checkStartEnds
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return pr, cmd, &stderr
}

// checkStartEnds waits for the start to exit with an error that says want.
func checkStartEnds(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, want string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !bytes.Contains(stderr.Bytes(), []byte(want)) {
			t.Errorf("start ended with %v, stderr %q; want an error saying %q", err, stderr, want)
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the start still runs 15 s after its caller left; stderr %q", stderr)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
