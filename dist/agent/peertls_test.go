package agent

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/dist/tracker"
)

func tlsTestTorrent(t *testing.T, token, name string) *metainfo.MetaInfo {
	t.Helper()
	info, err := bencode.Marshal(metainfo.Info{Name: name, PieceLength: 16384, Length: 1, Pieces: make([]byte, 20)})
	if err != nil {
		t.Fatal(err)
	}
	return &metainfo.MetaInfo{Announce: tracker.AnnounceURL("10.0.0.1", 8998, token), InfoBytes: info}
}

// handshake runs a TLS handshake between a server with srv and a client
// with cli over a pipe and returns both ends' errors.
func handshake(t *testing.T, srv, cli *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := tls.Server(a, srv).HandshakeContext(ctx)
		a.Close() // a refused client must not wait for more
		done <- err
	}()
	clientErr = tls.Client(b, cli).HandshakeContext(ctx)
	b.Close()
	return <-done, clientErr
}

// TestPeerTLS: two peers of one transfer connect; a peer of another
// transfer, with another token or for another torrent under the same
// token, is refused by both ends.
func TestPeerTLS(t *testing.T) {
	const tokA, tokB = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	cfg := func(mi *metainfo.MetaInfo) *tls.Config {
		c, err := peerTLSConfig(mi)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a1, a2 := cfg(tlsTestTorrent(t, tokA, "x.tgz")), cfg(tlsTestTorrent(t, tokA, "x.tgz"))
	if s, c := handshake(t, a1, a2); s != nil || c != nil {
		t.Fatalf("same transfer: server %v, client %v", s, c)
	}
	for name, other := range map[string]*tls.Config{
		"another token":   cfg(tlsTestTorrent(t, tokB, "x.tgz")),
		"another torrent": cfg(tlsTestTorrent(t, tokA, "y.tgz")),
	} {
		if s, c := handshake(t, a1, other); s == nil || c == nil {
			t.Errorf("%s as client: server %v, client %v; want both refused", name, s, c)
		}
		if s, c := handshake(t, other, a1); s == nil || c == nil {
			t.Errorf("%s as server: server %v, client %v; want both refused", name, s, c)
		}
	}
	// A client with no certificate at all.
	if s, _ := handshake(t, a1, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}); s == nil {
		t.Error("a client without a certificate was let in")
	}
}

func TestPeerTLSNeedsToken(t *testing.T) {
	_, err := peerTLSConfig(tlsTestTorrent(t, "", "x.tgz"))
	if err == nil || !strings.Contains(err.Error(), "transfer token") {
		t.Errorf("tokenless torrent: %v", err)
	}
}
