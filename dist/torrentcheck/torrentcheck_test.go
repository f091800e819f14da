package torrentcheck

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// metaInfo builds a one-piece torrent; edit adjusts the info first.
func metaInfo(t testing.TB, edit func(*metainfo.Info)) *metainfo.MetaInfo {
	t.Helper()
	info := metainfo.Info{Name: "T.tgz", Length: 10, PieceLength: 16384, Pieces: make([]byte, 20)}
	if edit != nil {
		edit(&info)
	}
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	return &metainfo.MetaInfo{InfoBytes: ib, Announce: "http://127.0.0.1:8998/announce"}
}

// encode is the .torrent file of mi.
func encode(t testing.TB, mi *metainfo.MetaInfo) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := mi.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParse(t *testing.T) {
	mi := metaInfo(t, nil)
	got, err := Parse(encode(t, mi), "good")
	want := Torrent{Name: "T.tgz", Length: 10, PieceLength: 16384, NumPieces: 1, Announce: mi.Announce,
		InfoHash: mi.HashInfoBytes(), Extension: Extension{Unpacked: -1}}
	if err != nil || got != want {
		t.Fatalf("good torrent: %+v, %v; want %+v", got, err, want)
	}
	bad := map[string]func(*metainfo.Info){
		"multi-file": func(i *metainfo.Info) {
			i.Length = 0
			i.Files = []metainfo.FileInfo{{Path: []string{"a"}, Length: 5}, {Path: []string{"b"}, Length: 5}}
		},
		"slash":          func(i *metainfo.Info) { i.Name = "../etc/passwd" },
		"subdir":         func(i *metainfo.Info) { i.Name = "a/b" },
		"backslash":      func(i *metainfo.Info) { i.Name = `a\b` },
		"dotdot":         func(i *metainfo.Info) { i.Name = ".." },
		"dotdot inside":  func(i *metainfo.Info) { i.Name = "a..b" },
		"nul":            func(i *metainfo.Info) { i.Name = "a\x00b" },
		"empty":          func(i *metainfo.Info) { i.Name = "" },
		"dot":            func(i *metainfo.Info) { i.Name = "." },
		"utf-8 name":     func(i *metainfo.Info) { i.NameUtf8 = "../x" },
		"no pieces":      func(i *metainfo.Info) { i.Pieces = nil },
		"too few pieces": func(i *metainfo.Info) { i.Length = 20000 },
		"v2":             func(i *metainfo.Info) { i.FileTree = metainfo.FileTree{}; i.MetaVersion = 2 },
	}
	for name, edit := range bad {
		if _, err := Parse(encode(t, metaInfo(t, edit)), name); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	noTracker := metaInfo(t, nil)
	noTracker.Announce = ""
	if _, err := Parse(encode(t, noTracker), "untracked"); err == nil || !strings.Contains(err.Error(), "no tracker") {
		t.Errorf("no tracker: %v", err)
	}
	tiers := metaInfo(t, nil)
	tiers.Announce, tiers.AnnounceList = "", [][]string{{"http://b:1/announce", "http://c:1/announce"}}
	if got, err := Parse(encode(t, tiers), "tiers"); err != nil || got.Announce != "http://b:1/announce" {
		t.Errorf("announce-list: %q, %v", got.Announce, err)
	}
}

// load is ReadFile and Parse.
func load(path string) (Torrent, []byte, error) {
	b, err := ReadFile(path)
	if err != nil {
		return Torrent{}, nil, err
	}
	t, err := Parse(b, path)
	return t, b, err
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, top map[string]any) string {
		b, err := bencode.Marshal(top)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mi := metaInfo(t, nil)
	base := func() map[string]any {
		return map[string]any{"announce": mi.Announce, "info": bencode.Bytes(mi.InfoBytes)}
	}
	plain := write("plain", base())
	if got, b, err := load(plain); err != nil || got.Extension.SHA256 != "" || got.Extension.Unpacked != -1 || len(b) == 0 {
		t.Errorf("no record: %+v, %v", got, err)
	}
	upper := strings.Repeat("AB", 32)
	withExt := base()
	withExt[Key] = map[string]any{"sha256": upper, "unpacked": 42, "sealed": true}
	p := write("ext", withExt)
	if got, _, err := load(p); err != nil || got.Extension != (Extension{SHA256: strings.ToLower(upper), Unpacked: 42, Sealed: true}) {
		t.Errorf("record: %+v, %v", got.Extension, err)
	}
	badSum := base()
	badSum[Key] = map[string]any{"sha256": "xyz"}
	if _, _, err := load(write("badsum", badSum)); err == nil {
		t.Error("a malformed SHA-256 was accepted")
	}
	badType := base()
	badType[Key] = map[string]any{"unpacked": "many"}
	if _, _, err := load(write("badtype", badType)); err == nil || !strings.Contains(err.Error(), `"unpacked" is not an integer`) {
		t.Errorf("a malformed record: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized torrent: %v", err)
	}
}

func TestParseDigest(t *testing.T) {
	lower := strings.Repeat("0f", 32)
	for in, want := range map[string]string{lower: lower, strings.ToUpper(lower): lower, "": ""} {
		if got, err := ParseDigest(in); err != nil || got != want {
			t.Errorf("ParseDigest(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"abc", strings.Repeat("g", 64), strings.Repeat("0", 66)} {
		if _, err := ParseDigest(in); err == nil {
			t.Errorf("ParseDigest(%q) accepted", in)
		}
	}
}

// TestParsePieceDigests: the murder record's per-piece SHA-256s are read
// when there are 32 bytes a piece, and refused otherwise.
func TestParsePieceDigests(t *testing.T) {
	mi := metaInfo(t, nil) // one piece
	withDigests := func(n int) []byte {
		b, err := bencode.Marshal(map[string]any{"announce": mi.Announce, "info": bencode.Bytes(mi.InfoBytes),
			Key: map[string]any{"sha256": strings.Repeat("ab", 32), "unpacked": 10, "piece sha256": strings.Repeat("x", n)}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	got, err := Parse(withDigests(32), "one digest")
	if err != nil || got.Extension.PieceSHA256 != strings.Repeat("x", 32) {
		t.Fatalf("one piece, one digest: %q, %v", got.Extension.PieceSHA256, err)
	}
	for _, n := range []int{31, 64} {
		if _, err := Parse(withDigests(n), "bad"); err == nil || !strings.Contains(err.Error(), "piece digests") {
			t.Errorf("%d bytes of digests for one piece: %v, want refused", n, err)
		}
	}
}
