package tracker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestLoadAdminToken(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		mode          os.FileMode
		want, errHas  string
	}{
		{"owner-only", testAdminToken + "\n", 0o600, testAdminToken, ""},
		{"read-only owner", "  " + testAdminToken + "  \n", 0o400, testAdminToken, ""},
		{"group-readable", testAdminToken, 0o640, "", "mode 0640"},
		{"world-readable", testAdminToken, 0o604, "", "mode 0604"},
		{"too short", "short\n", 0o600, "", "admin token of 5 characters"},
		{"inner space", "0123456789 0123456789", 0o600, "", "not printable"},
		{"empty", "", 0o600, "", "admin token of 0 characters"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			got, err := LoadAdminToken(path)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), path) {
					t.Fatalf("LoadAdminToken = %q, %v; want an error naming %s and containing %q", got, err, path, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("LoadAdminToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for name, path := range map[string]string{"missing": filepath.Join(dir, "nope"), "directory": dir} {
		if _, err := LoadAdminToken(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want one naming %s", name, err, path)
		}
	}
}

func TestWriteAdminToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tracker.admin-token")
	// A stale token of an earlier run, world-readable besides.
	if err := os.WriteFile(path, []byte("stale-stale-stale-stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := WriteAdminToken(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if got, err := LoadAdminToken(path); err != nil || got != tok {
		t.Errorf("LoadAdminToken after WriteAdminToken = %q, %v; want %q", got, err, tok)
	}
	if _, err := WriteAdminToken(filepath.Join(path, "sub")); err == nil {
		t.Error("WriteAdminToken under a file succeeded")
	}
}

func TestStatusAuth(t *testing.T) {
	s, ihA, ihB, _ := tokenServer(t, Config{AdminToken: testAdminToken})
	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(ihA, "a", 1, 7))
	mustAnnounceAt(t, s, "/"+tokB+"/announce", annQuery(ihB, "b", 1, 0))
	tests := []struct {
		name, target, auth string
		want               int // swarms shown; -1: refused with 401
	}{
		{"no token", "/status", "", -1},
		{"wrong token", "/status", "Bearer " + strings.Repeat("w", 32), -1},
		{"admin token as Basic", "/status", "Basic " + testAdminToken, -1},
		{"admin", "/status", "Bearer " + testAdminToken, 3},
		{"admin, lower-case scheme", "/status", "bearer " + testAdminToken, 3},
		{"admin narrowed to A", "/status?token=" + tokA, "Bearer " + testAdminToken, 1},
		{"transfer A", "/status", "Bearer " + tokA, 1},
		{"transfer A naming itself", "/status?token=" + tokA, "Bearer " + tokA, 1},
		{"transfer A asking for B", "/status?token=" + tokB, "Bearer " + tokA, -1},
		{"transfer token in the query only", "/status?token=" + tokA, "", -1},
		{"metrics without token", "/metrics", "", -1},
		{"metrics with a transfer token", "/metrics", "Bearer " + tokA, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveRec(s, httptestRequest(tt.target, tt.auth))
			if tt.want < 0 {
				body := rec.Body.String()
				if rec.Code != http.StatusUnauthorized || strings.Count(body, "\n") != 1 ||
					strings.Contains(body, ihA.HexString()) || strings.Contains(body, tokA) {
					t.Errorf("got %d %q, want 401 with one line and nothing about swarms", rec.Code, body)
				}
				return
			}
			checkStatusSwarms(t, rec, tt.want, ihA.HexString())
		})
	}
	// Without an admin token configured, nobody is admin.
	open, _ := newTestServer(t, Config{})
	if rec := serveRec(open, httptestRequest("/status", "Bearer ")); rec.Code != http.StatusUnauthorized {
		t.Errorf("status with an empty admin token: %d, want 401", rec.Code)
	}
}

