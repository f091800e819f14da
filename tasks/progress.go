package tasks

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/term"
)

// progress shows fleet progress during murder:peer: hosts done of total,
// aggregate rate and ETA. On a terminal it is one live line; otherwise a
// plain line every plainEvery, so CI logs stay readable.
type progress struct {
	r          *Runner
	total      int
	size       int64
	live       bool
	start      time.Time
	lastPrint  time.Time
	printed    bool
	plainEvery time.Duration
}

func newProgress(r *Runner, hosts int, size int64) *progress {
	live := false
	if f, ok := r.Out.(*os.File); ok {
		live = term.IsTerminal(int(f.Fd()))
	}
	now := r.now()
	return &progress{r: r, total: hosts, size: size, live: live, start: now, plainEvery: 10 * time.Second}
}

// show updates the display with the bytes held fleet-wide, the fleet's
// rate (bytes/s) and hosts done.
func (p *progress) show(bytes int64, rate float64, done int) {
	now := p.r.now()
	line := p.line(bytes, rate, done, now)
	switch {
	case p.live:
		p.r.printf("\r\033[K%s", line)
		p.printed = true
	case now.Sub(p.lastPrint) >= p.plainEvery || done == p.total:
		p.r.printf(" ** %s\n", line)
		p.lastPrint = now
	}
}

func (p *progress) line(bytes int64, rate float64, done int, now time.Time) string {
	eta := "?"
	if remaining := p.size*int64(p.total) - bytes; rate > 0 && remaining > 0 {
		eta = time.Duration(float64(remaining) / rate * float64(time.Second)).Round(time.Second).String()
	} else if remaining <= 0 {
		eta = "0s"
	}
	return fmt.Sprintf("peers done %d/%d, %s/s fleet-wide, elapsed %s, ETA %s",
		done, p.total, humanBytes(rate), now.Sub(p.start).Round(time.Second), eta)
}

func (p *progress) end() {
	if p.live && p.printed {
		p.r.printf("\n")
	}
}

func humanBytes(b float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}
