package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
)

// TestPeerExtractsItself starts a peer as murder:peer does (the key's line
// and the .torrent on stdin, --extract): it downloads, extracts by itself,
// and `status` reports done with its moments and where its bytes came
// from. swarm-status, with the .torrent on stdin, reports the swarm as
// the tracker on this host sees it.
func TestPeerExtractsItself(t *testing.T) {
	s, tree, id, size := newSealedSwarm(t)
	s.startTracker(t)
	s.torrent = filepath.Join(s.dir, "T.tgz.torrent")
	const token = "abcdefghijklmnopqrstuvwxyz012345"
	if r := runStdin(t, token, "make-torrent", "--run-dir", s.run, "--token-file", "-", "--unpacked-size", size, s.data, s.announce(), s.torrent); r.code != 0 {
		t.Fatalf("make-torrent: %s", r)
	}
	s.startSeeder(t, "--require-encryption")
	torrent, err := os.ReadFile(s.torrent)
	if err != nil {
		t.Fatal(err)
	}
	p := s.newPeer(t, 1)
	dest := filepath.Join(s.dir, "deployed")
	r := runStdin(t, id+"\n"+string(torrent), "peer", "--no-wait", "--torrent-stdin", "--identity-stdin",
		"--extract", dest, "--run-dir", p.run, "--tag", "T", "--seed-time", "1s", "--require-encryption",
		filepath.Join(filepath.Dir(p.dest), "T.tgz.torrent"), filepath.Join(filepath.Dir(p.dest), "T.tgz"), loopback(11))
	if r.code != 0 {
		t.Fatalf("peer: %s", r)
	}
	r = run(t, 70*time.Second, "status", "--run-dir", p.run, "--wait", "60s", "peer", "T")
	line := strings.TrimSpace(r.stdout)
	d, ok := agentproto.ParseDone(line)
	if r.code != 0 || !ok {
		t.Fatalf("status: %s", r)
	}
	archive, err := os.Stat(s.data)
	if err != nil {
		t.Fatal(err)
	}
	if d.FirstByte <= 0 || d.Downloaded < d.FirstByte || d.Extracted < d.Downloaded || d.FromSeeder != archive.Size() || d.FromPeers != 0 {
		t.Errorf("result %q: want moments in order and every byte from the seeder (%d)", line, archive.Size())
	}
	sameFile(t, filepath.Join(tree, "data.bin"), filepath.Join(dest, "data.bin"))

	r = runStdin(t, string(torrent), "swarm-status")
	sw, ok := agentproto.ParseSwarm(strings.TrimSpace(r.stdout))
	if r.code != 0 || !ok || sw.Seeds < 1 {
		t.Errorf("swarm-status: %s, want a swarm line with the seeder", r)
	}
	// A torrent without a token opens nothing.
	if r := runStdin(t, "d8:announce3:abce", "swarm-status"); r.code == 0 {
		t.Errorf("swarm-status of a bad torrent: %s", r)
	}
}
