package tracker

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseAnnounce feeds raw paths and query strings to the announce
// parser and the handler: neither may panic, and whatever the parser accepts
// must be a well-formed request.
func FuzzParseAnnounce(f *testing.F) {
	ih := hashOf("fuzz")
	good := annQuery(ih, "p", 6881, 10).Encode()
	for _, seed := range []struct{ path, query string }{
		{"/announce", good},
		{"/" + tokA + "/announce", good + "&numwant=80&compact=0&event=started&ip=10.0.0.9"},
		{"/announce", good + "&ip=fe80::1%25eth0"},
		{"/announce", good + "&ip=255.255.255.255&port=65535"},
		{"/" + tokA + "/scrape", "info_hash=" + url.QueryEscape(string(ih[:]))},
		{"/x/announce", "info_hash=%zz"},
		{"//announce", "port=-1&left=99999999999999999999"},
		{"/announce", "info_hash=a&info_hash=b&numwant=1e9"},
	} {
		f.Add(seed.path, seed.query)
	}
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.AllowToken(ih, tokA); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		r := &http.Request{
			Method:     http.MethodGet,
			URL:        &url.URL{Path: path, RawQuery: query},
			RemoteAddr: "10.0.0.1:1234",
			Header:     http.Header{},
		}
		s.ServeHTTP(httptest.NewRecorder(), r) // must not panic
		token, _, _ := splitTokenPath(path)
		req, err := s.parseAnnounce(r, token)
		if err != nil {
			if !strings.Contains(err.Error(), ":") && err.Error() != "cannot determine your address; send ip" {
				t.Errorf("failure reason %q names no parameter", err)
			}
			return
		}
		checkAccepted(t, s, req)
	})
}

// checkAccepted fails t unless req holds only values the parser promises.
func checkAccepted(t *testing.T, s *Server, req *announceRequest) {
	t.Helper()
	a := req.addr.Addr()
	switch {
	case req.addr.Port() == 0:
		t.Errorf("accepted port 0")
	case !a.IsValid() || a.Zone() != "" || a.Is4In6() || !usableAddr(a):
		t.Errorf("accepted address %v", req.addr)
	case req.uploaded < 0 || req.downloaded < 0 || req.left < 0:
		t.Errorf("accepted negative counters %d %d %d", req.uploaded, req.downloaded, req.left)
	case req.numWant < 0 || req.numWant > s.cfg.MaxNumWant:
		t.Errorf("accepted numwant %d, max %d", req.numWant, s.cfg.MaxNumWant)
	case len(req.key) > maxKeyLen:
		t.Errorf("accepted a key of %d bytes", len(req.key))
	case req.event != "" && req.event != "started" && req.event != "completed" && req.event != "stopped":
		t.Errorf("accepted event %q", req.event)
	}
}
