package tracker

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

const (
	tokA = "tokenAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tokB = "tokenBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

func TestAnnounceURL(t *testing.T) {
	tests := []struct {
		host  string
		port  int
		token string
		want  string
	}{
		{"w01", 8998, "", "http://w01:8998/announce"},
		{"w01", 8998, tokA, "https://w01:8998/" + tokA + "/announce"},
		{"10.0.0.1", 1, tokA, "https://10.0.0.1:1/" + tokA + "/announce"},
		{"fd00::1", 8998, "", "http://[fd00::1]:8998/announce"},
	}
	for _, tt := range tests {
		if got := AnnounceURL(tt.host, tt.port, tt.token); got != tt.want {
			t.Errorf("AnnounceURL(%q, %d, %q) = %q, want %q", tt.host, tt.port, tt.token, got, tt.want)
		}
		// The tracker reads back the token it was given.
		if got, err := urlToken(AnnounceURL(tt.host, tt.port, tt.token)); err != nil || got != tt.token {
			t.Errorf("urlToken(AnnounceURL(..., %q)) = %q, %v", tt.token, got, err)
		}
	}
}

func TestTorrentToken(t *testing.T) {
	tests := []struct {
		name     string
		announce string
		list     [][]string
		want     string
		wantErr  string
	}{
		{"tokenless", "http://w01:8998/announce", nil, "", ""},
		{"token in announce", AnnounceURL("w01", 8998, tokA), nil, tokA, ""},
		{"token in announce-list only", "", [][]string{{"udp://other/x"}, {AnnounceURL("w01", 8998, tokA)}}, tokA, ""},
		{"same token twice", AnnounceURL("w01", 8998, tokA), [][]string{{AnnounceURL("w02", 8998, tokA)}}, tokA, ""},
		{"another tracker's path", "http://other/x/y/announce.php", nil, "", ""},
		{"two tokens", AnnounceURL("w01", 8998, tokA), [][]string{{AnnounceURL("w01", 8998, tokB)}}, "", "two different tokens"},
		{"malformed token", "http://w01:8998/short/announce", nil, "", "tracker token of 5 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mi := &metainfo.MetaInfo{Announce: tt.announce, AnnounceList: tt.list}
			got, err := torrentToken(mi)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("torrentToken = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("torrentToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// tokenServer registers ihA with tokA, ihB with tokB and ihOpen without a
// token.
func tokenServer(t *testing.T, cfg Config) (s *Server, ihA, ihB, ihOpen metainfo.Hash) {
	t.Helper()
	ihA, ihB, ihOpen = hashOf("a"), hashOf("b"), hashOf("open")
	s, _ = newTestServer(t, cfg, ihOpen)
	for ih, tok := range map[metainfo.Hash]string{ihA: tokA, ihB: tokB} {
		if err := s.AllowToken(ih, tok); err != nil {
			t.Fatal(err)
		}
	}
	return s, ihA, ihB, ihOpen
}

func TestTokenAnnounce(t *testing.T) {
	const refused = "unknown or unauthorized transfer"
	const unregistered = "unregistered info_hash"
	for _, allowAll := range []bool{false, true} {
		s, ihA, ihB, ihOpen := tokenServer(t, Config{AllowAll: allowAll})
		tests := []struct {
			name, path string
			ih         metainfo.Hash
			want       string // failure reason prefix; "" for success
		}{
			{"right token", "/" + tokA + "/announce", ihA, ""},
			{"tokenless on its route", "/announce", ihOpen, ""},
			{"other transfer's token", "/" + tokB + "/announce", ihA, refused},
			{"token of nothing", "/" + strings.Repeat("x", 32) + "/announce", ihA, refused},
			{"unknown info-hash", "/" + tokA + "/announce", hashOf("unknown"), refused},
			{"tokenless info-hash on a token path", "/" + tokA + "/announce", ihOpen, refused},
			{"malformed token", "/short/announce", ihA, refused},
			{"token prefix", "/" + tokA[:len(tokA)-1] + "/announce", ihA, refused},
			{"tokened info-hash without token", "/announce", ihB, unregistered},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := annQuery(tt.ih, "p", 1, 1)
				rec := get(t, s, "10.0.0.1:1", tt.path+"?"+q.Encode())
				var r announceResp
				if err := bencode.Unmarshal(rec.Body.Bytes(), &r); err != nil {
					t.Fatalf("decode %q: %v", rec.Body, err)
				}
				if !strings.HasPrefix(r.FailureReason, tt.want) || (tt.want == "") != (r.FailureReason == "") {
					t.Errorf("failure reason %q, want %q", r.FailureReason, tt.want)
				}
				if tt.want == refused && rec.Body.String() != "d14:failure reason32:unknown or unauthorized transfere" {
					t.Errorf("refusal %q says more than the bare reason", rec.Body)
				}
			})
		}
		if !allowAll {
			continue
		}
		// AllowAll opens unknown info-hashes on the tokenless route only.
		mustAnnounce(t, s, "10.0.0.1:1", annQuery(hashOf("stray"), "p", 1, 1))
	}
}

func TestTokenFromAllowDir(t *testing.T) {
	dir := t.TempDir()
	tokened := writeTorrentAnnouncing(t, filepath.Join(dir, "tok.torrent"), "tok", AnnounceURL("h", 1, tokA))
	open := writeTorrentAnnouncing(t, filepath.Join(dir, "open.torrent"), "open", AnnounceURL("h", 1, ""))
	// A leftover marker of the tokened torrent must not open it.
	if err := AllowFile(dir, tokened); err != nil {
		t.Fatal(err)
	}
	// Two torrents of one content with different tokens: neither answers.
	twice := writeTorrentAnnouncing(t, filepath.Join(dir, "twice1.torrent"), "twice", AnnounceURL("h", 1, tokA))
	writeTorrentAnnouncing(t, filepath.Join(dir, "twice2.torrent"), "twice", AnnounceURL("h", 1, tokB))
	s, _ := newTestServer(t, Config{AllowDir: dir})

	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(tokened, "p", 1, 1))
	mustAnnounceAt(t, s, "/announce", annQuery(open, "p", 1, 1))
	for name, tt := range map[string]struct {
		path string
		ih   metainfo.Hash
	}{
		"tokened without token": {"/announce", tokened},
		"tokenless with token":  {"/" + tokA + "/announce", open},
		"conflict, token A":     {"/" + tokA + "/announce", twice},
		"conflict, token B":     {"/" + tokB + "/announce", twice},
		"conflict, no token":    {"/announce", twice},
	} {
		rec := get(t, s, "10.0.0.1:1", tt.path+"?"+annQuery(tt.ih, "p", 1, 1).Encode())
		if !strings.Contains(rec.Body.String(), "failure reason") {
			t.Errorf("%s: accepted: %q", name, rec.Body)
		}
	}
}

// writeTorrentAnnouncing writes a .torrent for content name announcing to
// announce, owner-only as the agent writes them, and returns its info-hash.
func writeTorrentAnnouncing(t *testing.T, path, name, announce string) metainfo.Hash {
	t.Helper()
	info := metainfo.Info{Name: name, PieceLength: 16 << 10, Length: 3, Pieces: make([]byte, 20)}
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{InfoBytes: ib, Announce: announce}
	b, err := bencode.Marshal(mi)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return mi.HashInfoBytes()
}

// mustAnnounceAt announces q on path and fails the test on a failure reason.
func mustAnnounceAt(t *testing.T, s *Server, path string, q url.Values) announceResp {
	t.Helper()
	rec := get(t, s, "10.0.0.1:1", path+"?"+q.Encode())
	var r announceResp
	if err := bencode.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.FailureReason != "" {
		t.Fatalf("announce on %s: %q, %v", path, rec.Body, err)
	}
	return r
}

func TestTokenScrape(t *testing.T) {
	s, ihA, ihB, ihOpen := tokenServer(t, Config{})
	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(ihA, "a", 1, 0))
	mustAnnounceAt(t, s, "/"+tokB+"/announce", annQuery(ihB, "b", 1, 5))
	mustAnnounce(t, s, "10.0.0.1:1", annQuery(ihOpen, "o", 1, 5))
	tests := []struct {
		name, path string
		hashes     []metainfo.Hash
		want       []metainfo.Hash // in the answer; nil: refused
	}{
		{"all of token A", "/" + tokA + "/scrape", nil, []metainfo.Hash{ihA}},
		{"A's hash on A", "/" + tokA + "/scrape", []metainfo.Hash{ihA}, []metainfo.Hash{ihA}},
		{"B's hash on A", "/" + tokA + "/scrape", []metainfo.Hash{ihB}, nil},
		{"A's and B's on A", "/" + tokA + "/scrape", []metainfo.Hash{ihA, ihB}, []metainfo.Hash{ihA}},
		{"tokenless hash on A", "/" + tokA + "/scrape", []metainfo.Hash{ihOpen}, nil},
		{"all tokenless", "/scrape", nil, []metainfo.Hash{ihOpen}},
		{"A's hash without token", "/scrape", []metainfo.Hash{ihA}, nil},
		{"all of an unknown token", "/" + strings.Repeat("u", 30) + "/scrape", nil, []metainfo.Hash{}},
		{"malformed token", "/bad/scrape", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for _, ih := range tt.hashes {
				q.Add("info_hash", string(ih[:]))
			}
			rec := get(t, s, "10.0.0.1:1", tt.path+"?"+q.Encode())
			var r scrapeResp
			if err := bencode.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatalf("decode %q: %v", rec.Body, err)
			}
			if tt.want == nil {
				if r.FailureReason == "" || len(r.Files) != 0 {
					t.Errorf("answered %q, want a refusal", rec.Body)
				}
				return
			}
			if len(r.Files) != len(tt.want) {
				t.Errorf("files %d, want %d: %q", len(r.Files), len(tt.want), rec.Body)
			}
			for _, ih := range tt.want {
				if _, ok := r.Files[string(ih[:])]; !ok {
					t.Errorf("answer lacks %s", ih.HexString())
				}
			}
		})
	}
}

func TestAllowTorrent(t *testing.T) {
	dir := t.TempDir()
	info, err := bencode.Marshal(metainfo.Info{Name: "x", PieceLength: 16 << 10, Length: 3, Pieces: make([]byte, 20)})
	if err != nil {
		t.Fatal(err)
	}
	mi := &metainfo.MetaInfo{InfoBytes: info, Announce: AnnounceURL("h", 1, tokA)}
	if err := AllowTorrent(dir, mi); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, mi.HashInfoBytes().HexString()+".torrent")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("registered torrent: %v, %v; want mode 0600", fi, err)
	}
	s, _ := newTestServer(t, Config{AllowDir: dir})
	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(mi.HashInfoBytes(), "p", 1, 1))
	if r := announce(t, s, "10.0.0.1:1", annQuery(mi.HashInfoBytes(), "p", 1, 1)); r.FailureReason == "" {
		t.Error("tokened torrent answered without its token")
	}

	bad := &metainfo.MetaInfo{InfoBytes: info, Announce: "http://h:1/short/announce"}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := AllowTorrent(dir, bad); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("AllowTorrent of a malformed token: %v, want an error about the token", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused torrent left %d entries in the allow dir", len(entries))
	}
}
