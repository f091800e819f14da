package agentproto

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/lines.golden")

// TestGolden pins the lines both sides speak: a change here is a change
// to the protocol between controller and agent.
func TestGolden(t *testing.T) {
	lines := []string{
		PeerDone{FirstByte: 412 * time.Millisecond, Downloaded: 21301 * time.Millisecond,
			Extracted: 21902 * time.Millisecond, FromSeeder: 1 << 20, FromPeers: 255 << 20, Behind: 3 << 20}.Format(),
		PeerDone{}.Format(),
		Swarm{Seeds: 3, Leechers: 7, Left: 123456}.Format(),
	}
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", "lines.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("lines differ from %s (run with -update if intended):\n%s", path, got)
	}
}

func TestParseDone(t *testing.T) {
	d := PeerDone{FirstByte: 412 * time.Millisecond, Downloaded: 21301 * time.Millisecond, Extracted: 21902 * time.Millisecond, FromSeeder: 5, FromPeers: 7, Behind: 9}
	got, ok := ParseDone(d.Format())
	if !ok || got != d {
		t.Errorf("ParseDone(Format(%+v)) = %+v, %v", d, got, ok)
	}
	if got, ok := ParseDone("done"); !ok || got != (PeerDone{Behind: -1}) {
		t.Errorf(`ParseDone("done") = %+v, %v; want zero but Behind -1 (unknown), true`, got, ok)
	}
	older := "done first_byte=0.100 downloaded=1.000 extracted=1.500 from_seeder=1 from_peers=2"
	if got, _ := ParseDone(older); got.Behind != -1 || got.FromPeers != 2 {
		t.Errorf("ParseDone(%q) = %+v; want Behind -1 (not said) and the other fields", older, got)
	}
	for _, line := range []string{"", "doner", "progress have=1", "error: done"} {
		if _, ok := ParseDone(line); ok {
			t.Errorf("ParseDone(%q) accepted", line)
		}
	}
	if got, _ := ParseDone("done first_byte=-1 from_peers=x later=9 extract_behind=-5"); got != (PeerDone{}) {
		t.Errorf("bad fields not zero: %+v", got)
	}
}

func TestParseSwarm(t *testing.T) {
	s := Swarm{Seeds: 1, Leechers: 9999, Left: 1 << 40}
	if got, ok := ParseSwarm(s.Format()); !ok || got != s {
		t.Errorf("ParseSwarm(Format(%+v)) = %+v, %v", s, got, ok)
	}
	if _, ok := ParseSwarm("done"); ok {
		t.Error("ParseSwarm accepted a done line")
	}
	if got := Field("progress have=12 total=34", "total"); got != 34 {
		t.Errorf("Field total = %d", got)
	}
}
