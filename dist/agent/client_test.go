package agent

import (
	"flag"
	"io"
	"net"
	"testing"

	"github.com/anacrolix/torrent/storage"
)

// TestClientConfig pins the settings that anacrolix's defaults get wrong
// for a fleet: each was a bug or a measured slowdown when left alone.
func TestClientConfig(t *testing.T) {
	var s swarmFlags
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	s.register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg := clientConfig(s, net.IPv4(10, 0, 0, 1), storage.NewFile(t.TempDir()), io.Discard)
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
		{"ten connections", cfg.EstablishedConnsPerTorrent == defaultMaxConns && defaultMaxConns == 10},
		{"serves whole-piece requests", cfg.MaxAllocPeerRequestDataPerConn >= maxChunk},
	} {
		if !c.ok {
			t.Errorf("client config: want %s", c.name)
		}
	}
}
