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
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/dist/tracker"
)

// inProcess is a seeder of random data in this process and the means to
// start peers beside it: anacrolix clients on loopback with murder's
// settings, over plain TCP or the transfer's TLS (--require-encryption).
type inProcess struct {
	tb      testing.TB
	dir     string
	tf      *torrentFile
	keyed   metainfo.MetaInfo // the token the TLS keys derive from
	encrypt bool
	seeder  *torrent.Client
	seederT *torrent.Torrent
}

// newInProcess starts a seeder of size random bytes, with configure (if
// not nil) applied to its configuration; it stops when tb ends.
func newInProcess(tb testing.TB, size int64, encrypt bool, configure func(*torrentFile, *torrent.ClientConfig)) *inProcess {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "seed", "data.tgz")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(src)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	tf, err := makeTorrent(context.Background(), src, "http://127.0.0.1:1/announce", 0, -1)
	if err != nil {
		tb.Fatal(err)
	}
	s := &inProcess{tb: tb, dir: dir, tf: tf, keyed: *tf.mi, encrypt: encrypt}
	s.keyed.Announce = tracker.AnnounceURL("127.0.0.1", 1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	tf.mi.Announce = ""
	var cfg func(*torrent.ClientConfig)
	if configure != nil {
		cfg = func(c *torrent.ClientConfig) { configure(tf, c) }
	}
	s.seeder, s.seederT = s.client(src, true, cfg)
	tb.Cleanup(func() { s.seeder.Close() })
	if missing, err := verifyAll(context.Background(), s.seederT); err != nil || missing > 0 {
		tb.Fatalf("seeder: %d missing, %v", missing, err)
	}
	return s
}

// client starts a client of the torrent stored at path, a seeder's or a
// peer's, with configure (if not nil) applied to its configuration.
func (s *inProcess) client(path string, seed bool, configure func(*torrent.ClientConfig)) (*torrent.Client, *torrent.Torrent) {
	s.tb.Helper()
	st := checkSHA256(fileStorage(path, &s.tf.info, s.tf.mi.HashInfoBytes(), !seed, !seed), s.tf, path)
	flags := swarmFlags{maxConns: defaultMaxConns, halfOpen: 40, dialTimeout: 2e9, requireEncryption: s.encrypt}
	cfg := clientConfig(flags, net.IPv4(127, 0, 0, 1), st, io.Discard)
	cfg.DisableTrackers = true
	if configure != nil {
		configure(cfg)
	}
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		s.tb.Fatal(err)
	}
	if s.encrypt {
		ln, err := usePeerTLS(cl, &s.keyed, 0, false)
		if err != nil {
			s.tb.Fatal(err)
		}
		s.tb.Cleanup(func() { ln.Close() })
	}
	t, err := addTorrent(cl, s.tf, 64<<10, false)
	if err != nil {
		s.tb.Fatal(err)
	}
	return cl, t
}

// download starts n peers under dir (a directory of s's), each with
// configure applied to its configuration and added called with its
// torrent (either may be nil), connects them to the seeder and to each
// other, waits until each holds the whole torrent and returns their
// clients, which the caller closes.
func (s *inProcess) download(dir string, n int, configure func(*torrent.ClientConfig), added func(*torrent.Torrent)) []*torrent.Client {
	s.tb.Helper()
	var ts []*torrent.Torrent
	var cls []*torrent.Client
	for p := range n {
		path := filepath.Join(s.dir, dir, string(rune('a'+p)), "data.tgz")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			s.tb.Fatal(err)
		}
		cl, t := s.client(path, false, configure)
		cls, ts = append(cls, cl), append(ts, t)
		if added != nil {
			added(t)
		}
	}
	for _, t := range ts {
		t.AddClientPeer(s.seeder)
		for _, cl := range cls {
			t.AddClientPeer(cl)
		}
		t.DownloadAll()
	}
	for _, t := range ts {
		<-t.Complete().On()
	}
	return cls
}
