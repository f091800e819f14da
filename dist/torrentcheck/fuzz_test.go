package torrentcheck

import (
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// FuzzParse: the torrent reader never panics on hostile bytes; what it
// accepts is a single-file torrent with a safe name, a tracker and, when
// recorded, a canonical digest. (The agent's FuzzTorrentReaders checks
// that anacrolix/torrent reads it the same way.)
func FuzzParse(f *testing.F) {
	info := metainfo.Info{Name: "Deploy1.tgz", PieceLength: 16384, Length: 5, Pieces: make([]byte, 20)}
	ib, _ := bencode.Marshal(info)
	good, _ := bencode.Marshal(map[string]any{"announce": "http://t:8998/abcdefghijklmnopqrstuvwxyz012345/announce",
		"info": bencode.Bytes(ib), Key: map[string]any{"sha256": strings.Repeat("ab", 32), "unpacked": 5}})
	f.Add(good)
	f.Add([]byte("d8:announce3:xyze"))
	f.Add([]byte("d4:infod4:name2:..6:lengthi1e12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Add([]byte("d13:announce-listll1:aee4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Parse(b, "fuzz.torrent")
		if err != nil {
			return
		}
		if got.Name == "" || strings.ContainsAny(got.Name, "/\\\x00") || strings.Contains(got.Name, "..") || got.Announce == "" {
			t.Fatalf("accepted %+v", got)
		}
		if ext := got.Extension; ext.SHA256 != "" && (len(ext.SHA256) != 64 || strings.ToLower(ext.SHA256) != ext.SHA256) {
			t.Fatalf("digest %q not canonical", ext.SHA256)
		}
		if n := len(got.Extension.PieceSHA256); n != 0 && n != 32*got.NumPieces {
			t.Fatalf("%d bytes of piece digests for %d pieces", n, got.NumPieces)
		}
	})
}
