package agent

import (
	"bytes"
	"encoding/binary"
)

// A peer connection's reader wakes each time the kernel has data for it,
// which at a shaped link's pace is every few kilobytes: a wakeup, an epoll
// round and a read each time, although TLS can decrypt nothing before its
// record is whole and anacrolix uses nothing before the whole piece
// message is in. While a large message is arriving, the socket's
// SO_RCVLOWAT asks the kernel to wake the reader only once a larger part
// of it has arrived (Linux; elsewhere nothing changes).
//
// The mark never exceeds what the sender has yet to send of the message
// it has begun, so the reader never waits for bytes that will not come:
// the message's remaining plaintext, less everything read from the socket
// and not yet returned as plaintext (which bounds what TLS holds,
// decrypted or not). A stream that does not frame as BitTorrent from its
// first byte never gets a mark. The kernel wakes the reader anyway when
// the connection closes or its receive window would close.

// lowatLevels are the marks used, largest first: a few steps rather than
// the exact remainder, so that a message costs a few setsockopts.
var lowatLevels = [...]int{256 << 10, 64 << 10, 16 << 10}

// lowatRcvbufShare keeps the mark at most this share of the receive
// buffer: for a mark the buffer cannot hold about twice over, Linux grows
// the buffer and clamps the receive window to the mark.
const lowatRcvbufShare = 8

// lowatLevel is the largest level within want and an eighth of rcvbuf
// (-1: any buffer), or 1.
func lowatLevel(want int64, rcvbuf int) int {
	for _, v := range lowatLevels {
		if int64(v) <= want && (rcvbuf < 0 || v*lowatRcvbufShare <= rcvbuf) {
			return v
		}
	}
	return 1
}

// btProtocol begins every BitTorrent handshake; btHandshakeLen is the
// handshake's length (the protocol, 8 reserved bytes, the info-hash, the
// peer ID).
const (
	btProtocol     = "\x13BitTorrent protocol"
	btHandshakeLen = 68
	// btMaxMessage is far above any message anacrolix accepts (four
	// chunks), and below it any length is taken as a message.
	btMaxMessage = 1 << 28
)

// btFramer follows the BitTorrent framing of a peer connection's
// plaintext: the handshake, then messages each after a 4-byte length.
type btFramer struct {
	hs      int   // handshake bytes seen, up to btHandshakeLen
	skip    int64 // bytes of the current message body still to come
	lenBuf  [4]byte
	lenHave int
	lost    bool // the stream is not BitTorrent as expected
}

// feed moves the framing past p.
func (f *btFramer) feed(p []byte) {
	for len(p) > 0 && !f.lost {
		switch {
		case f.hs < btHandshakeLen:
			n := min(len(p), btHandshakeLen-f.hs)
			if f.hs < len(btProtocol) {
				want := btProtocol[f.hs:min(len(btProtocol), f.hs+n)]
				f.lost = !bytes.HasPrefix(p, []byte(want))
			}
			f.hs += n
			p = p[n:]
		case f.skip > 0:
			n := min(int64(len(p)), f.skip)
			f.skip -= n
			p = p[n:]
		default:
			n := copy(f.lenBuf[f.lenHave:], p)
			f.lenHave += n
			p = p[n:]
			if f.lenHave == 4 {
				f.skip = int64(binary.BigEndian.Uint32(f.lenBuf[:]))
				f.lenHave = 0
				f.lost = f.skip > btMaxMessage
			}
		}
	}
}

// bodyLeft is what remains of the message body being read; 0 in the
// handshake, between messages and once the framing is lost.
func (f *btFramer) bodyLeft() int64 {
	if f.lost {
		return 0
	}
	return f.skip
}
