package agent

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/tracker"
	trHttp "github.com/anacrolix/torrent/tracker/http"
	"github.com/anacrolix/torrent/tracker/shared"

	murdertracker "github.com/murderfleet/murder/dist/tracker"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestAnnouncerKeepsItsConnection: the announcer's started, regular,
// completed and stopped announces all travel on one connection, over
// https as murder's torrents announce, and the tracker hears of the peer's
// leaving at once.
func TestAnnouncerKeepsItsConnection(t *testing.T) {
	ctx := context.Background()
	srv, ln := startTestTracker(t)
	tf, src := testTorrent(t, ln.Addr().String())
	if !ownAnnounce(tf) {
		t.Fatal("an https tracker is not announced to by the agent itself")
	}
	a := testAnnouncer(t, tf, src)
	if err := a.start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	for range 3 {
		if _, err := a.announce(ctx, shared.None); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Status().Swarms; len(got) != 1 || got[0].Complete+got[0].Incomplete != 1 {
		t.Errorf("tracker sees %+v, want the one peer", got)
	}
	a.stop()
	if got := srv.Status().Swarms; len(got) == 1 && got[0].Complete+got[0].Incomplete != 0 {
		t.Errorf("after stop the tracker still sees %+v", got)
	}
	if n := ln.n.Load(); n != 1 {
		t.Errorf("%d connections for five announces, want one", n)
	}
}

// TestCompleteAnnouncerAddsNoPeers: a peer that has every piece (here a
// seeder) hands none of the peers the tracker lists to anacrolix, which
// would dial them and, at its connection limit, drop connections they had
// made to it; a peer that lacks pieces hands them all.
func TestCompleteAnnouncerAddsNoPeers(t *testing.T) {
	ctx := context.Background()
	_, ln := startTestTracker(t)
	tf, src := testTorrent(t, ln.Addr().String())
	other := tracker.AnnounceRequest{InfoHash: tf.mi.HashInfoBytes(), Left: 1, Port: 6999}
	copy(other.PeerId[:], "-XX0001-otherpeer000")
	client := trHttp.NewClient(mustURL(t, tf.announceURL()), trHttp.NewClientOpts{ServerName: "127.0.0.1"})
	defer client.Close()
	if _, err := client.Announce(ctx, other, trHttp.AnnounceOpt{ClientIp4: net.IPv4(127, 0, 0, 7)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data string
		want int
	}{
		{"seeder", src, 0},
		{"leecher", filepath.Join(t.TempDir(), "data.tgz"), 1},
	} {
		a := testAnnouncer(t, tf, c.data)
		var added []torrent.PeerInfo
		a.addPeers = func(p []torrent.PeerInfo) int { added = append(added, p...); return len(p) }
		if err := a.start(ctx); err != nil {
			t.Fatalf("%s: start: %v", c.name, err)
		}
		if _, err := a.announce(ctx, shared.None); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		a.stop()
		if len(added) != 2*c.want {
			t.Errorf("%s: two announces added %v, want the other peer %d time(s)", c.name, added, 2*c.want)
		}
	}
}

// startTestTracker serves an https tracker that takes any torrent, until
// the test ends.
func startTestTracker(t *testing.T) (*murdertracker.Server, *countingListener) {
	t.Helper()
	tlsConf, err := murdertracker.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := murdertracker.New(murdertracker.Config{AllowAll: true, TLS: tlsConf})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: raw}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	return srv, ln
}

// testTorrent makes a torrent of 1 MiB of random data announced to the
// https tracker at addr, and returns it with the data's path.
func testTorrent(t *testing.T, addr string) (*torrentFile, string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "data.tgz")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tf, err := makeTorrent(context.Background(), src, "https://"+addr+"/announce", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return tf, src
}

// testAnnouncer returns an announcer for tf in a client of its own
// (testClientTorrent).
func testAnnouncer(t *testing.T, tf *torrentFile, path string) *announcer {
	t.Helper()
	cl, tor := testClientTorrent(t, tf, path)
	a, err := newAnnouncer(tf, cl, tor, net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testClientTorrent adds tf to a client of its own, as the seeder does
// (its data at path, verified) or as a peer does (path absent); the client
// closes when the test ends.
func testClientTorrent(t testing.TB, tf *torrentFile, path string) (*torrent.Client, *torrent.Torrent) {
	t.Helper()
	_, err := os.Stat(path)
	seeder := err == nil
	cfg := clientConfig(swarmFlags{maxConns: defaultMaxConns, halfOpen: 4, dialTimeout: 2e9}, net.IPv4(127, 0, 0, 1),
		checkSHA256(fileStorage(path, &tf.info, tf.mi.HashInfoBytes(), !seeder, !seeder), tf, path), io.Discard)
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeClient(cl) })
	tor, err := addTorrent(cl, tf, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if seeder {
		if missing, err := verifyAll(context.Background(), tor); err != nil || missing != 0 {
			t.Fatalf("verifying the seeder's data: %d pieces missing, %v", missing, err)
		}
	} else {
		tor.DownloadAll()
	}
	return cl, tor
}

func mustURL(t *testing.T, s string) *neturl.URL {
	t.Helper()
	u, err := neturl.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOwnAnnounce(t *testing.T) {
	for url, want := range map[string]bool{
		"https://t:8998/abc/announce": true,
		"http://t:8998/announce":      true,
		"udp://t:6969/announce":       false,
	} {
		tf := &torrentFile{mi: &metainfo.MetaInfo{Announce: url}}
		if got := ownAnnounce(tf); got != want {
			t.Errorf("ownAnnounce(%s) = %v, want %v", url, got, want)
		}
	}
}

// TestAloneAnnouncerAsksSooner: a peer without a connection asks the
// tracker again well before the interval, less often the longer it stays
// alone, and no sooner than the interval once it has one.
func TestAloneAnnouncerAsksSooner(t *testing.T) {
	_, ln := startTestTracker(t)
	tf, _ := testTorrent(t, ln.Addr().String())
	a := testAnnouncer(t, tf, filepath.Join(t.TempDir(), "data.tgz"))
	var alone atomic.Bool
	alone.Store(true)
	var announces atomic.Int32
	a.alone, a.soon = alone.Load, 50*time.Millisecond
	a.addPeers = func(p []torrent.PeerInfo) int { announces.Add(1); return len(p) }
	if err := a.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	// 50, 100, 200, 400 ms: five announces by 750 ms, the first included.
	time.Sleep(900 * time.Millisecond)
	if n := announces.Load(); n < 4 || n > 6 {
		t.Errorf("%d announces in 0.9 s alone, want 5 (after 0, 50, 150, 350 and 750 ms)", n)
	}
	alone.Store(false)
	time.Sleep(900 * time.Millisecond) // the turn at 1.55 s is skipped
	n := announces.Load()
	time.Sleep(900 * time.Millisecond)
	if m := announces.Load(); m != n {
		t.Errorf("%d announces in 0.9 s with a connection, want none before the interval", m-n)
	}
}
