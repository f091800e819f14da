package tracker

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// swarm10k returns a server with a swarm of 10,000 peers (half of them
// seeds, all from 127.0.0.1) and the announce target of each, asking for 50
// compact peers.
func swarm10k(b *testing.B) (*Server, []string) {
	b.Helper()
	ih := hashOf("bench10k")
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	s.Allow(ih)
	targets := make([]string, 10000)
	for i := range targets {
		q := annQuery(ih, fmt.Sprint("peer", i), 6881, int64(i%2))
		q.Set("ip", fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255+1))
		q.Set("numwant", "50")
		q.Set("compact", "1")
		targets[i] = "/announce?" + q.Encode()
		req := httptest.NewRequest(http.MethodGet, targets[i], nil)
		req.RemoteAddr = "127.0.0.1:1"
		s.ServeHTTP(httptest.NewRecorder(), req)
	}
	return s, targets
}

// BenchmarkAnnounce10k measures one re-announce in a swarm of 10,000 peers
// asking for 50 compact peers, calling the handler directly so that only the
// tracker's own work is timed.
func BenchmarkAnnounce10k(b *testing.B) {
	s, targets := swarm10k(b)
	reqs := make([]*http.Request, len(targets))
	for i, tg := range targets {
		reqs[i] = httptest.NewRequest(http.MethodGet, tg, nil)
		reqs[i].RemoteAddr = "127.0.0.1:1"
	}
	w := discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.ServeHTTP(w, reqs[i%len(reqs)])
	}
}

// BenchmarkAnnounceHTTP10k is BenchmarkAnnounce10k over real HTTP on
// loopback, with keep-alive connections from several clients at once, as a
// fleet's re-announces arrive. It reports announces per second.
func BenchmarkAnnounceHTTP10k(b *testing.B) {
	s, targets := swarm10k(b)
	base := "http://" + serveBench(b, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	defer tr.CloseIdleConnections()
	announceParallel(b, &http.Client{Transport: tr, Timeout: 10 * time.Second}, base, targets)
}

// serveBench serves s on a loopback port until the benchmark ends and
// returns its address.
func serveBench(b *testing.B, s *Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return ln.Addr().String()
}

// announceParallel times b.N announces through cl, cycling through
// targets, and reports announces per second.
func announceParallel(b *testing.B, cl *http.Client, base string, targets []string) {
	var next atomic.Int64
	b.SetParallelism(8) // 8 clients per CPU: the server, not the client, should be the bottleneck
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := cl.Get(base + targets[int(next.Add(1))%len(targets)])
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "announces/s")
}

// BenchmarkStatus10k measures /status of a 10,000-peer swarm, counts only
// (what holds the lock: O(swarms)) and with ?peers=1 (the peers are copied
// under the lock and formatted outside it).
func BenchmarkStatus10k(b *testing.B) {
	s, _ := swarm10k(b)
	s.cfg.AdminToken = testAdminToken
	for _, target := range []string{"/status", "/status?peers=1"} {
		b.Run(target[1:], func(b *testing.B) {
			req := httptestRequest(target, "Bearer "+testAdminToken)
			w := discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				s.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(b []byte) (int, error) { return io.Discard.Write(b) }
func (w discardWriter) WriteHeader(int)             {}

// BenchmarkAnnounceTLS10k is BenchmarkAnnounceHTTP10k over https, as
// murder's peers announce, with connections kept alive and with a new
// connection (a TLS handshake) per announce, as anacrolix's announcer does
// (it disables keep-alive). cpu-µs/announce is the whole process's CPU,
// client and server together.
func BenchmarkAnnounceTLS10k(b *testing.B) {
	for _, keep := range []bool{true, false} {
		b.Run(fmt.Sprintf("keepalive=%v", keep), func(b *testing.B) {
			benchAnnounceTLS(b, keep)
		})
	}
}

func benchAnnounceTLS(b *testing.B, keepAlive bool) {
	s, targets := swarm10k(b)
	tlsConf, err := SelfSignedTLS()
	if err != nil {
		b.Fatal(err)
	}
	s.cfg.TLS = tlsConf
	base := "https://" + serveBench(b, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true, DisableKeepAlives: !keepAlive,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // a test's own self-signed server
	defer tr.CloseIdleConnections()
	cpu0 := processCPU()
	announceParallel(b, &http.Client{Transport: tr, Timeout: 10 * time.Second}, base, targets)
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/announce")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
