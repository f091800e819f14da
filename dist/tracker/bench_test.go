package tracker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkAnnounce10k measures one re-announce in a swarm of 10,000 peers
// (half of them seeds) asking for 50 compact peers, calling the handler
// directly so that only the tracker's own work is timed.
func BenchmarkAnnounce10k(b *testing.B) {
	ih := hashOf("bench10k")
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	s.Allow(ih)
	reqs := make([]*http.Request, 10000)
	for i := range reqs {
		q := annQuery(ih, fmt.Sprint("peer", i), 6881, int64(i%2))
		q.Set("ip", fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255+1))
		q.Set("numwant", "50")
		q.Set("compact", "1")
		reqs[i] = httptest.NewRequest(http.MethodGet, "/announce?"+q.Encode(), nil)
		s.ServeHTTP(httptest.NewRecorder(), reqs[i])
	}
	w := discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.ServeHTTP(w, reqs[i%len(reqs)])
	}
}
