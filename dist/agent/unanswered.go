package agent

import (
	"sync"
	"time"

	"github.com/anacrolix/torrent"
)

// unansweredAfter is how long a connection may hold requests without
// reading a byte before it is dropped: half the stall timeout, so that its
// pieces are asked for elsewhere well before the transfer counts as
// stalled, at least a second (the progress loop's tick) and at most 15 s.
// Data flows continuously while a piece is served, even on a slow or
// shared link, so a silent connection with a request out is a host that
// died or lost its link.
func unansweredAfter(stall time.Duration) time.Duration {
	return min(max(stall/2, time.Second), 15*time.Second)
}

// unanswered finds connections that hold requests but read nothing.
//
// anacrolix has no request timeout: a request stays with its connection
// until the piece, a reject, a choke or the connection's end. When the
// other host loses its link, TCP notices only after minutes, and the
// pieces requested from it are asked for elsewhere only if another
// connection steals them, which it does only while it has requests of its
// own to update; at the end of a transfer none has. Dropping the silent
// connection frees its requests, and anacrolix gives them to the idle
// connections at once.
//
// Safe for concurrent use: anacrolix calls the hooks from its connection
// goroutines, with its client lock held.
type unanswered struct {
	mu    sync.Mutex
	conns map[conn]*silence
}

// conn is what unanswered needs of a connection: *torrent.Peer.
type conn interface {
	Stats() torrent.PeerStats
	Close() error
}

// silence is one connection with requests out.
type silence struct {
	requests int
	read     int64     // bytes read from the connection when last checked; -1: not yet
	since    time.Time // when read last changed
}

// watch makes cfg's client report requests sent and ended to u.
func (u *unanswered) watch(cfg *torrent.ClientConfig) {
	cfg.Callbacks.SentRequest = append(cfg.Callbacks.SentRequest, func(e torrent.PeerRequestEvent) { u.sent(e.Peer) })
	cfg.Callbacks.DeletedRequest = append(cfg.Callbacks.DeletedRequest, func(e torrent.PeerRequestEvent) { u.ended(e.Peer) })
	cfg.Callbacks.PeerClosed = append(cfg.Callbacks.PeerClosed, func(p *torrent.Peer) { u.closed(p) })
}

// sent notes a request sent on c.
func (u *unanswered) sent(c conn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conns == nil {
		u.conns = make(map[conn]*silence)
	}
	s := u.conns[c]
	if s == nil {
		s = &silence{read: -1}
		u.conns[c] = s
	}
	s.requests++
}

// ended notes that a request on c ended: served, cancelled or refused.
func (u *unanswered) ended(c conn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s := u.conns[c]; s != nil {
		if s.requests--; s.requests <= 0 {
			delete(u.conns, c)
		}
	}
}

// closed forgets c.
func (u *unanswered) closed(c conn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.conns, c)
}

// check closes the connections that have held requests and read nothing
// for longer than limit, and returns them. A connection's byte count is
// read without u's lock held: anacrolix takes its client lock for it, and
// holds that lock when it calls the hooks, which take u's.
func (u *unanswered) check(now time.Time, limit time.Duration) []conn {
	u.mu.Lock()
	conns := make([]conn, 0, len(u.conns))
	for c := range u.conns {
		conns = append(conns, c)
	}
	u.mu.Unlock()
	read := make([]int64, len(conns))
	for i, c := range conns {
		st := c.Stats()
		read[i] = st.BytesRead.Int64()
	}
	var silent []conn
	u.mu.Lock()
	for i, c := range conns {
		s := u.conns[c]
		switch {
		case s == nil: // its requests ended meanwhile
		case s.read != read[i]:
			s.read, s.since = read[i], now
		case now.Sub(s.since) > limit:
			silent = append(silent, c)
		}
	}
	u.mu.Unlock()
	for _, c := range silent {
		c.Close()
	}
	return silent
}