// checkStatusSwarms checks a /status answer of want swarms without peers;
// one swarm must be that of onlyHash, with 7 bytes left.
func checkStatusSwarms(t *testing.T, rec *httptest.ResponseRecorder, want int, onlyHash string) {
	t.Helper()
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("got %d %q: %v", rec.Code, rec.Body, err)
	}
	if len(st.Swarms) != want {
		t.Errorf("got %d swarms, want %d: %+v", len(st.Swarms), want, st.Swarms)
	}
	if want == 1 && (st.Swarms[0].InfoHash != onlyHash || st.Swarms[0].BytesLeft != 7) {
		t.Errorf("swarm = %+v, want %s with 7 bytes left", st.Swarms[0], onlyHash)
	}
	for _, sw := range st.Swarms {
		if sw.Peers != nil {
			t.Errorf("peers listed without ?peers=1")
		}
	}
}

// promLine is one line of the Prometheus text format: a comment, or a
// sample "name{labels} value".
var promLine = regexp.MustCompile(`^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? -?[0-9]+)$`)

func TestMetrics(t *testing.T) {
	s, ihA, _, _ := tokenServer(t, Config{AdminToken: testAdminToken})
	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(ihA, "a", 1, 7))
	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(ihA, "b", 1, 0))
	mustAnnounceAt(t, s, "/"+tokA+"/announce", annQuery(ihA, "c", 1, 5))
	get(t, s, "10.0.0.1:1", "/"+tokB+"/announce?"+annQuery(ihA, "x", 1, 5).Encode()) // refused

	rec := serveRec(s, httptestRequest("/metrics", "Bearer "+testAdminToken))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("got %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	samples := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n") {
		if !promLine.MatchString(line) {
			t.Errorf("not a metrics line: %q", line)
		}
		if !strings.HasPrefix(line, "#") {
			name, value, _ := strings.Cut(line, " ")
			samples[name] = value
		}
	}
	a := `{info_hash="` + ihA.HexString() + `"}`
	for name, want := range map[string]string{
		"murder_tracker_announces_total":        "4",
		"murder_tracker_announces_failed_total": "1",
		"murder_tracker_swarms":                 "3",
		"murder_tracker_peers" + a:              "3",
		"murder_tracker_seeders" + a:            "1",
		"murder_tracker_bytes_left" + a:         "12",
	} {
		if samples[name] != want {
			t.Errorf("%s = %q, want %s", name, samples[name], want)
		}
	}
}

// A transfer registered in the allow dir after the last scan can be followed
// on /status at once with its token.
func TestStatusTokenFromAllowDir(t *testing.T) {
	dir := t.TempDir()
	s, _ := newTestServer(t, Config{AllowDir: dir})
	ih := writeTorrentAnnouncing(t, filepath.Join(dir, "late.torrent"), "late", AnnounceURL("h", 1, tokA))
	rec := serveRec(s, httptestRequest("/status", "Bearer "+tokA))
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || len(st.Swarms) != 1 || st.Swarms[0].InfoHash != ih.HexString() {
		t.Errorf("status with a freshly registered token: %d %q", rec.Code, rec.Body)
	}
}

// Status, metrics and announces run concurrently (for the race detector),
// and a status with peers is consistent with its counts.
func TestStatusConcurrent(t *testing.T) {
	ih := hashOf("concurrent")
	s, _ := newTestServer(t, Config{AdminToken: testAdminToken}, ih)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			get(t, s, fmt.Sprintf("10.0.%d.%d:1", i/200, i%200+1), "/announce?"+annQuery(ih, fmt.Sprint(i%300), 1, int64(i%3)).Encode())
		}
	}()
	for range 50 {
		for _, target := range []string{"/status?peers=1", "/metrics"} {
			rec := serveRec(s, httptestRequest(target, "Bearer "+testAdminToken))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d", target, rec.Code)
			}
		}
		var st Status
		rec := serveRec(s, httptestRequest("/status?peers=1", "Bearer "+testAdminToken))
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		if sw := st.Swarms[0]; len(sw.Peers) != sw.Complete+sw.Incomplete {
			t.Errorf("status lists %d peers, counts %d+%d", len(sw.Peers), sw.Complete, sw.Incomplete)
		}
	}
	<-done
}
