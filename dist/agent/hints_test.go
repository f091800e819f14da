package agent

import (
	"sync/atomic"
	"testing"

	"github.com/anacrolix/torrent"
)

// TestHints: in a swarm of murder's seeder and peers, the peers hear from
// the seeder which pieces the others asked of it first, leave those alone
// for a while, and all complete.
func TestHints(t *testing.T) {
	var sh seederHints
	s := newInProcess(t, 16<<20, false, func(tf *torrentFile, cfg *torrent.ClientConfig) {
		cfg.Bep20 = seederBep20
		sh.watch(cfg, tf.info.NumPieces())
	})
	go sh.run(s.seederT)
	defer sh.stop()
	var hinted atomic.Int64
	var peers []*peerHints
	cls := s.download("p", 3, func(cfg *torrent.ClientConfig) {
		cfg.Bep20 = peerBep20
		h := &peerHints{}
		h.watch(cfg)
		peers = append(peers, h)
		cfg.Callbacks.PeerConnReadExtensionMessage = append(cfg.Callbacks.PeerConnReadExtensionMessage, func(e torrent.PeerConnReadExtensionMessageEvent) {
			if name, _, err := e.PeerConn.LocalLtepProtocolMap.LookupId(e.ExtensionNumber); err == nil && name == takenExt {
				hinted.Add(int64(len(e.Payload) / 4))
			}
		})
	}, func(pt *torrent.Torrent) {
		go peers[len(peers)-1].run(pt)
	})
	for i, cl := range cls {
		peers[i].stop()
		cl.Close()
	}
	if hinted.Load() == 0 {
		t.Error("no peer heard of a piece taken by another")
	}
}
