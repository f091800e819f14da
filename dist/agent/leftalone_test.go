package agent

import (
	"slices"
	"testing"
	"time"
)

func never(uint32) bool { return false }

// TestLeftAloneAsked: a piece asked for on one connection is left to it
// until its last request ends, or askedFor passes; asked again later, it
// is left alone again.
func TestLeftAloneAsked(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := newLeftAlone()
	if got := l.asked(ask{piece: 3, sent: true}, t0); !slices.Equal(got, []uint32{3}) || !l.alone(3) {
		t.Fatalf("first request: changed %v, alone %v; want [3], true", got, l.alone(3))
	}
	if got := l.asked(ask{piece: 3, sent: true}, t0); got != nil {
		t.Errorf("second request changed %v", got)
	}
	if got := l.asked(ask{piece: 3}, t0); got != nil || !l.alone(3) {
		t.Errorf("one of two ended: changed %v, alone %v; want none, true", got, l.alone(3))
	}
	if got := l.expire(t0.Add(askedFor/2), 100, never); got != nil {
		t.Errorf("before askedFor: expired %v", got)
	}
	if got := l.expire(t0.Add(askedFor+time.Millisecond), 100, never); !slices.Equal(got, []uint32{3}) || l.alone(3) {
		t.Errorf("after askedFor: expired %v, alone %v; want [3], false", got, l.alone(3))
	}
	if got := l.asked(ask{piece: 3}, t0); got != nil {
		t.Errorf("the last request of a piece let go ended: changed %v", got)
	}
	if got := l.asked(ask{piece: 3, sent: true}, t0.Add(2*askedFor)); !slices.Equal(got, []uint32{3}) {
		t.Errorf("asked again: changed %v, want [3]", got)
	}
	if got := l.asked(ask{piece: 3}, t0); !slices.Equal(got, []uint32{3}) || l.alone(3) {
		t.Errorf("answered: changed %v, alone %v; want [3], false", got, l.alone(3))
	}
	if got := l.asked(ask{piece: 9}, t0); got != nil {
		t.Errorf("an end without a request changed %v", got)
	}
}

// TestLeftAloneTaken: a piece the seeder gave another peer is left alone
// until a neighbour announces it, takenFor passes or it is complete; a
// piece also asked for here stays alone until that ends too.
func TestLeftAloneTaken(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := newLeftAlone()
	if got := l.taken([]uint32{1, 2, 5}, t0); !slices.Equal(got, []uint32{1, 2, 5}) {
		t.Fatalf("taken: changed %v", got)
	}
	if got := l.taken([]uint32{1}, t0.Add(time.Second)); got != nil {
		t.Errorf("taken again: changed %v", got)
	}
	l.asked(ask{piece: 2, sent: true}, t0)
	if got := l.announced(func(p uint32) bool { return p == 1 || p == 2 }); !slices.Equal(got, []uint32{1}) {
		t.Errorf("announced 1 and 2 (2 asked for here): changed %v, want [1]", got)
	}
	if got := l.announcedPiece(1); got != nil {
		t.Errorf("announced 1 again: changed %v", got)
	}
	if !l.alone(2) {
		t.Error("piece 2, asked for here, let go when announced")
	}
	if got := l.expire(t0.Add(min(askedFor, takenFor)/2), 100, func(p uint32) bool { return p == 5 }); !slices.Equal(got, []uint32{5}) {
		t.Errorf("complete: expired %v, want [5]", got)
	}
	l.taken([]uint32{7, 8}, t0)
	if got := l.announcedPiece(8); !slices.Equal(got, []uint32{8}) {
		t.Errorf("announced 8: changed %v, want [8]", got)
	}
	if got := l.expire(t0.Add(max(takenFor, askedFor)+time.Millisecond), 100, never); !slices.Equal(got, []uint32{7, 2}) && !slices.Equal(got, []uint32{2, 7}) {
		t.Errorf("after takenFor and askedFor: expired %v, want 2 and 7", got)
	}
}

// TestLeftAloneEndGame: when every missing piece is left alone, all are
// let go at once.
func TestLeftAloneEndGame(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := newLeftAlone()
	l.taken([]uint32{4}, t0)
	l.asked(ask{piece: 6, sent: true}, t0)
	if got := l.expire(t0, 3, never); got != nil {
		t.Errorf("3 missing, 2 left alone: expired %v", got)
	}
	got := l.expire(t0, 2, never)
	slices.Sort(got)
	if !slices.Equal(got, []uint32{4, 6}) || l.alone(4) || l.alone(6) {
		t.Errorf("2 missing, both left alone: expired %v, want [4 6]", got)
	}
}
