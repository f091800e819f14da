package agent

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

func (c *countingConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

// TestRcvLowatPingPong: messages of every size, each sent in small writes
// with pauses and answered before the next is sent (as a request waits
// for its piece), all arrive whole and in time: the low-water mark never
// waits for bytes the sender will not send. And a large message does
// raise the mark.
func TestRcvLowatPingPong(t *testing.T) {
	cli, _, srv := batchedPair(t)
	deadline := time.Now().Add(15 * time.Second)
	cli.SetDeadline(deadline)
	srv.SetDeadline(deadline)
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 5, 16 << 10, 16<<10 + 1, 300 << 10, 9 + 512<<10, 1, 64<<10 - 3, 256<<10 + 7}
	for range 20 {
		sizes = append(sizes, rng.IntN(700<<10))
	}
	errc := make(chan error, 1)
	go func() { errc <- sendPaced(srv, sizes, rand.New(rand.NewPCG(3, 4))) }()
	maxMark := 0
	hs := make([]byte, btHandshakeLen)
	if _, err := io.ReadFull(cli, hs); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16<<10)
	for i, n := range sizes {
		var l [4]byte
		if _, err := io.ReadFull(cli, l[:]); err != nil {
			t.Fatalf("message %d: length: %v", i, err)
		}
		if got := int(binary.BigEndian.Uint32(l[:])); got != n {
			t.Fatalf("message %d: length %d, want %d", i, got, n)
		}
		for left := n; left > 0; {
			k, err := cli.Read(buf[:min(left, len(buf))])
			if err != nil {
				t.Fatalf("message %d (%d bytes): %v with %d left", i, n, err, left)
			}
			left -= k
			maxMark = max(maxMark, cli.lowat.cur)
		}
		if _, err := cli.Write(btMessage(4, 5)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if maxMark < lowatLevels[len(lowatLevels)-1] {
		t.Errorf("the mark never rose above %d", maxMark)
	}
}

// sendPaced writes a handshake, then each message in writes of up to 64
// KiB with short pauses, and waits for the 9-byte answer to each.
func sendPaced(c io.ReadWriter, sizes []int, rng *rand.Rand) error {
	if _, err := c.Write(btHandshake()); err != nil {
		return err
	}
	ack := make([]byte, 9)
	for _, n := range sizes {
		m := btMessage(7, n)
		for len(m) > 0 {
			k := min(len(m), 1+rng.IntN(64<<10))
			if _, err := c.Write(m[:k]); err != nil {
				return err
			}
			m = m[k:]
			if rng.IntN(4) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		if _, err := io.ReadFull(c, ack); err != nil {
			return err
		}
	}
	return nil
}
