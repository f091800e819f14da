package agent

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/tracker/shared"

	"github.com/murderfleet/murder/dist/tracker"
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
	tlsConf, err := tracker.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tracker.New(tracker.Config{AllowAll: true, TLS: tlsConf})
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
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	src := filepath.Join(t.TempDir(), "data.tgz")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tf, err := makeTorrent(context.Background(), src, "https://"+raw.Addr().String()+"/announce", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !ownAnnounce(tf) {
		t.Fatal("an https tracker is not announced to by the agent itself")
	}
	cfg := clientConfig(swarmFlags{maxConns: defaultMaxConns, halfOpen: 4, dialTimeout: 2e9}, net.IPv4(127, 0, 0, 1),
		fileStorage(src, &tf.info, tf.mi.HashInfoBytes(), false, false), io.Discard)
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(cl)
	tor, err := addTorrent(cl, tf, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAnnouncer(tf, cl, tor, net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
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
