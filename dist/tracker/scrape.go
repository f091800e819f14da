package tracker

import (
	"github.com/murderfleet/murder/dist/passkey"
	"net/http"
	"net/url"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// scrapeFile is one entry of a scrape answer's "files" dictionary.
type scrapeFile struct {
	Complete   int `bencode:"complete"`
	Downloaded int `bencode:"downloaded"`
	Incomplete int `bencode:"incomplete"`
}

// serveScrape answers a scrape that came on the path of token ("" for
// /scrape): for the info_hash parameters the token opens, or, when there is
// none, for every info-hash registered with that token (on /scrape: every
// tokenless one). It never lists another token's transfers.
func (s *Server) serveScrape(w http.ResponseWriter, r *http.Request, token string) {
	if token != "" && passkey.Valid(token) != nil {
		s.fail(w, errUnauthorized)
		return
	}
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
		if ih := metainfo.Hash([]byte(v)); s.authorized(ih, token) {
			hashes = append(hashes, ih)
		}
	}
	switch {
	case !q.Has("info_hash"):
		if s.cfg.AllowDir != "" {
			s.rescan()
		}
		hashes = s.hashesOf(token)
	case len(hashes) == 0 && token != "":
		s.fail(w, errUnauthorized)
		return
	case len(hashes) == 0:
		s.fail(w, badParam("info_hash", "none of the requested info-hashes is registered"))
		return
	}
	s.writeScrape(w, hashes)
}

func (s *Server) writeScrape(w http.ResponseWriter, hashes []metainfo.Hash) {
	files := make(map[string]scrapeFile, len(hashes))
	s.mu.Lock()
	for _, ih := range hashes {
		var f scrapeFile
		if sw := s.swarms[ih]; sw != nil {
			f = scrapeFile{Complete: len(sw.seeds), Downloaded: sw.downloaded, Incomplete: len(sw.leechers)}
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

// hashesOf lists the info-hashes registered with token; for "", those
// registered without a token and, with AllowAll, the unregistered ones it
// has seen.
func (s *Server) hashesOf(token string) []metainfo.Hash {
	var out []metainfo.Hash
	for _, r := range s.registrations() {
		if r.opens(token) {
			out = append(out, r.ih)
		}
	}
	return out
}

// registration is an info-hash the tracker answers for, with its token.
type registration struct {
	ih    metainfo.Hash
	token string // "" for a tokenless registration
	known bool   // registered, rather than AllowAll's
}

// opens reports whether token ("" for the tokenless routes) opens r.
func (r registration) opens(token string) bool {
	if r.token == "" || token == "" {
		return r.token == token
	}
	return tokensEqual(token, r.token)
}

// registrations lists what the tracker answers for: the registered
// info-hashes and, with AllowAll, the unregistered ones it has seen. It
// holds the lock for O(registrations).
func (s *Server) registrations() []registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]registration, 0, len(s.allowed)+len(s.dir.hashes))
	add := func(ih metainfo.Hash) {
		tok, ok := s.registrationLocked(ih)
		out = append(out, registration{ih: ih, token: tok, known: ok})
	}
	for ih := range s.allowed {
		add(ih)
	}
	for ih := range s.dir.hashes {
		if _, dup := s.allowed[ih]; !dup {
			add(ih)
		}
	}
	if s.cfg.AllowAll {
		for ih := range s.swarms {
			if !s.knownLocked(ih) {
				add(ih)
			}
		}
	}
	return out
}
