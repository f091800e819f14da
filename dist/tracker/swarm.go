package tracker

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// peerKey identifies a peer by its peer_id alone. The optional key is not
// part of it: one client may announce with different keys (anacrolix's own
// announces and murder's direct pre-flight announce do), and must stay one
// peer. Inside a fleet nobody has a reason to steal another's peer_id.
type peerKey struct {
	id [20]byte
}

type peer struct {
	peerKey
	addr                       netip.AddrPort
	uploaded, downloaded, left int64
	lastSeen                   time.Time
	completed                  bool // a completed event was counted for it
	idx                        int  // position in swarm.list
}

func (p *peer) seed() bool { return p.left == 0 }

// swarm is the peers of one info-hash. The map finds a peer by identity; the
// slice lets an announce draw a random sample in O(numwant).
type swarm struct {
	peers      map[peerKey]*peer
	list       []*peer
	seeds      int
	downloaded int // completed events, for scrape
}

func newSwarm() *swarm {
	return &swarm{peers: make(map[peerKey]*peer)}
}

func (sw *swarm) leechers() int { return len(sw.list) - sw.seeds }

func (sw *swarm) add(p *peer) {
	p.idx = len(sw.list)
	sw.list = append(sw.list, p)
	sw.peers[p.peerKey] = p
	if p.seed() {
		sw.seeds++
	}
}

func (sw *swarm) remove(p *peer) {
	last := len(sw.list) - 1
	sw.swap(p.idx, last)
	sw.list[last] = nil
	sw.list = sw.list[:last]
	delete(sw.peers, p.peerKey)
	if p.seed() {
		sw.seeds--
	}
}

func (sw *swarm) swap(i, j int) {
	sw.list[i], sw.list[j] = sw.list[j], sw.list[i]
	sw.list[i].idx = i
	sw.list[j].idx = j
}

// setLeft updates p.left, keeping the seed count right.
func (sw *swarm) setLeft(p *peer, left int64) {
	if p.seed() {
		sw.seeds--
	}
	p.left = left
	if p.seed() {
		sw.seeds++
	}
}

// sample calls fn for up to n peers drawn at random among those other than self
// (any peer with self's peer_id) and, when self is a seed, among leechers only:
// a seed has no use for other seeds.
func (sw *swarm) sample(self *peer, n int, fn func(*peer)) {
	eligible := func(p *peer) bool {
		return p.id != self.id && !(self.seed() && p.seed())
	}
	candidates := len(sw.list) - 1
	if self.seed() {
		candidates = sw.leechers()
	}
	if n <= 0 {
		return
	}
	if candidates <= n {
		for _, p := range sw.list {
			if eligible(p) {
				fn(p)
			}
		}
		return
	}
	// A partial Fisher-Yates shuffle: the list is unordered anyway, so shuffling
	// it in place costs nothing and needs no scratch space.
	got := 0
	for i := 0; i < len(sw.list) && got < n; i++ {
		sw.swap(i, i+rand.IntN(len(sw.list)-i))
		if p := sw.list[i]; eligible(p) {
			fn(p)
			got++
		}
	}
}

// expire removes peers not seen since deadline and returns how many.
func (sw *swarm) expire(deadline time.Time) int {
	n := 0
	for i := len(sw.list) - 1; i >= 0; i-- {
		// Walking backwards: remove swaps the last entry into i, which was
		// already checked.
		if p := sw.list[i]; p.lastSeen.Before(deadline) {
			sw.remove(p)
			n++
		}
	}
	return n
}

// expire removes every peer idle for longer than PeerTTL and returns how many.
// It also drops empty swarms that are not registered by Allow or AllowDir
// (AllowAll's, or a torrent removed from AllowDir), so that with AllowAll
// stray info-hashes do not accumulate.
func (s *Server) expire() int {
	deadline := s.now().Add(-s.cfg.PeerTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for ih, sw := range s.swarms {
		n += sw.expire(deadline)
		if len(sw.list) == 0 && !s.knownLocked(ih) {
			delete(s.swarms, ih)
		}
	}
	return n
}
