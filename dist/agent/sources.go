package agent

import (
	"bytes"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent"

	"github.com/murderfleet/murder/internal/agentproto"
)

// The agent's BEP 20 peer-id prefixes: a seeder and a peer name
// themselves apart, so that a peer can tell which of its bytes came from
// the seeder (the scarce link) and which from the swarm.
const (
	seederBep20 = "-MS0001-"
	peerBep20   = "-MP0001-"
)

// seederPrefix is seederBep20 as bytes, to match peer ids without a copy
// per block received.
var seederPrefix = []byte(seederBep20)

// sources counts a download's useful bytes by where they came from, and
// notes when the first one arrived. Safe for concurrent use: anacrolix
// calls it from its connection goroutines.
type sources struct {
	start      time.Time
	firstByte  atomic.Int64 // nanoseconds after start; 0: none yet
	fromSeeder atomic.Int64
	fromPeers  atomic.Int64
}

// watch makes cfg's client report every useful block to s.
func (s *sources) watch(cfg *torrent.ClientConfig) {
	s.start = time.Now()
	cfg.Callbacks.ReceivedUsefulData = append(cfg.Callbacks.ReceivedUsefulData, func(e torrent.ReceivedUsefulDataEvent) {
		n := int64(len(e.Message.Piece))
		s.firstByte.CompareAndSwap(0, max(1, int64(time.Since(s.start))))
		if pc, ok := e.Peer.TryAsPeerConn(); ok && bytes.HasPrefix(pc.PeerID[:], seederPrefix) {
			s.fromSeeder.Add(n)
			return
		}
		s.fromPeers.Add(n)
	})
}

// done is the result of a download that ends now, extraction aside.
func (s *sources) done() agentproto.PeerDone {
	return agentproto.PeerDone{
		FirstByte:  time.Duration(s.firstByte.Load()),
		Downloaded: time.Since(s.start),
		FromSeeder: s.fromSeeder.Load(),
		FromPeers:  s.fromPeers.Load(),
	}
}
