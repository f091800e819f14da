package agent

import (
	"encoding/binary"
	"testing"
)

// btMessage is a BitTorrent message of n body bytes (the first its id).
func btMessage(id byte, n int) []byte {
	m := make([]byte, 4+n)
	binary.BigEndian.PutUint32(m, uint32(n))
	if n > 0 {
		m[4] = id
	}
	return m
}

// btHandshake is a plaintext BitTorrent handshake.
func btHandshake() []byte {
	h := make([]byte, btHandshakeLen)
	copy(h, btProtocol)
	return h
}

// TestBTFramer: fed a stream in pieces of any size, the framer knows what
// remains of the message under way, and gives up on a stream that is not
// BitTorrent or announces an impossible length.
func TestBTFramer(t *testing.T) {
	stream := btHandshake()
	var bodies [][2]int64 // each message body's start and end in stream
	for _, m := range [][]byte{btMessage(0, 0), btMessage(4, 5), btMessage(7, 9+512<<10), btMessage(1, 1)} {
		start := int64(len(stream) + 4)
		stream = append(stream, m...)
		bodies = append(bodies, [2]int64{start, int64(len(stream))})
	}
	wantAt := func(at int64) int64 {
		for _, b := range bodies {
			if b[0] <= at && at < b[1] {
				return b[1] - at
			}
		}
		return 0
	}
	for _, step := range []int{1, 3, 4, 67, 68, 1000, len(stream)} {
		var f btFramer
		for i := 0; i < len(stream); i += step {
			if got, want := f.bodyLeft(), wantAt(int64(i)); got != want {
				t.Fatalf("step %d: at %d bodyLeft %d, want %d", step, i, got, want)
			}
			f.feed(stream[i:min(i+step, len(stream))])
		}
		if f.bodyLeft() != 0 || f.lost {
			t.Errorf("step %d: at the end bodyLeft %d, lost %v", step, f.bodyLeft(), f.lost)
		}
	}
	for name, s := range map[string][]byte{
		"not BitTorrent": append([]byte("\x13BitTorrent protocoL"), btMessage(7, 1<<20)...),
		"huge length":    append(btHandshake(), 0xff, 0xff, 0xff, 0xff, 7),
	} {
		var f btFramer
		f.feed(s)
		if !f.lost || f.bodyLeft() != 0 {
			t.Errorf("%s: lost %v, bodyLeft %d", name, f.lost, f.bodyLeft())
		}
	}
}

func TestLowatLevel(t *testing.T) {
	for _, c := range []struct {
		want   int64
		rcvbuf int
		level  int
	}{
		{0, -1, 1},
		{16<<10 - 1, -1, 1},
		{16 << 10, -1, 16 << 10},
		{100 << 10, -1, 64 << 10},
		{1 << 30, -1, 256 << 10},
		{1 << 30, 128 << 10, 16 << 10}, // the initial buffer
		{1 << 30, 1 << 20, 64 << 10},
		{1 << 30, 2 << 20, 256 << 10},
		{1 << 30, 100 << 10, 1},
	} {
		if got := lowatLevel(c.want, c.rcvbuf); got != c.level {
			t.Errorf("lowatLevel(%d, %d) = %d, want %d", c.want, c.rcvbuf, got, c.level)
		}
	}
}
