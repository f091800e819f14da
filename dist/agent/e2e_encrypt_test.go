package agent_test

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/murderfleet/murder/dist/torrentcheck"
)

// TestRequireEncryptionSwarm: a seeder and two peers with
// --require-encryption complete a transfer over TLS. A plaintext
// BitTorrent handshake (which carries the info-hash in clear) gets no
// answer from such a seeder, while a seeder without the flag answers it.
// (Who may connect at all is peertls_test.go's.)
func TestRequireEncryptionSwarm(t *testing.T) {
	s := newSwarm(t, 4<<20)
	s.startTracker(t)
	// TLS is keyed by the transfer's token, which a murder torrent carries.
	s.torrent = filepath.Join(s.dir, "data.torrent")
	if r := runStdin(t, "abcdefghijklmnopqrstuvwxyz012345", "make-torrent", "--run-dir", s.run, "--token-file", "-", s.data, s.announce(), s.torrent); r.code != 0 {
		t.Fatalf("make-torrent: %s", r)
	}
	addr := startSeederAt(t, s, "--require-encryption")
	if plaintextHandshake(t, s, addr) {
		t.Error("the seeder with --require-encryption answered a plaintext handshake")
	}
	peers := []*peer{s.newPeer(t, 1), s.newPeer(t, 2)}
	s.downloadAll(t, peers, func(int) []string { return []string{"--require-encryption"} })
	s.checkPeers(t, peers)

	mustRun(t, 15*time.Second, "stop", "--run-dir", s.run, "seeder", "data.bin")
	if addr := startSeederAt(t, s); !plaintextHandshake(t, s, addr) {
		t.Error("the seeder without the flag did not answer a plaintext handshake (the probe is broken)")
	}
}

// startSeederAt starts the swarm's seeder with extra flags and returns the
// address it reports.
func startSeederAt(t *testing.T, s *swarm, extra ...string) string {
	t.Helper()
	args := append(append([]string{"seeder", "--detach", "--run-dir", s.run}, extra...), s.torrent, s.data, loopback(2))
	out := mustRun(t, 30*time.Second, args...).stdout
	m := regexp.MustCompile(` as (127\.0\.0\.2:\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("seeder reported no address:\n%s", out)
	}
	return m[1]
}

// readTorrent reads and checks the .torrent at path.
func readTorrent(t *testing.T, path string) torrentcheck.Torrent {
	t.Helper()
	b, err := torrentcheck.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tor, err := torrentcheck.Parse(b, path)
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

// plaintextHandshake sends an unencrypted BitTorrent handshake for the
// swarm's torrent to addr and reports whether a handshake came back.
func plaintextHandshake(t *testing.T, s *swarm, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ih := readTorrent(t, s.torrent).InfoHash
	hs := append(append(append([]byte("\x13BitTorrent protocol"), make([]byte, 8)...), ih[:]...), bytes.Repeat([]byte("x"), 20)...)
	if _, err := c.Write(hs); err != nil {
		return false
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply := make([]byte, 68)
	_, err = io.ReadFull(c, reply)
	return err == nil && bytes.Equal(reply[28:48], ih[:])
}
