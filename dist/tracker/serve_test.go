package tracker

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"testing"
	"time"

	anatracker "github.com/anacrolix/torrent/tracker"
	httpTracker "github.com/anacrolix/torrent/tracker/http"
	"github.com/anacrolix/torrent/types/infohash"
)

// serve runs s on a loopback listener until the test ends and returns its
// base URL.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func TestServeShutdown(t *testing.T) {
	s, err := New(Config{AdminToken: testAdminToken})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/status", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /status: %v", err)
	}
	var st Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("decode status: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("listener still accepts after shutdown")
	}
}

func TestServeListenerError(t *testing.T) {
	s, _ := New(Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := s.Serve(context.Background(), ln); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
}

// TestInterop proves a standard client (anacrolix's) parses the answers.
func TestInterop(t *testing.T) {
	ih := hashOf("interop")
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Allow(ih)
	base := serve(t, s)

	do := func(id string, port uint16, left int64, ip string) anatracker.AnnounceResponse {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a := anatracker.Announce{
			TrackerUrl: base + "/announce",
			Context:    ctx,
			Request: anatracker.AnnounceRequest{
				InfoHash: ih, Left: left, Port: port, Event: anatracker.Started, Key: 42, NumWant: -1,
			},
		}
		copy(a.Request.PeerId[:], peerID(id))
		a.ClientIp4.IP = net.ParseIP(ip)
		res, err := a.Do()
		if err != nil {
			t.Fatalf("announce %s: %v", id, err)
		}
		return res
	}
	do("seeder", 6881, 0, "127.0.0.2")
	do("noip", 6883, 100, "") // no ip=: the source address, 127.0.0.1
	res := do("leecher", 6882, 100, "127.0.0.3")
	if res.Interval != 15 || res.Seeders != 1 || res.Leechers != 2 {
		t.Errorf("interval %d, seeders %d, leechers %d; want 15, 1, 2", res.Interval, res.Seeders, res.Leechers)
	}
	var got []string
	for _, p := range res.Peers {
		ap, _ := p.ToNetipAddrPort()
		got = append(got, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String())
	}
	slices.Sort(got)
	if want := []string{"127.0.0.1:6883", "127.0.0.2:6881"}; !slices.Equal(got, want) {
		t.Errorf("peers = %v, want %v", got, want)
	}

	u, _ := url.Parse(base + "/announce")
	cl := httpTracker.NewClient(u, httpTracker.NewClientOpts{})
	defer cl.Close()
	sr, err := cl.Scrape(context.Background(), []infohash.T{ih})
	if err != nil || len(sr) != 1 || sr[0].Seeders != 1 || sr[0].Leechers != 2 {
		t.Errorf("scrape = %+v, %v; want 1 seeder, 2 leechers", sr, err)
	}
}

// BenchmarkAnnounce measures one re-announce in a swarm of 2000 peers asking
// for 500, through ServeHTTP.
func BenchmarkAnnounce(b *testing.B) {
	ih := hashOf("bench")
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	s.Allow(ih)
	targets := make([]string, 2000)
	for i := range targets {
		q := annQuery(ih, fmt.Sprint("peer", i), 6881, int64(i%2)) // half seeds
		q.Set("ip", fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
		q.Set("numwant", "500")
		targets[i] = "/announce?" + q.Encode()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, targets[i], nil))
	}
	reqs := make([]*http.Request, len(targets))
	for i, tg := range targets {
		reqs[i] = httptest.NewRequest(http.MethodGet, tg, nil)
	}
	w := discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.ServeHTTP(w, reqs[i%len(reqs)])
	}
}

// TestInteropToken: a standard client (anacrolix's) announces on a token
// path and derives the scrape URL from it by BEP 48's rule.
func TestInteropToken(t *testing.T) {
	ih := hashOf("interop-token")
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AllowToken(ih, tokA); err != nil {
		t.Fatal(err)
	}
	base := serve(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, id := range []string{"seeder", "leecher"} {
		a := anatracker.Announce{
			TrackerUrl: base + "/" + tokA + "/announce",
			Context:    ctx,
			Request:    anatracker.AnnounceRequest{InfoHash: ih, Left: int64(i), Port: uint16(6881 + i), NumWant: -1},
		}
		copy(a.Request.PeerId[:], peerID(id))
		if _, err := a.Do(); err != nil {
			t.Fatalf("announce %s: %v", id, err)
		}
	}
	for _, tc := range []struct {
		token     string
		wantError bool
	}{{tokA, false}, {tokB, true}} {
		u, _ := url.Parse(base + "/" + tc.token + "/announce")
		cl := httpTracker.NewClient(u, httpTracker.NewClientOpts{})
		sr, err := cl.Scrape(ctx, []infohash.T{ih})
		cl.Close()
		ok := err == nil && len(sr) == 1 && sr[0].Seeders == 1 && sr[0].Leechers == 1
		if ok == tc.wantError {
			t.Errorf("scrape with token %s: %+v, %v", tc.token[:6], sr, err)
		}
	}
}
