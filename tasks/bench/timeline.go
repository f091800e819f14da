package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/murderfleet/murder/tasks"
)

// timeline is where a murder transfer's time went, from murder:peer's
// report: the median host's first byte and download, how long its
// extraction ran on after the download and how much of the archive it
// still had to read then, and when the last host's download ended.
// Moments are seconds from the start of murder:peer.
type timeline struct {
	firstByte, downloaded, lastDownloaded float64
	tail                                  float64 // extracted - downloaded, median host
	behind                                float64 // bytes extracted after the download, median host; NaN: not reported
}

// readTimeline reads a murder:peer report.
func readTimeline(path string) (timeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return timeline{}, err
	}
	var rep tasks.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return timeline{}, fmt.Errorf("%s: %w", path, err)
	}
	var first, down, tail, behind []float64
	for _, h := range rep.Hosts {
		m := h.Marks
		d, ok := m["downloaded"]
		if !ok {
			continue
		}
		down = append(down, d)
		first = append(first, m["first byte"])
		if x, ok := m["extracted"]; ok {
			tail = append(tail, x-d)
		}
		if n, ok := h.Counts["bytes extracted after download"]; ok {
			behind = append(behind, float64(n))
		}
	}
	if len(down) == 0 {
		return timeline{}, fmt.Errorf("%s: no host reported its download", path)
	}
	return timeline{firstByte: Median(first), downloaded: Median(down),
		lastDownloaded: Percentile(down, 100), tail: Median(tail), behind: Median(behind)}, nil
}

// format is the timeline as one line, with what the extraction still had
// to read as a share of the archive (size bytes).
func (tl timeline) format(size int64) string {
	s := fmt.Sprintf("median host: first byte %.2f s, downloaded %.2f s (last host %.2f s), extracted %.2f s later",
		tl.firstByte, tl.downloaded, tl.lastDownloaded, tl.tail)
	if !math.IsNaN(tl.behind) {
		s += fmt.Sprintf(" with %.0f %% of the archive still to read", 100*tl.behind/float64(size))
	}
	return s
}
