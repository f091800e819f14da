package murder

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/murderfleet/murder/tasks"
)

// progress shows fleet progress during murder:peer: hosts done of total,
// aggregate rate and ETA. On a terminal it is one live line; otherwise a
// plain line every plainEvery, so CI logs stay readable.
type progress struct {
	ctx        context.Context // for the clock
	out        io.Writer
	total      int
	size       int64
	live       bool
	start      time.Time
	lastPrint  time.Time
	printed    bool
	plainEvery time.Duration
}

func newProgress(ctx context.Context, hosts int, size int64) *progress {
	live := tasks.Terminal(ctx)
	return &progress{ctx: ctx, out: tasks.Stdout(ctx), total: hosts, size: size, live: live,
		start: tasks.Now(ctx), plainEvery: 10 * time.Second}
}

// show updates the display with the bytes held fleet-wide, the fleet's
// rate (bytes/s) and hosts done.
func (p *progress) show(bytes int64, rate float64, done int) {
	now := tasks.Now(p.ctx)
	line := p.line(bytes, rate, done, now)
	switch {
	case p.live:
		fmt.Fprintf(p.out, "\r\033[K%s", line)
		p.printed = true
	case now.Sub(p.lastPrint) >= p.plainEvery || done == p.total:
		fmt.Fprintf(p.out, " ** %s\n", line)
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
		fmt.Fprintln(p.out)
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
