package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// synthetic is a tiny result as Run would return it.
func synthetic() *Results {
	o := Options{Ns: []int{4, 8}, Size: 64 << 20, Rate: 200e6, CC: "cubic", Reps: 2, Methods: []string{Murder, SCP, Aria2}, SCPNs: []int{4}}
	trials := []Trial{
		{Method: Murder, N: 4, Rep: 1, Makespan: 4.1, HostSeconds: []float64{3.2, 3.5, 3.9, 4.0}, SeederTxBytes: 70e6, ReceivedBytes: []int64{70e6, 71e6, 72e6, 75e6}, CPUSeconds: 3.1},
		{Method: SCP, N: 4, Rep: 1, Makespan: 12.2, HostSeconds: []float64{12, 12.1, 12.1, 12.2}, SeederTxBytes: 280e6, CPUSeconds: 5.5},
		{Method: Aria2, N: 4, Rep: 1, Makespan: 5.0, HostSeconds: []float64{4.5, 4.6, 4.8, 4.9}, SeederTxBytes: 90e6, CPUSeconds: 4.2},
		{Method: Murder, N: 8, Rep: 1, Makespan: 5.3, HostSeconds: []float64{4, 4, 4.2, 4.5, 4.6, 4.8, 5, 5.2}, SeederTxBytes: 75e6, CPUSeconds: 6.4},
		{Method: Aria2, N: 8, Rep: 1, Error: "host h05: aria2c ended without a copy"},
	}
	return &Results{
		Started:      time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC),
		Params:       Params{Ns: o.Ns, Size: o.Size, Rate: o.Rate, CC: o.CC, Reps: o.Reps, Methods: o.Methods, SCPNs: o.SCPNs},
		LimitSeconds: Limit(o.Size, o.Rate),
		Machine:      Machine{CPUs: 2, Kernel: "6.1.0-test"},
		Rows:         Summarize(trials, o.Size, o.Rate),
		Runs:         trials,
		Notes:        notes(o),
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func TestMarkdown(t *testing.T) {
	golden(t, "results.md", []byte(synthetic().Markdown()))
}

func TestJSON(t *testing.T) {
	js, err := synthetic().JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "results.json", js)
	var back Results
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("results.json does not read back: %v", err)
	}
	if len(back.Rows) != 5 || back.Rows[0].Method != Murder || back.Runs[4].Error == "" {
		t.Errorf("read back %+v", back)
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := synthetic().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", b.Bytes())
}

func TestNotesFollowMethods(t *testing.T) {
	n := strings.Join(notes(Options{Methods: []string{Murder}}), "\n")
	if !strings.Contains(n, "murder:") || strings.Contains(n, "scp:") || strings.Contains(n, "aria2:") {
		t.Errorf("notes for murder only:\n%s", n)
	}
	if n := strings.Join(notes(Options{Methods: []string{SCP}}), "\n"); !strings.Contains(n, "scp:") || strings.Contains(n, "only at N") {
		t.Errorf("notes for scp at every N:\n%s", n)
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results", "20260301-123000")
	if err := synthetic().Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JSONFile, MarkdownFile} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, PlotFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", PlotFile, err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("plot is only %dx%d", b.Dx(), b.Dy())
	}
}

func TestPlotAllFailed(t *testing.T) {
	r := synthetic()
	r.Rows = []Row{{Method: Murder, N: 4, Failed: 1}}
	if err := r.Plot(filepath.Join(t.TempDir(), "p.png")); err != nil {
		t.Errorf("plot without a successful row: %v", err)
	}
}

func TestHeadlineNamesMurdersArgs(t *testing.T) {
	r := synthetic()
	r.Params.MurderArgs = []string{"obfuscate=0", "peer_connections=10"}
	if h := r.headline(); !strings.HasSuffix(h, "; murder with obfuscate=0 peer_connections=10") {
		t.Errorf("headline %q does not end with murder's arguments", h)
	}
}

func TestHeadlineNamesTheMachinesCC(t *testing.T) {
	r := synthetic()
	r.Params.CC, r.Machine.CC = "", "bbr"
	if h := r.headline(); !strings.Contains(h, "TCP congestion control bbr (the machine's)") {
		t.Errorf("headline %q does not name the machine's congestion control", h)
	}
}
