package agent

import (
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/murderfleet/murder/dist/torrentcheck"
)

// FuzzTorrentReaders: every .torrent torrentcheck accepts, anacrolix reads
// the same way (parseTorrent refuses any on which they differ), so the
// controller's check and the agent's client never disagree on a torrent.
func FuzzTorrentReaders(f *testing.F) {
	info := metainfo.Info{Name: "Deploy1.tgz", PieceLength: 16384, Length: 5, Pieces: make([]byte, 20)}
	ib, _ := bencode.Marshal(info)
	good, _ := bencode.Marshal(map[string]any{"announce": "http://t:8998/abcdefghijklmnopqrstuvwxyz012345/announce",
		"info": bencode.Bytes(ib), torrentcheck.Key: map[string]any{"sha256": strings.Repeat("ab", 32), "unpacked": 5}})
	f.Add(good)
	f.Add([]byte("d13:announce-listll1:aee4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Add([]byte("d8:announce1:a4:infod6:lengthi1e4:name1:x10:name.utf-81:y12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := torrentcheck.Parse(b, "fuzz"); err != nil {
			return
		}
		if _, err := parseTorrent(b, "fuzz"); err != nil {
			t.Fatalf("torrentcheck accepts %q, the agent refuses it: %v", b, err)
		}
	})
}
