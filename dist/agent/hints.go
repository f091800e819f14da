package agent

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Hints from the seeder: until every piece has left the seeder once, a
// piece it sends twice delays the last first copy, and with it the whole
// transfer. Peers pick the rarest pieces, ties at random, so two of them
// often ask the seeder for the same piece before either announces it:
// about a tenth of the pieces at n=10. A peer cannot see what the others
// asked for; the seeder can. So the seeder tells its other peers, in an
// extension message (BEP 10), each piece as it is first asked for, and a
// peer leaves that piece alone (priority none) until a neighbour
// announces it or takenFor passes, whichever comes first. Peers that are
// not murder agents do not announce the extension and get no hints.

// hints is either side: run works until stop, which may come first.
type hints interface {
	run(t *torrent.Torrent)
	stop()
}

// takenExt names the extension; its payload is piece indexes, 4 bytes
// each, big-endian.
const takenExt pp.ExtensionName = "murder_taken"

// takenFor is how long a peer leaves a taken piece alone when no
// neighbour announces it: the peer that took it may have failed.
const takenFor = 3 * time.Second

// seederHints sends the hints. Hooks run with anacrolix's client lock
// held, so they only queue; run writes the messages.
type seederHints struct {
	mu    sync.Mutex
	asked []bool
	queue chan takenPiece
	done  chan struct{}
}

// takenPiece is a piece first asked for, and by whom.
type takenPiece struct {
	by    *torrent.PeerConn
	piece uint32
}

// watch makes cfg's client queue each piece's first request until every
// piece has been asked for. It takes cfg's ReadMessage hook.
func (h *seederHints) watch(cfg *torrent.ClientConfig, numPieces int) {
	h.asked = make([]bool, numPieces)
	h.queue, h.done = make(chan takenPiece, 4096), make(chan struct{})
	cfg.Callbacks.ReadMessage = func(pc *torrent.PeerConn, m *pp.Message) {
		if m.Type != pp.Request || int(m.Index) >= len(h.asked) {
			return
		}
		h.mu.Lock()
		first := !h.asked[m.Index]
		h.asked[m.Index] = true
		h.mu.Unlock()
		if first {
			select {
			case h.queue <- takenPiece{pc, uint32(m.Index)}:
			default:
			}
		}
	}
}

// run sends the queued hints, in batches, to every peer but the one that
// asked, until stop.
func (h *seederHints) run(t *torrent.Torrent) {
	for {
		var batch []takenPiece
		select {
		case <-h.done:
			return
		case tp := <-h.queue:
			batch = append(batch, tp)
		}
	drain:
		for {
			select {
			case tp := <-h.queue:
				batch = append(batch, tp)
			default:
				break drain
			}
		}
		for _, pc := range t.PeerConns() {
			var b []byte
			for _, tp := range batch {
				if tp.by != pc {
					b = binary.BigEndian.AppendUint32(b, tp.piece)
				}
			}
			if len(b) > 0 {
				_ = pc.WriteExtendedMessage(takenExt, b) // peers that do not take hints refuse
			}
		}
	}
}

func (h *seederHints) stop() { close(h.done) }

// peerHints takes the seeder's hints, and keeps this peer's connections
// from asking for a piece another of them asked for (leftalone.go). Hooks
// run with anacrolix's client lock held, so they only queue; run changes
// the priorities.
type peerHints struct {
	in    chan []uint32 // taken by someone else
	held  chan uint32   // announced by a neighbour
	holds chan []bool   // a neighbour's bitfield (one that connected late)
	asks  chan ask      // requests sent and ended
	done  chan struct{}
}

// watch makes cfg's client announce the extension and queue the hints
// from the seeder and the pieces its other peers announce. It takes cfg's
// ReadMessage hook.
func (h *peerHints) watch(cfg *torrent.ClientConfig) {
	h.in, h.held, h.holds = make(chan []uint32, 1024), make(chan uint32, 8192), make(chan []bool, 64)
	h.asks, h.done = make(chan ask, 8192), make(chan struct{})
	// A request dropped here (the queue full) leaves its piece to the
	// other connections sooner, or later: a duplicate or a wait of at most
	// askedFor, never a piece left alone for good.
	cfg.Callbacks.SentRequest = append(cfg.Callbacks.SentRequest, func(e torrent.PeerRequestEvent) {
		select {
		case h.asks <- ask{piece: uint32(e.Index), sent: true}:
		default:
		}
	})
	cfg.Callbacks.DeletedRequest = append(cfg.Callbacks.DeletedRequest, func(e torrent.PeerRequestEvent) {
		select {
		case h.asks <- ask{piece: uint32(e.Index)}:
		default:
		}
	})
	cfg.Callbacks.PeerConnAdded = append(cfg.Callbacks.PeerConnAdded, func(pc *torrent.PeerConn) {
		pc.LocalLtepProtocolMap.AddUserProtocol(takenExt)
	})
	cfg.Callbacks.PeerConnReadExtensionMessage = append(cfg.Callbacks.PeerConnReadExtensionMessage, func(e torrent.PeerConnReadExtensionMessageEvent) {
		name, builtin, err := e.PeerConn.LocalLtepProtocolMap.LookupId(e.ExtensionNumber)
		if err != nil || builtin || name != takenExt || !bytes.HasPrefix(e.PeerConn.PeerID[:], seederPrefix) {
			return
		}
		var ps []uint32
		for b := e.Payload; len(b) >= 4; b = b[4:] {
			ps = append(ps, binary.BigEndian.Uint32(b))
		}
		select {
		case h.in <- ps:
		default:
		}
	})
	cfg.Callbacks.ReadMessage = func(pc *torrent.PeerConn, m *pp.Message) {
		if bytes.HasPrefix(pc.PeerID[:], seederPrefix) {
			return
		}
		switch m.Type {
		case pp.Have:
			select {
			case h.held <- uint32(m.Index):
			default:
			}
		case pp.Bitfield:
			select {
			case h.holds <- slices.Clone(m.Bitfield):
			default:
			}
		}
	}
}

// run sets the priority of each piece that leftAlone's rules change,
// until stop.
func (h *peerHints) run(t *torrent.Torrent) {
	la := newLeftAlone()
	set := func(ps []uint32) {
		for _, p := range ps {
			if la.alone(p) {
				t.Piece(int(p)).SetPriority(torrent.PiecePriorityNone)
			} else {
				t.Piece(int(p)).SetPriority(torrent.PiecePriorityNormal)
			}
		}
	}
	complete := func(p uint32) bool { return int(p) >= t.NumPieces() || t.PieceState(int(p)).Complete }
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-h.done:
			return
		case a := <-h.asks:
			set(la.asked(a, time.Now()))
		case ps := <-h.in:
			set(la.taken(slices.DeleteFunc(ps, complete), time.Now()))
		case p := <-h.held:
			set(la.announcedPiece(p))
		case bits := <-h.holds:
			set(la.announced(func(q uint32) bool { return int(q) < len(bits) && bits[q] }))
		case now := <-tick.C:
			set(la.expire(now, t.NumPieces()-t.Stats().PiecesComplete, complete))
		}
	}
}

func (h *peerHints) stop() { close(h.done) }
