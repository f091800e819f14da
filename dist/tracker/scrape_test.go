package tracker

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

type scrapeResp struct {
	FailureReason string                `bencode:"failure reason"`
	Files         map[string]scrapeFile `bencode:"files"`
}

func scrape(t *testing.T, h http.Handler, hashes ...metainfo.Hash) scrapeResp {
	t.Helper()
	q := url.Values{}
	for _, ih := range hashes {
		q.Add("info_hash", string(ih[:]))
	}
	rec := get(t, h, "10.0.0.1:1", "/scrape?"+q.Encode())
	var r scrapeResp
	if err := bencode.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %q: %v", rec.Code, rec.Body, err)
	}
	return r
}

// fillSwarms makes swarm one: a seed, a leecher, two completed events (one
// repeated); swarm two: one leecher; swarm three: registered, empty.
func fillSwarms(t *testing.T, s *Server, one, two metainfo.Hash) {
	t.Helper()
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(one, "seed", 1, 0))
	mustAnnounce(t, s, "10.0.0.2:1", annQuery(one, "leech", 2, 7))
	mustAnnounce(t, s, "10.0.0.3:1", with(annQuery(one, "done", 3, 0), "event", "completed"))
	mustAnnounce(t, s, "10.0.0.3:1", with(annQuery(one, "done", 3, 0), "event", "completed"))
	mustAnnounce(t, s, "10.0.0.4:1", with(annQuery(one, "gone", 4, 0), "event", "completed"))
	mustAnnounce(t, s, "10.0.0.4:1", with(annQuery(one, "gone", 4, 0), "event", "stopped"))
	mustAnnounce(t, s, "[fd00::5]:1", with(annQuery(two, "other", 5, 9), "uploaded", "11", "downloaded", "22"))
}

func TestScrape(t *testing.T) {
	one, two, three := hashOf("one"), hashOf("two"), hashOf("three")
	s, _ := newTestServer(t, Config{}, one, two, three)
	fillSwarms(t, s, one, two)
	wantOne := scrapeFile{Complete: 2, Incomplete: 1, Downloaded: 2}
	wantTwo := scrapeFile{Incomplete: 1}

	r := scrape(t, s, one, hashOf("unregistered"))
	if len(r.Files) != 1 || r.Files[string(one[:])] != wantOne {
		t.Errorf("scrape one: %+v, want only one: %+v", r.Files, wantOne)
	}
	r = scrape(t, s)
	if len(r.Files) != 3 || r.Files[string(one[:])] != wantOne || r.Files[string(two[:])] != wantTwo ||
		r.Files[string(three[:])] != (scrapeFile{}) {
		t.Errorf("scrape all: %+v", r.Files)
	}
	if r := scrape(t, s, hashOf("unregistered")); !strings.Contains(r.FailureReason, "info_hash") {
		t.Errorf("scrape of unregistered only: failure reason %q, want one naming info_hash", r.FailureReason)
	}
	rec := get(t, s, "10.0.0.1:1", "/scrape?info_hash=short")
	if !strings.Contains(rec.Body.String(), "info_hash: must be 20 bytes") {
		t.Errorf("scrape with short info_hash: %q", rec.Body)
	}
}

func TestStatus(t *testing.T) {
	one, two, three := hashOf("one"), hashOf("two"), hashOf("three")
	s, clk := newTestServer(t, Config{AdminToken: testAdminToken}, one, two, three)
	start := clk.t
	fillSwarms(t, s, one, two)
	clk.advance(time.Second)

	rec := getAuth(t, s, "/status?peers=1", testAdminToken)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("decode status %q: %v", rec.Body, err)
	}
	if !st.Now.Equal(start.Add(time.Second)) {
		t.Errorf("now = %v, want %v", st.Now, start.Add(time.Second))
	}
	if len(st.Swarms) != 3 {
		t.Fatalf("got %d swarms, want 3: %+v", len(st.Swarms), st.Swarms)
	}
	if !slices.IsSortedFunc(st.Swarms, func(a, b Swarm) int { return strings.Compare(a.InfoHash, b.InfoHash) }) {
		t.Errorf("swarms not sorted by info_hash")
	}
	byHash := map[string]Swarm{}
	for _, sw := range st.Swarms {
		byHash[sw.InfoHash] = sw
	}
	sw1 := byHash[one.HexString()]
	if sw1.Complete != 2 || sw1.Incomplete != 1 || sw1.Downloaded != 2 || len(sw1.Peers) != 3 {
		t.Errorf("swarm one = %+v", sw1)
	}
	for i := 1; i < len(sw1.Peers); i++ {
		if sw1.Peers[i-1].PeerID >= sw1.Peers[i].PeerID {
			t.Errorf("peers not sorted by peer_id")
		}
	}
	want := Peer{PeerID: "6f746865722d2d2d2d2d2d2d2d2d2d2d2d2d2d2d", Addr: "[fd00::5]:5",
		Left: 9, Uploaded: 11, Downloaded: 22, LastSeen: start}
	if got := byHash[two.HexString()].Peers; len(got) != 1 || got[0] != want {
		t.Errorf("swarm two peers = %+v, want [%+v]", got, want)
	}
	if sw3 := byHash[three.HexString()]; len(sw3.Peers) != 0 || sw3.Complete+sw3.Incomplete != 0 {
		t.Errorf("empty swarm three = %+v, want no peers", sw3)
	}
	if !strings.Contains(rec.Body.String(), `"last_seen": "2024-05-01T12:00:00Z"`) {
		t.Errorf("last_seen not RFC 3339 in %s", rec.Body)
	}
}

func TestRouting(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	if rec := get(t, s, "10.0.0.1:1", "/nope"); rec.Code != http.StatusNotFound {
		t.Errorf("/nope: status %d, want 404", rec.Code)
	}
	req, _ := http.NewRequest(http.MethodPost, "/announce", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /announce: status %d, want 405", rec.Code)
	}
}
