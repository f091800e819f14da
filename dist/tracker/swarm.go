package tracker

import "net/netip"

// peer is one announcer of a swarm. It is kept small (120 bytes, and no
// allocation of its own: no maps, no strings) because a swarm may hold tens
// of thousands of them.
//
// A peer is identified by its peer_id alone. The optional key is not part of
// it: one client may announce with different keys (anacrolix's own announces
// and murder's direct pre-flight announce do), and must stay one peer. Only
// announces from the source address that created the entry may change it
// (see [Server.announce]), so a forged peer_id cannot move or stop a peer.
type peer struct {
	id                         [20]byte
	completed                  bool  // a completed event was counted for it
	idx                        int32 // position in its list, seeds or leechers
	addr                       netip.AddrPort
	src                        netip.Addr // source address of the announce that created it
	uploaded, downloaded, left int64
	lastSeen                   int64 // Unix nanoseconds: a time.Time is 24 bytes
}

func (p *peer) seed() bool { return p.left == 0 }

// swarm is the peers of one info-hash. The map finds a peer by peer_id; the
// two slices, seeds and leechers apart, let an announce draw a random sample
// in O(numwant) whatever the mix (a seed wants leechers only). The counters
// are maintained on every change so that status and scrape cost O(1) per
// swarm.
type swarm struct {
	peers      map[[20]byte]*peer
	seeds      []*peer
	leechers   []*peer
	downloaded int   // completed events, for scrape
	bytesLeft  int64 // sum of left over the peers, for status and metrics
}

func newSwarm() *swarm {
	return &swarm{peers: make(map[[20]byte]*peer)}
}

func (sw *swarm) size() int { return len(sw.seeds) + len(sw.leechers) }

// listOf returns the list p belongs in.
func (sw *swarm) listOf(p *peer) *[]*peer {
	if p.seed() {
		return &sw.seeds
	}
	return &sw.leechers
}

func (sw *swarm) add(p *peer) {
	sw.peers[p.id] = p
	sw.link(p)
}

func (sw *swarm) remove(p *peer) {
	sw.unlink(p)
	delete(sw.peers, p.id)
}

// link appends p to its list and counts its left.
func (sw *swarm) link(p *peer) {
	l := sw.listOf(p)
	p.idx = int32(len(*l))
	*l = append(*l, p)
	sw.bytesLeft += p.left
}

// unlink takes p out of its list (swapping the last entry into its place)
// and uncounts its left.
func (sw *swarm) unlink(p *peer) {
	l := sw.listOf(p)
	last := len(*l) - 1
	swapIn(*l, int(p.idx), last)
	(*l)[last] = nil // do not pin the peer
	*l = (*l)[:last]
	sw.bytesLeft -= p.left
}

func swapIn(l []*peer, i, j int) {
	l[i], l[j] = l[j], l[i]
	l[i].idx = int32(i)
	l[j].idx = int32(j)
}

// setLeft updates p.left, moving p between seeds and leechers as needed.
func (sw *swarm) setLeft(p *peer, left int64) {
	sw.unlink(p)
	p.left = left
	sw.link(p)
}

// expire removes peers not seen since deadline and returns how many.
func (sw *swarm) expire(deadline int64) int {
	n := 0
	for _, l := range []*[]*peer{&sw.seeds, &sw.leechers} {
		for i := len(*l) - 1; i >= 0; i-- {
			// Walking backwards: remove swaps the last entry into i, which
			// was already checked.
			if p := (*l)[i]; p.lastSeen < deadline {
				sw.remove(p)
				n++
			}
		}
	}
	return n
}

// expire removes every peer idle for longer than PeerTTL and returns how many.
// It also drops empty swarms that are not registered by Allow or AllowDir
// (AllowAll's, or a torrent removed from AllowDir), so that with AllowAll
// stray info-hashes do not accumulate.
func (s *Server) expire() int {
	deadline := s.now().Add(-s.cfg.PeerTTL).UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for ih, sw := range s.swarms {
		n += sw.expire(deadline)
		if sw.size() == 0 && !s.knownLocked(ih) {
			delete(s.swarms, ih)
		}
	}
	return n
}
