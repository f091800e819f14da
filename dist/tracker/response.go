package tracker

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// announce records req in its swarm and returns the bencoded answer.
func (s *Server) announce(req *announceRequest) ([]byte, error) {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.swarms[req.infoHash]
	if sw == nil {
		sw = newSwarm()
		s.swarms[req.infoHash] = sw
	}
	p := sw.peers[req.peerID]
	if p != nil && p.src != req.src {
		// Only the host that created the entry may move or stop it: a peer_id
		// is no secret (every peer sees the others'), a source address cannot
		// be forged over TCP. A host whose address changed is listed anew
		// once its old entry expires. The reason does not say from where:
		// that is the other host's business.
		return nil, badParam("peer_id", "already in the swarm, announced from another address; it is forgotten %v after its last announce",
			s.cfg.PeerTTL)
	}
	if req.event == "stopped" {
		if p != nil {
			sw.remove(p)
		}
		return s.encodeAnnounce(sw, nil, req), nil
	}
	if p == nil {
		if sw.size() >= s.cfg.MaxPeersPerSwarm {
			return nil, &requestError{msg: fmt.Sprintf("swarm full: it has %d peers, the most this tracker lists", sw.size())}
		}
		p = &peer{id: req.peerID, src: req.src, left: req.left}
		sw.add(p)
	} else {
		sw.setLeft(p, req.left)
	}
	p.addr, p.uploaded, p.downloaded, p.lastSeen = req.addr, req.uploaded, req.downloaded, now
	if req.event == "completed" && !p.completed {
		// Counted once per peer, so a client repeating the event does not
		// inflate the scrape's downloaded count.
		p.completed = true
		sw.downloaded++
	}
	return s.encodeAnnounce(sw, p, req), nil
}

// encodeAnnounce answers self (nil: no peers) in sw. Called with s.mu held.
// Hand-written bencode: this runs for every announce of the fleet, and the
// reflective encoder would allocate per peer.
func (s *Server) encodeAnnounce(sw *swarm, self *peer, req *announceRequest) []byte {
	picked := s.scratch[:0]
	if self != nil {
		sw.sample(self, req.numWant, &s.seen, func(p *peer) { picked = append(picked, p) })
	}
	// Keep the scratch slice for the next announce, without pinning peers.
	defer func() { clear(picked); s.scratch = picked[:0] }()

	per := 6
	if !req.compact {
		per = 64
	}
	b := make([]byte, 0, 96+len(picked)*per)
	b = append(b, 'd')
	b = appendInt(appendStr(b, "complete"), int64(len(sw.seeds)))
	b = appendInt(appendStr(b, "incomplete"), int64(len(sw.leechers)))
	b = appendInt(appendStr(b, "interval"), int64(s.cfg.Interval/time.Second))
	b = appendInt(appendStr(b, "min interval"), int64(s.cfg.MinInterval/time.Second))
	if req.compact {
		b = appendCompact(b, picked)
	} else {
		b = appendDictPeers(b, picked, !req.noPeerID)
	}
	return append(b, 'e')
}

// appendCompact appends "peers" with 6-byte IPv4 entries (BEP 23) and, if any
// IPv6 peer was picked, "peers6" with 18-byte entries (BEP 7).
func appendCompact(b []byte, picked []*peer) []byte {
	n4 := 0
	for _, p := range picked {
		if p.addr.Addr().Is4() {
			n4++
		}
	}
	b = appendStrHeader(appendStr(b, "peers"), 6*n4)
	for _, p := range picked {
		if a := p.addr.Addr(); a.Is4() {
			ip := a.As4()
			b = append(b, ip[:]...)
			b = append(b, byte(p.addr.Port()>>8), byte(p.addr.Port()))
		}
	}
	if n6 := len(picked) - n4; n6 > 0 {
		b = appendStrHeader(appendStr(b, "peers6"), 18*n6)
		for _, p := range picked {
			if a := p.addr.Addr(); !a.Is4() {
				ip := a.As16()
				b = append(b, ip[:]...)
				b = append(b, byte(p.addr.Port()>>8), byte(p.addr.Port()))
			}
		}
	}
	return b
}

// appendDictPeers appends "peers" as a list of dictionaries (BEP 3).
func appendDictPeers(b []byte, picked []*peer, withID bool) []byte {
	b = append(appendStr(b, "peers"), 'l')
	for _, p := range picked {
		b = append(b, 'd')
		b = appendStr(appendStr(b, "ip"), p.addr.Addr().String())
		if withID {
			b = appendStrHeader(appendStr(b, "peer id"), len(p.id))
			b = append(b, p.id[:]...)
		}
		b = appendInt(appendStr(b, "port"), int64(p.addr.Port()))
		b = append(b, 'e')
	}
	return append(b, 'e')
}

func appendStrHeader(b []byte, n int) []byte {
	return append(strconv.AppendInt(b, int64(n), 10), ':')
}

func appendStr(b []byte, s string) []byte {
	return append(appendStrHeader(b, len(s)), s...)
}

func appendInt(b []byte, n int64) []byte {
	return append(strconv.AppendInt(append(b, 'i'), n, 10), 'e')
}

// writeBencode sends a bencoded answer. Trackers answer 200 even for failures:
// clients read the failure reason only from a 200.
func writeBencode(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body) // the peer re-announces anyway
}

// fail answers a failure reason for a request error, 500 for anything else.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var rerr *requestError
	if !errors.As(err, &rerr) {
		s.log.Error("tracker: internal error", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.log.Debug("tracker: request refused", "reason", rerr.msg)
	body, err := bencode.Marshal(map[string]string{"failure reason": rerr.msg})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeBencode(w, body)
}
