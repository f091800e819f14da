package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimeline: the line the bench prints from murder:peer's report is
// the median host's moments, the last host's download and the share of
// the archive its extraction still had to read.
func TestTimeline(t *testing.T) {
	tl, err := readTimeline(filepath.Join("testdata", "peer-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := tl.format(1024)
	want := "median host: first byte 0.60 s, downloaded 24.50 s (last host 25.00 s), extracted 1.00 s later with 78 % of the archive still to read"
	if got != want {
		t.Errorf("format =\n%s\nwant\n%s", got, want)
	}
}

// TestTimelineOlderAgent: without the count (an older agent), the line
// leaves the share out; a report with no download is an error.
func TestTimelineOlderAgent(t *testing.T) {
	tl := timeline{firstByte: 0.5, downloaded: 24, lastDownloaded: 24, tail: 1, behind: Median(nil)}
	if got := tl.format(1024); strings.Contains(got, "%") {
		t.Errorf("format = %q, want no share without the count", got)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte(`{"task":"murder:peer","hosts":[{"host":"h","ok":false}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readTimeline(path); err == nil {
		t.Error("a report with no download read without an error")
	}
}
