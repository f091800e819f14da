package agent

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/anacrolix/torrent"
)

// BenchmarkInProcessSwarm moves S bytes from one seeder to N peers, all
// anacrolix clients in this process on loopback, with murder's settings.
// One process makes `go test -cpuprofile` show where a swarm's CPU goes
// (hashing, request bookkeeping, copies) without the process boundaries of
// BenchmarkSwarm:
//
//	go test -run XXX -bench InProcessSwarm -cpuprofile cpu.out ./dist/agent
func BenchmarkInProcessSwarm(b *testing.B) {
	const size, peers = 64 << 20, 3
	dir := b.TempDir()
	src := filepath.Join(dir, "seed", "data.tgz")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		b.Fatal(err)
	}
	f, _ := os.Create(src)
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	tf, err := makeTorrent(context.Background(), src, "http://127.0.0.1:1/announce", 0, -1)
	if err != nil {
		b.Fatal(err)
	}
	tf.mi.Announce = ""
	ih := tf.mi.HashInfoBytes()
	newClient := func(path string, seed bool) (*torrent.Client, *torrent.Torrent) {
		st := fileStorage(path, &tf.info, ih, !seed, !seed)
		cfg := clientConfig(swarmFlags{maxConns: defaultMaxConns, halfOpen: 40, dialTimeout: 2e9}, net.IPv4(127, 0, 0, 1), st, io.Discard)
		cfg.DisableTrackers = true
		cl, err := torrent.NewClient(cfg)
		if err != nil {
			b.Fatal(err)
		}
		t, err := addTorrent(cl, tf, 64<<10, false)
		if err != nil {
			b.Fatal(err)
		}
		return cl, t
	}
	seeder, st := newClient(src, true)
	defer seeder.Close()
	if missing, err := verifyAll(context.Background(), st); err != nil || missing > 0 {
		b.Fatalf("seeder: %d missing, %v", missing, err)
	}
	b.SetBytes(size * peers)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var ts []*torrent.Torrent
		var cls []*torrent.Client
		for p := 0; p < peers; p++ {
			path := filepath.Join(dir, "p", string(rune('a'+i%26))+string(rune('a'+p)), "data.tgz")
			os.MkdirAll(filepath.Dir(path), 0o755)
			cl, t := newClient(path, false)
			cls, ts = append(cls, cl), append(ts, t)
		}
		for _, t := range ts {
			t.AddClientPeer(seeder)
			for _, cl := range cls {
				t.AddClientPeer(cl)
			}
			t.DownloadAll()
		}
		for _, t := range ts {
			<-t.Complete().On()
		}
		b.StopTimer()
		for _, cl := range cls {
			cl.Close()
		}
		os.RemoveAll(filepath.Join(dir, "p"))
		b.StartTimer()
	}
}
