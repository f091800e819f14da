package torrentcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// metaInfo builds a one-piece torrent; edit adjusts the info first.
func metaInfo(t *testing.T, edit func(*metainfo.Info)) *metainfo.MetaInfo {
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

func TestCheck(t *testing.T) {
	if err := Check(metaInfo(t, nil)); err != nil {
		t.Fatalf("good torrent: %v", err)
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
	}
	for name, edit := range bad {
		if err := Check(metaInfo(t, edit)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	noTracker := metaInfo(t, nil)
	noTracker.Announce = ""
	if err := Check(noTracker); err == nil || !strings.Contains(err.Error(), "no tracker") {
		t.Errorf("no tracker: %v", err)
	}
}

func TestLoad(t *testing.T) {
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
	if _, ext, err := LoadExtension(plain); err != nil || ext.SHA256 != "" || ext.Unpacked != -1 {
		t.Errorf("no record: %+v, %v", ext, err)
	}
	upper := strings.Repeat("AB", 32)
	withExt := base()
	withExt[Key] = map[string]any{"sha256": upper, "unpacked": 42}
	p := write("ext", withExt)
	if _, ext, err := LoadExtension(p); err != nil || ext.SHA256 != strings.ToLower(upper) || ext.Unpacked != 42 {
		t.Errorf("record: %+v, %v", ext, err)
	}
	badSum := base()
	badSum[Key] = map[string]any{"sha256": "xyz"}
	if _, err := Load(write("badsum", badSum)); err == nil {
		t.Error("a malformed SHA-256 was accepted")
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
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
