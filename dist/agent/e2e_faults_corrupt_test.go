package agent_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/mse"
	"github.com/anacrolix/torrent/storage"
)

// badSeederIP is the address the corrupt seeder announces and listens on.
const badSeederIP = "127.0.0.3"

// TestCorruptPeerIsBanned: a peer that claims every piece and serves
// random bytes is the only source at first. Every real peer fetches from
// it, finds the pieces fail their hash check, logs that and bans it; once a
// good seeder joins, every peer completes with the exact bytes.
func TestCorruptPeerIsBanned(t *testing.T) {
	s := newSwarm(t, 2<<20)
	s.startTracker(t)
	s.makeTorrent(t, "--piece-length", "65536")
	bad := startCorruptSeeder(t, s.torrent)
	peers := []*peer{s.newPeer(t, 0), s.newPeer(t, 1), s.newPeer(t, 2)}
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() { s.download(t, p, 60*time.Second, "--stall-timeout", "30s", "--seed-time", "1s") })
	}
	// Only once every peer has met the garbage does the truth arrive.
	for _, p := range peers {
		waitLog(t, p, "failed the hash check", 30*time.Second)
	}
	s.startSeeder(t)
	wg.Wait()
	s.checkPeers(t, peers)
	st := bad.Stats()
	if n := st.BytesWrittenData.Int64(); n == 0 {
		t.Errorf("the corrupt seeder served nothing; the test proved nothing")
	}
	for _, p := range peers {
		log := peerLog(p)
		if !strings.Contains(log, "banned peers: ["+badSeederIP) {
			t.Errorf("peer %d does not log banning %s:\n%s", p.n, badSeederIP, log)
		}
	}
}

// peerLog returns the log of the peer's worker.
func peerLog(p *peer) string {
	b, _ := os.ReadFile(strings.TrimSuffix(p.pidFile(), ".pid") + ".log")
	return string(b)
}

// waitLog waits until the peer's worker log contains want.
func waitLog(t *testing.T, p *peer, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(peerLog(p), want) {
		if time.Now().After(deadline) {
			t.Fatalf("peer %d: log lacks %q after %v:\n%s", p.n, want, timeout, peerLog(p))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startCorruptSeeder runs an anacrolix client in the test process that
// announces torrentPath at its tracker as a seed and answers every request
// with random bytes. It only accepts connections, so that the peers see
// (and ban) its own address, not one shared with honest outgoing dials.
func startCorruptSeeder(t *testing.T, torrentPath string) *torrent.Torrent {
	t.Helper()
	mi, err := metainfo.LoadFromFile(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := torrent.NewDefaultClientConfig()
	cfg.DataDir = t.TempDir()
	cfg.DefaultStorage = garbageStorage{}
	cfg.Seed = true
	cfg.NoDHT, cfg.DisableIPv6, cfg.DisableUTP = true, true, true
	cfg.DisableWebtorrent, cfg.DisableWebseeds = true, true
	cfg.NoDefaultPortForwarding = true
	cfg.DialForPeerConns = false
	cfg.ListenHost = func(string) string { return badSeederIP }
	cfg.ListenPort = 0
	cfg.PublicIp4 = net.ParseIP(badSeederIP)
	cfg.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{}
	cfg.CryptoProvides = mse.CryptoMethodPlaintext
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	tor, err := cl.AddTorrent(mi)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-tor.GotInfo():
	case <-ctx.Done():
		t.Fatal("corrupt seeder: no info")
	}
	return tor
}

// garbageStorage claims every piece is complete and reads random bytes.
type garbageStorage struct{}

func (garbageStorage) OpenTorrent(context.Context, *metainfo.Info, metainfo.Hash) (storage.TorrentImpl, error) {
	return storage.TorrentImpl{
		Piece: func(metainfo.Piece) storage.PieceImpl { return garbagePiece{} },
		Close: func() error { return nil },
	}, nil
}

type garbagePiece struct{}

func (garbagePiece) ReadAt(b []byte, _ int64) (int, error)  { return rand.Read(b) }
func (garbagePiece) WriteAt(b []byte, _ int64) (int, error) { return len(b), nil }
func (garbagePiece) MarkComplete() error                    { return nil }
func (garbagePiece) MarkNotComplete() error                 { return nil }
func (garbagePiece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: true}
}

// TestContradictingTorrent: a torrent whose record of a piece's SHA-256
// disagrees with the piece its SHA-1 vouches for can never be fetched
// right. A peer given it fails at that piece instead of fetching it
// forever, and a seeder given it refuses to start; both say which piece.
func TestContradictingTorrent(t *testing.T) {
	s := newSwarm(t, 1<<20)
	s.start(t)
	b, err := os.ReadFile(s.torrent)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("12:piece sha256")
	i := bytes.Index(b, key)
	if i < 0 {
		t.Fatalf("no per-piece digests in %s", s.torrent)
	}
	i += len(key) + bytes.IndexByte(b[i+len(key):], ':') + 1
	b[i] ^= 1 // the first piece's first digest byte
	bad := writeFile(t, s.dir, "contradicting.torrent", b)

	p := s.newPeer(t, 0)
	r := run(t, 30*time.Second, "peer", "--run-dir", p.run, bad, p.dest, loopback(10))
	checkOneLineError(t, r, "piece 0 has SHA-256")
	if !strings.Contains(r.stderr, "contradicts itself") {
		t.Errorf("peer: %s", r)
	}
	noWorkerLeft(t, p.run)
	rd := runDir(t, t.TempDir(), "run")
	r = run(t, 30*time.Second, "seeder", "--run-dir", rd, bad, s.data, loopback(3))
	checkOneLineError(t, r, "contradicts itself")
	noWorkerLeft(t, rd)
}
