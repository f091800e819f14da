package tracker

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// fakeClock is an injectable clock; tests using it drive the server from one
// goroutine only.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time           { return c.t }
func (c *fakeClock) advance(d time.Duration)  { c.t = c.t.Add(d) }
func hashOf(s string) metainfo.Hash           { return metainfo.HashBytes([]byte(s)) }
func peerID(s string) string                  { return (s + "--------------------")[:20] }
func itoa[T int | int64 | uint16](n T) string { return strconv.FormatInt(int64(n), 10) }

// newTestServer returns a server on a fake clock with the given hashes allowed.
func newTestServer(t *testing.T, cfg Config, allow ...metainfo.Hash) (*Server, *fakeClock) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clk := &fakeClock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	s.now = clk.now
	for _, ih := range allow {
		s.Allow(ih)
	}
	return s, clk
}

// annQuery is a well-formed announce of a leecher (left > 0) or seed (left 0).
func annQuery(ih metainfo.Hash, id string, port int, left int64) url.Values {
	return url.Values{
		"info_hash":  {string(ih[:])},
		"peer_id":    {peerID(id)},
		"port":       {itoa(port)},
		"uploaded":   {"0"},
		"downloaded": {"0"},
		"left":       {itoa(left)},
	}
}

// with returns a copy of q with the given key/value pairs set.
func with(q url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// without returns a copy of q without the given keys.
func without(q url.Values, keys ...string) url.Values {
	out := with(q)
	for _, k := range keys {
		out.Del(k)
	}
	return out
}

type announceResp struct {
	FailureReason string        `bencode:"failure reason"`
	Interval      int           `bencode:"interval"`
	MinInterval   int           `bencode:"min interval"`
	Complete      int           `bencode:"complete"`
	Incomplete    int           `bencode:"incomplete"`
	Peers         bencode.Bytes `bencode:"peers"`
	Peers6        string        `bencode:"peers6"`
}

type gotPeer struct {
	addr netip.AddrPort
	id   string // empty in compact answers and with no_peer_id
}

// get serves one GET of target from remote and returns the recorded answer.
func get(t *testing.T, h http.Handler, remote, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// testAdminToken is the admin token of tests that read /status or /metrics.
const testAdminToken = "test-admin-token-0123456789"

// getAuth serves one GET of target bearing token (none if "").
func getAuth(t *testing.T, h http.Handler, target, token string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = "10.0.0.1:1"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// announce sends q from remote and decodes the answer, which must be a 200.
func announce(t *testing.T, h http.Handler, remote string, q url.Values) announceResp {
	t.Helper()
	rec := get(t, h, remote, "/announce?"+q.Encode())
	if rec.Code != http.StatusOK {
		t.Fatalf("announce: status %d, body %q", rec.Code, rec.Body)
	}
	var r announceResp
	if err := bencode.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("announce: decode %q: %v", rec.Body, err)
	}
	return r
}

// mustAnnounce is announce for a request that must succeed.
func mustAnnounce(t *testing.T, h http.Handler, remote string, q url.Values) announceResp {
	t.Helper()
	r := announce(t, h, remote, q)
	if r.FailureReason != "" {
		t.Fatalf("announce: failure reason %q", r.FailureReason)
	}
	return r
}

// peers decodes both peer lists of r, compact or dictionary.
func (r announceResp) peers(t *testing.T) []gotPeer {
	t.Helper()
	var out []gotPeer
	var compact string
	if err := bencode.Unmarshal(r.Peers, &compact); err == nil {
		out = append(out, compactPeers(t, compact, 4)...)
		return append(out, compactPeers(t, r.Peers6, 16)...)
	}
	var dicts []struct {
		IP   string `bencode:"ip"`
		ID   string `bencode:"peer id"`
		Port uint16 `bencode:"port"`
	}
	if err := bencode.Unmarshal(r.Peers, &dicts); err != nil {
		t.Fatalf("peers: neither compact nor a list: %q: %v", r.Peers, err)
	}
	for _, d := range dicts {
		ip, err := netip.ParseAddr(d.IP)
		if err != nil {
			t.Fatalf("peers: bad ip %q", d.IP)
		}
		out = append(out, gotPeer{addr: netip.AddrPortFrom(ip, d.Port), id: d.ID})
	}
	return out
}

func compactPeers(t *testing.T, s string, ipLen int) []gotPeer {
	t.Helper()
	if len(s)%(ipLen+2) != 0 {
		t.Fatalf("compact peers: length %d is not a multiple of %d", len(s), ipLen+2)
	}
	var out []gotPeer
	for b := []byte(s); len(b) > 0; b = b[ipLen+2:] {
		ip, _ := netip.AddrFromSlice(b[:ipLen])
		port := uint16(b[ipLen])<<8 | uint16(b[ipLen+1])
		out = append(out, gotPeer{addr: netip.AddrPortFrom(ip, port)})
	}
	return out
}

func addrs(ps []gotPeer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.addr.String())
	}
	slices.Sort(out)
	return out
}

// httptestRequest is a GET of target from 10.0.0.1 with the given
// Authorization header (none if "").
func httptestRequest(target, auth string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = "10.0.0.1:1"
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

func serveRec(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
