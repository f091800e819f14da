package torrentcheck

import (
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// FuzzParse: the torrent loader never panics on hostile bytes, and what it
// accepts is a single-file torrent with a safe name, a tracker and, when
// recorded, a canonical digest.
func FuzzParse(f *testing.F) {
	info := metainfo.Info{Name: "Deploy1.tgz", PieceLength: 16384, Length: 5, Pieces: make([]byte, 20)}
	ib, _ := bencode.Marshal(info)
	good, _ := bencode.Marshal(map[string]any{"announce": "http://t:8998/abcdefghijklmnopqrstuvwxyz012345/announce",
		"info": bencode.Bytes(ib), Key: map[string]any{"sha256": strings.Repeat("ab", 32), "unpacked": 5}})
	f.Add(good)
	f.Add([]byte("d8:announce3:xyze"))
	f.Add([]byte("d4:infod4:name2:..6:lengthi1e12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mi, ext, err := Parse(b, "fuzz.torrent")
		if err != nil {
			return
		}
		if err := Check(mi); err != nil {
			t.Fatalf("Parse accepted what Check refuses: %v", err)
		}
		info, err := mi.UnmarshalInfo()
		if err != nil || info.IsDir() || strings.ContainsAny(info.Name, "/\\\x00") || strings.Contains(info.Name, "..") {
			t.Fatalf("accepted info %+v, %v", info, err)
		}
		if ext.SHA256 != "" && (len(ext.SHA256) != 64 || strings.ToLower(ext.SHA256) != ext.SHA256) {
			t.Fatalf("digest %q not canonical", ext.SHA256)
		}
	})
}
