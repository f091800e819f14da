package agent

import "time"

// Which pieces a peer leaves alone (priority none) for now, and why:
//
//   - taken: the seeder's hint (hints.go) that another peer asked it for
//     the piece first; left alone until a neighbour announces the piece or
//     takenFor passes.
//   - asked: one of this peer's own connections asked for the piece; left
//     to that connection until the request ends or askedFor passes.
//
// The second is against anacrolix's request stealing. A connection with
// nothing unrequested to ask of its remote takes over a request of
// another connection whose last piece arrived earlier, and cancels it
// there; a request is a whole piece, which the other side has usually
// sent already, so the piece arrives twice. In a swarm paced by its
// seeder, peers hold almost the same pieces and every connection often
// has nothing unrequested to ask for, so this happened all through a
// transfer, not only at its end, and every byte received twice is a byte
// of a peer's downlink, the other scarce link. A piece left alone is in no
// other connection's choice of requests, so none of them steals it; the
// request stays where it is until answered. A stalled connection is
// unanswered.go's to drop, and after askedFor the piece may be stolen as
// before; at the end of a transfer, when every piece still missing is in
// flight or taken, all are let go at once (as anacrolix's end game would).

// askedFor is how long a piece asked for on one connection is left to it.
// A piece takes a fraction of a second from a sender serving several
// peers on a fast link, about a second on a 25 Mbit/s one; a request
// older than this is on a slow or dead connection (unanswered.go drops a
// silent one), and another connection may take it over.
const askedFor = 4 * time.Second

// ask is a request sent (sent) or ended: answered, cancelled, refused or
// dropped with its connection.
type ask struct {
	piece uint32
	sent  bool
}

// leftAlone is the rules; the caller sets the priorities of the pieces
// each method returns. Not safe for concurrent use: peerHints.run owns it.
type leftAlone struct {
	until map[uint32]time.Time // taken, until then
	out   map[uint32]*asking   // asked for on this peer's connections
}

// asking is a piece with requests out.
type asking struct {
	n     int       // requests out
	since time.Time // when the first was sent; zero once let go
}

func newLeftAlone() *leftAlone {
	return &leftAlone{until: map[uint32]time.Time{}, out: map[uint32]*asking{}}
}

// alone reports whether piece p is left alone now.
func (l *leftAlone) alone(p uint32) bool {
	if _, ok := l.until[p]; ok {
		return true
	}
	a := l.out[p]
	return a != nil && !a.since.IsZero()
}

// asked notes a request sent or ended and returns the piece if that
// changed whether it is left alone.
func (l *leftAlone) asked(a ask, now time.Time) []uint32 {
	o := l.out[a.piece]
	switch {
	case a.sent && o == nil:
		l.out[a.piece] = &asking{n: 1, since: now}
		return []uint32{a.piece}
	case a.sent:
		o.n++
	case o != nil:
		if o.n--; o.n <= 0 {
			delete(l.out, a.piece)
			if !o.since.IsZero() {
				return []uint32{a.piece}
			}
		}
	}
	return nil
}

// taken notes the seeder's hint that others took ps, and returns those
// that were not left alone already.
func (l *leftAlone) taken(ps []uint32, now time.Time) []uint32 {
	var changed []uint32
	for _, p := range ps {
		if !l.alone(p) {
			changed = append(changed, p)
		}
		l.until[p] = now.Add(takenFor)
	}
	return changed
}

// announcedPiece lets go p if it was taken: a neighbour announced it.
func (l *leftAlone) announcedPiece(p uint32) []uint32 {
	if _, ok := l.until[p]; !ok {
		return nil
	}
	return l.letGoTaken(p)
}

// announced lets go the taken pieces a neighbour's bitfield holds (has
// reports which), and returns those no longer left alone.
func (l *leftAlone) announced(has func(uint32) bool) []uint32 {
	var changed []uint32
	for p := range l.until {
		if has(p) {
			changed = append(changed, l.letGoTaken(p)...)
		}
	}
	return changed
}

// expire lets go the pieces whose time is up, or that are complete, and
// every piece when the missing ones (left) are all left alone; it returns
// those no longer left alone.
func (l *leftAlone) expire(now time.Time, left int, complete func(uint32) bool) []uint32 {
	held := 0
	for _, a := range l.out {
		if !a.since.IsZero() {
			held++
		}
	}
	endGame := len(l.until)+held > 0 && left <= len(l.until)+held
	var changed []uint32
	for p, u := range l.until {
		if endGame || now.After(u) || complete(p) {
			changed = append(changed, l.letGoTaken(p)...)
		}
	}
	for p, a := range l.out {
		if !a.since.IsZero() && (endGame || now.Sub(a.since) > askedFor) {
			a.since = time.Time{}
			if !l.alone(p) {
				changed = append(changed, p)
			}
		}
	}
	return changed
}

// letGoTaken forgets that p was taken and returns it if it is no longer
// left alone.
func (l *leftAlone) letGoTaken(p uint32) []uint32 {
	delete(l.until, p)
	if l.alone(p) {
		return nil
	}
	return []uint32{p}
}
