package tracker

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"github.com/murderfleet/murder/dist/passkey"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// Status is the JSON document served on /status.
type Status struct {
	// Now is the tracker's clock when the status was taken, to judge LastSeen.
	Now time.Time `json:"now"`
	// Swarms holds every registered info-hash and every swarm with peers
	// that the asker may see, sorted by info-hash.
	Swarms []Swarm `json:"swarms"`
}

// Swarm is the state of one torrent in a [Status].
type Swarm struct {
	InfoHash   string `json:"info_hash"`  // lowercase hex
	Complete   int    `json:"complete"`   // seeds
	Incomplete int    `json:"incomplete"` // leechers
	Downloaded int    `json:"downloaded"` // completed events
	BytesLeft  int64  `json:"bytes_left"` // sum of left over the peers
	// Peers, sorted by peer_id then addr, is listed only when asked for
	// (/status?peers=1, [Server.Status]): with ten thousand peers it is
	// megabytes.
	Peers []Peer `json:"peers,omitempty"`
}

// Peer is one peer of a [Swarm], as of its last announce.
type Peer struct {
	PeerID     string    `json:"peer_id"` // hex
	Addr       string    `json:"addr"`    // ip:port, as announced to other peers
	Left       int64     `json:"left"`
	Uploaded   int64     `json:"uploaded"`
	Downloaded int64     `json:"downloaded"`
	LastSeen   time.Time `json:"last_seen"`
	Seed       bool      `json:"seed"`
}

// Status returns a snapshot of every swarm, with its peers.
func (s *Server) Status() Status {
	return s.snapshot(func(registration) bool { return true }, true)
}

// swarmEntry is one swarm's counters, taken under the lock.
type swarmEntry struct {
	reg registration
	sw  Swarm // without peers
}

// snapshot describes the swarms that show accepts. The lock is held for
// O(swarms) to read the counters, and then, only when withPeers, once per
// swarm for the time it takes to copy its peers (no formatting, sorting or
// encoding under it), so that a status never stalls the announces.
func (s *Server) snapshot(show func(registration) bool, withPeers bool) Status {
	st := Status{Now: s.now().UTC(), Swarms: []Swarm{}}
	entries := s.swarmEntries()
	slices.SortFunc(entries, func(a, b swarmEntry) int { return a.reg.ih.Compare(b.reg.ih) })
	for _, e := range entries {
		if !show(e.reg) {
			continue
		}
		sw := e.sw
		if withPeers {
			sw = s.swarmWithPeers(e.reg.ih)
		}
		st.Swarms = append(st.Swarms, sw)
	}
	return st
}

// swarmEntries lists every registration and every swarm with its counters.
func (s *Server) swarmEntries() []swarmEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]swarmEntry, 0, len(s.swarms)+len(s.allowed)+len(s.dir.hashes))
	add := func(ih metainfo.Hash) {
		tok, known := s.registrationLocked(ih)
		out = append(out, swarmEntry{
			reg: registration{ih: ih, token: tok, known: known},
			sw:  countSwarm(ih, s.swarms[ih]),
		})
	}
	for ih := range s.allowed {
		add(ih)
	}
	for ih := range s.dir.hashes {
		if _, dup := s.allowed[ih]; !dup {
			add(ih)
		}
	}
	for ih := range s.swarms {
		if !s.knownLocked(ih) {
			add(ih)
		}
	}
	return out
}

// countSwarm is the counters of sw (nil: no peers yet) in O(1).
func countSwarm(ih metainfo.Hash, sw *swarm) Swarm {
	out := Swarm{InfoHash: ih.HexString()}
	if sw != nil {
		out.Complete, out.Incomplete = len(sw.seeds), len(sw.leechers)
		out.Downloaded, out.BytesLeft = sw.downloaded, sw.bytesLeft
	}
	return out
}

// swarmWithPeers describes the swarm of ih with its peers. It copies the
// peers under the lock and formats them outside it.
func (s *Server) swarmWithPeers(ih metainfo.Hash) Swarm {
	s.mu.Lock()
	sw := s.swarms[ih]
	out := countSwarm(ih, sw)
	var peers []peer
	if sw != nil {
		peers = make([]peer, 0, sw.size())
		for _, l := range [][]*peer{sw.seeds, sw.leechers} {
			for _, p := range l {
				peers = append(peers, *p)
			}
		}
	}
	s.mu.Unlock()

	out.Peers = make([]Peer, 0, len(peers))
	for i := range peers {
		p := &peers[i]
		out.Peers = append(out.Peers, Peer{
			PeerID:     hex.EncodeToString(p.id[:]),
			Addr:       p.addr.String(),
			Left:       p.left,
			Uploaded:   p.uploaded,
			Downloaded: p.downloaded,
			LastSeen:   time.Unix(0, p.lastSeen).UTC(),
			Seed:       p.seed(),
		})
	}
	slices.SortFunc(out.Peers, func(a, b Peer) int {
		return cmp.Or(strings.Compare(a.PeerID, b.PeerID), strings.Compare(a.Addr, b.Addr))
	})
	return out
}

// serveStatus answers /status: every swarm to the admin token, or the swarms
// of one transfer to that transfer's token. ?token=T narrows the admin's view
// to transfer T (a transfer's own token may repeat itself there); ?peers=1
// adds the per-peer detail.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter := q.Get("token")
	if !s.isAdmin(r) {
		b := bearer(r)
		if b == "" || passkey.Valid(b) != nil || (filter != "" && filter != b) || !s.transferExists(b) {
			unauthorized(w, "send Authorization: Bearer with the admin token, or with a transfer's token")
			return
		}
		filter = b
	}
	show := func(registration) bool { return true }
	if filter != "" {
		show = func(r registration) bool { return r.token != "" && r.opens(filter) }
	}
	body, err := json.MarshalIndent(s.snapshot(show, q.Get("peers") == "1"), "", "  ")
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(body, '\n'))
}

// transferExists reports whether some info-hash is registered with token,
// rescanning AllowDir (rate-limited) before saying no: the controller may
// follow a transfer the moment it registered it.
func (s *Server) transferExists(token string) bool {
	if len(s.hashesOf(token)) > 0 {
		return true
	}
	if s.cfg.AllowDir == "" {
		return false
	}
	s.rescan()
	return len(s.hashesOf(token)) > 0
}
