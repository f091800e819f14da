package agent

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/anacrolix/torrent"

	"github.com/murderfleet/murder/dist/tracker"
)

// BenchmarkInProcessSwarm moves S bytes from one seeder to N peers, all
// anacrolix clients in this process on loopback, with murder's settings,
// over plain TCP and over the transfer's TLS (--require-encryption). One
// process makes `go test -cpuprofile` show where a swarm's CPU goes
// (hashing, request bookkeeping, TLS, copies) without the process
// boundaries of BenchmarkSwarm; cpu-ns/B is the process's CPU time per
// byte delivered:
//
//	go test -run XXX -bench InProcessSwarm -cpuprofile cpu.out ./dist/agent
func BenchmarkInProcessSwarm(b *testing.B) {
	b.Run("tcp", func(b *testing.B) { benchInProcessSwarm(b, false) })
	b.Run("tls", func(b *testing.B) { benchInProcessSwarm(b, true) })
}

func benchInProcessSwarm(b *testing.B, encrypt bool) {
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
	keyed := *tf.mi // the token the TLS keys derive from
	keyed.Announce = tracker.AnnounceURL("127.0.0.1", 1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	tf.mi.Announce = ""
	ih := tf.mi.HashInfoBytes()
	newClient := func(path string, seed bool) (*torrent.Client, *torrent.Torrent) {
		st := fileStorage(path, &tf.info, ih, !seed, !seed)
		flags := swarmFlags{maxConns: defaultMaxConns, halfOpen: 40, dialTimeout: 2e9, requireEncryption: encrypt}
		cfg := clientConfig(flags, net.IPv4(127, 0, 0, 1), st, io.Discard)
		cfg.DisableTrackers = true
		cl, err := torrent.NewClient(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if encrypt {
			ln, err := usePeerTLS(cl, &keyed, 0, false)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { ln.Close() })
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
	cpu0 := processCPU()
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
	b.ReportMetric(float64(processCPU()-cpu0)/float64(int64(b.N)*size*peers), "cpu-ns/B")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
