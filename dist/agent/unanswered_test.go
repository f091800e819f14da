package agent

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
)

// fakeConn is a connection whose byte count the test moves.
type fakeConn struct {
	read   int64
	closed bool
}

func (c *fakeConn) Stats() (st torrent.PeerStats) {
	st.BytesRead.Add(c.read)
	return st
}

func (c *fakeConn) Close() error {
	c.closed = true
	return nil
}

// TestUnanswered: only a connection that holds a request and reads
// nothing for longer than the limit is dropped; one that reads, one whose
// requests were all answered, and one that closed are left alone.
func TestUnanswered(t *testing.T) {
	var u unanswered
	silent, reading, answered, gone := &fakeConn{}, &fakeConn{}, &fakeConn{}, &fakeConn{}
	for _, c := range []*fakeConn{silent, reading, answered, gone} {
		u.sent(c)
	}
	u.sent(answered)
	u.ended(answered)
	u.ended(answered)
	u.closed(gone)

	t0 := time.Now()
	const limit = 2 * time.Second
	for i := range 4 {
		reading.read += 100
		now := t0.Add(time.Duration(i) * time.Second)
		got := u.check(now, limit)
		if i < 3 && len(got) != 0 {
			t.Fatalf("after %d s: dropped %d connection(s) before the limit", i, len(got))
		}
		if i == 3 && !slices.Equal(got, []conn{silent}) {
			t.Fatalf("after %d s: dropped %v, want only the silent connection", i, got)
		}
	}
	if !silent.closed || reading.closed || answered.closed || gone.closed {
		t.Errorf("closed: silent %v reading %v answered %v gone %v; want only the silent one",
			silent.closed, reading.closed, answered.closed, gone.closed)
	}
	// anacrolix reports the dropped connection closed; the reading one
	// goes on reading.
	u.closed(silent)
	reading.read += 100
	if got := u.check(t0.Add(time.Minute), limit); len(got) != 0 {
		t.Errorf("a minute on: dropped %d connection(s), want none", len(got))
	}
}

func TestUnansweredAfter(t *testing.T) {
	for _, c := range []struct{ stall, want time.Duration }{
		{2 * time.Minute, 15 * time.Second}, // the default
		{20 * time.Second, 10 * time.Second},
		{4 * time.Second, 2 * time.Second},
		{time.Second, time.Second},
		{0, time.Second},
	} {
		if got := unansweredAfter(c.stall); got != c.want {
			t.Errorf("unansweredAfter(%v) = %v, want %v", c.stall, got, c.want)
		}
	}
}

// TestUnansweredInSwarm: in a real swarm every request anacrolix sends
// ends in a hook call, so a finished download leaves no connection counted
// as holding requests. A count that leaked would one day drop a healthy
// connection.
func TestUnansweredInSwarm(t *testing.T) {
	s := newInProcess(t, 16<<20, false, nil)
	var u unanswered
	var sent atomic.Int64
	cls := s.download("p", 3, func(cfg *torrent.ClientConfig) {
		u.watch(cfg)
		cfg.Callbacks.SentRequest = append(cfg.Callbacks.SentRequest, func(torrent.PeerRequestEvent) { sent.Add(1) })
	}, nil)
	defer func() {
		for _, cl := range cls {
			cl.Close()
		}
	}()
	if sent.Load() == 0 {
		t.Fatal("no request seen: the hooks are not called")
	}
	// Requests for pieces another connection delivered are cancelled as
	// the piece completes; give that a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		u.mu.Lock()
		left := len(u.conns)
		u.mu.Unlock()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connection(s) still counted as holding requests after the download (%d requests sent)", left, sent.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
