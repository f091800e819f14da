package agent

import (
	"flag"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/mse"
	pp "github.com/anacrolix/torrent/peer_protocol"
	"github.com/anacrolix/torrent/storage"
)

// testClientConfig is the client configuration of a peer started with the
// swarm flags in args.
func testClientConfig(t *testing.T, args ...string) *torrent.ClientConfig {
	t.Helper()
	var s swarmFlags
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	s.register(fs, defaultMaxConns)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return clientConfig(s, net.IPv4(10, 0, 0, 1), storage.NewFile(t.TempDir()), io.Discard)
}

// TestClientConfig pins the settings that anacrolix's defaults get wrong
// for a fleet: each was a bug or a measured slowdown when left alone.
func TestClientConfig(t *testing.T) {
	cfg := testClientConfig(t)
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"no DHT", cfg.NoDHT},
		{"no UPnP", cfg.NoDefaultPortForwarding},
		{"no IPv6", cfg.DisableIPv6},
		{"TCP only", cfg.DisableUTP},
		{"seeds while downloading", cfg.Seed},
		{"no cap on unverified bytes (rarest first over all pieces)", cfg.MaxUnverifiedBytes == 0},
		{"five connections", cfg.EstablishedConnsPerTorrent == defaultMaxConns && defaultMaxConns == 5},
		{"serves whole-piece requests", cfg.MaxAllocPeerRequestDataPerConn >= maxChunk},
		{"no fast extension (a rejected cancel idles a connection)", !cfg.Extensions.GetBit(pp.ExtensionBitFast)},
	} {
		if !c.ok {
			t.Errorf("client config: want %s", c.name)
		}
	}
}

// TestRequireEncryption: plain BitTorrent inside (no MSE header, no RC4)
// either way; the flag leaves TCP to usePeerTLS.
func TestRequireEncryption(t *testing.T) {
	for _, args := range [][]string{nil, {"--require-encryption"}} {
		cfg := testClientConfig(t, args...)
		if cfg.HeaderObfuscationPolicy.Preferred || cfg.CryptoProvides != mse.CryptoMethodPlaintext {
			t.Errorf("%v: policy %+v, provides %v; want plaintext", args, cfg.HeaderObfuscationPolicy, cfg.CryptoProvides)
		}
		if cfg.DisableTCP != (args != nil) {
			t.Errorf("%v: DisableTCP %v", args, cfg.DisableTCP)
		}
	}
}

func TestRequestCap(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int // requests in flight per connection; 0: not capped
	}{
		{nil, 1},
		{[]string{"--max-requests", "3"}, 3},
		{[]string{"--chunk-size", "16384"}, 0},
		{[]string{"--chunk-size", "16384", "--max-requests", "64"}, 64},
	} {
		cfg := testClientConfig(t, c.args...)
		// What anacrolix allows before and after the other peer's extended
		// handshake (reqq 1024 from another anacrolix, none from some).
		pc := &torrent.PeerConn{PeerMaxRequests: 250}
		for _, f := range cfg.Callbacks.PeerConnAdded {
			f(pc)
		}
		reqq := map[int]int{1024: 0, 0: 0}
		for sent := range reqq {
			d := &pp.ExtendedHandshakeMessage{Reqq: sent}
			if f := cfg.Callbacks.ReadExtendedHandshake; f != nil {
				f(pc, d)
			}
			reqq[sent] = d.Reqq
		}
		if c.want == 0 {
			if pc.PeerMaxRequests != 250 || reqq[1024] != 1024 || reqq[0] != 0 {
				t.Errorf("%v: capped at %d / reqq %v, want anacrolix's own limits", c.args, pc.PeerMaxRequests, reqq)
			}
			continue
		}
		if pc.PeerMaxRequests != c.want || reqq[1024] != c.want || reqq[0] != c.want {
			t.Errorf("%v: %d before the handshake, reqq 1024 -> %d, none -> %d; want %d", c.args, pc.PeerMaxRequests, reqq[1024], reqq[0], c.want)
		}
	}
}

// TestMaxConnsDefaults: the seeder keeps fewer connections than a peer
// unless told otherwise.
func TestMaxConnsDefaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		parse func([]string) (*seedOpts, error)
		args  []string
		want  int
	}{
		{"seeder", parseSeeder, nil, defaultSeederConns},
		{"seeder --max-conns 8", parseSeeder, []string{"--max-conns", "8"}, 8},
		{"peer", parsePeer, nil, defaultMaxConns},
	} {
		o, err := c.parse(append(c.args, "a.torrent", "a.tgz"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if o.swarm.maxConns != c.want {
			t.Errorf("%s: %d connections, want %d", c.name, o.swarm.maxConns, c.want)
		}
	}
}

func TestSwarmFlagsRefused(t *testing.T) {
	for _, c := range []struct {
		parse func([]string) (*seedOpts, error)
		args  []string
		want  string
	}{
		{parseSeeder, []string{"--max-conns", "0"}, "--max-conns 0: want at least 1"},
		{parsePeer, []string{"--max-conns", "-3"}, "--max-conns -3: want at least 1"},
		{parsePeer, []string{"--half-open", "0"}, "--half-open 0: want at least 1"},
	} {
		_, err := c.parse(append(c.args, "a.torrent", "a.tgz"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
