package tracker

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// scrapeFile is one entry of a scrape answer's "files" dictionary.
type scrapeFile struct {
	Complete   int `bencode:"complete"`
	Downloaded int `bencode:"downloaded"`
	Incomplete int `bencode:"incomplete"`
}

// serveScrape answers for the info_hash parameters that are registered, or for
// every registered info-hash when there is none.
func (s *Server) serveScrape(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, &requestError{msg: "malformed query string: " + err.Error()})
		return
	}
	var hashes []metainfo.Hash
	for _, v := range q["info_hash"] {
		if len(v) != 20 {
			s.fail(w, badParam("info_hash", "must be 20 bytes, got %d", len(v)))
			return
		}
		if ih := metainfo.Hash([]byte(v)); s.registered(ih) {
			hashes = append(hashes, ih)
		}
	}
	switch {
	case !q.Has("info_hash"):
		if s.cfg.AllowDir != "" {
			s.rescan()
		}
		hashes = s.registeredHashes()
	case len(hashes) == 0:
		s.fail(w, badParam("info_hash", "none of the requested info-hashes is registered"))
		return
	}
	files := make(map[string]scrapeFile, len(hashes))
	s.mu.Lock()
	for _, ih := range hashes {
		var f scrapeFile
		if sw := s.swarms[ih]; sw != nil {
			f = scrapeFile{Complete: sw.seeds, Downloaded: sw.downloaded, Incomplete: sw.leechers()}
		}
		files[string(ih[:])] = f
	}
	s.mu.Unlock()
	body, err := bencode.Marshal(map[string]any{"files": files})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeBencode(w, body)
}

// registeredHashes lists the info-hashes the tracker answers for; with
// AllowAll, those it has seen.
func (s *Server) registeredHashes() []metainfo.Hash {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := make(map[metainfo.Hash]struct{}, len(s.allowed)+len(s.dir.hashes))
	for ih := range s.allowed {
		set[ih] = struct{}{}
	}
	for ih := range s.dir.hashes {
		set[ih] = struct{}{}
	}
	if s.cfg.AllowAll {
		for ih := range s.swarms {
			set[ih] = struct{}{}
		}
	}
	out := make([]metainfo.Hash, 0, len(set))
	for ih := range set {
		out = append(out, ih)
	}
	return out
}

// Status is the JSON document served on /status.
type Status struct {
	// Now is the tracker's clock when the status was taken, to judge LastSeen.
	Now time.Time `json:"now"`
	// Swarms holds every registered info-hash and every swarm with peers,
	// sorted by info-hash.
	Swarms []Swarm `json:"swarms"`
}

// Swarm is the state of one torrent in a [Status].
type Swarm struct {
	InfoHash   string `json:"info_hash"`  // lowercase hex
	Complete   int    `json:"complete"`   // seeds
	Incomplete int    `json:"incomplete"` // leechers
	Downloaded int    `json:"downloaded"` // completed events
	Peers      []Peer `json:"peers"`      // sorted by peer_id, then addr
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

// Status returns a snapshot of every swarm.
func (s *Server) Status() Status {
	hashes := s.registeredHashes()
	st := Status{Now: s.now().UTC(), Swarms: []Swarm{}}
	s.mu.Lock()
	for ih := range s.swarms {
		hashes = append(hashes, ih)
	}
	slices.SortFunc(hashes, func(a, b metainfo.Hash) int { return a.Compare(b) })
	hashes = slices.Compact(hashes)
	for _, ih := range hashes {
		st.Swarms = append(st.Swarms, s.swarmStatus(ih))
	}
	s.mu.Unlock()
	return st
}

// swarmStatus describes the swarm of ih. Called with s.mu held.
func (s *Server) swarmStatus(ih metainfo.Hash) Swarm {
	out := Swarm{InfoHash: ih.HexString(), Peers: []Peer{}}
	sw := s.swarms[ih]
	if sw == nil {
		return out
	}
	out.Complete, out.Incomplete, out.Downloaded = sw.seeds, sw.leechers(), sw.downloaded
	for _, p := range sw.list {
		out.Peers = append(out.Peers, Peer{
			PeerID:     hex.EncodeToString(p.id[:]),
			Addr:       p.addr.String(),
			Left:       p.left,
			Uploaded:   p.uploaded,
			Downloaded: p.downloaded,
			LastSeen:   p.lastSeen.UTC(),
			Seed:       p.seed(),
		})
	}
	slices.SortFunc(out.Peers, func(a, b Peer) int {
		return cmp.Or(strings.Compare(a.PeerID, b.PeerID), strings.Compare(a.Addr, b.Addr))
	})
	return out
}

func (s *Server) serveStatus(w http.ResponseWriter, _ *http.Request) {
	body, err := json.MarshalIndent(s.Status(), "", "  ")
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(body, '\n'))
}
