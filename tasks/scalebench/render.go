package scalebench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/murderfleet/murder/internal/chart"
	"github.com/murderfleet/murder/tasks/bench"
)

// The files a run writes into its folder.
const (
	TableFile    = "table.txt"
	MarkdownFile = "results.md"
	JSONFile     = "results.json"
	PlotFile     = "scale.png"
)

var columns = []string{"hosts", "task", "on", "wall s", "added s", "CPU s", "peak RSS MiB", "stacks MiB", "heap MiB", "goroutines", "conns", "sessions/host", "sent", "agent copies", "fleet CPU s", "error"}

func (r Row) cells() []string {
	added, copies := "", ""
	if r.Task == "murder:peer" {
		added = f2(r.AddedS)
	}
	if r.Task == "murder:distribute_files" {
		copies = strconv.FormatInt(r.AgentCopies, 10) // from the controller; the others fetched it
	}
	return []string{strconv.Itoa(r.Hosts), strings.TrimPrefix(r.Task, "murder:"), strconv.Itoa(r.TaskHosts), f2(r.WallS), added, f2(r.CPUS),
		fmt.Sprintf("%.0f", r.PeakRSSMiB), fmt.Sprintf("%.0f", r.MaxStacksMiB), fmt.Sprintf("%.0f", r.MaxHeapMiB), strconv.FormatInt(r.MaxGoroutines, 10), strconv.FormatInt(r.Conns, 10), f2(r.PerHost), human(r.SentBytes), copies, f2(r.FleetCPUS), r.Err}
}

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func (r *Results) headline() string {
	timeout := "10s (default)"
	if r.Params.SSHTimeout > 0 {
		timeout = r.Params.SSHTimeout.String()
	}
	if r.Params.HostKeysOff {
		timeout += ", EXPERIMENT hostkeys=off (no known_hosts, no host key checking)"
	}
	return fmt.Sprintf("simulated fleet: archive %s at %s per peer (swarm time %.1f s), ssh.max_hosts %d, ssh.timeout %s, fake agent %s (real %s); %d CPU(s)",
		bench.FormatSize(r.Size), bench.FormatRate(r.RateBits), r.SwarmS, r.MaxHosts, timeout, bench.FormatSize(r.AgentSize), human(r.RealAgent), runtime.NumCPU())
}

// WriteTable prints the table as aligned text.
func (r *Results) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s\n\n", r.headline())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(columns, "\t")+"\t")
	for _, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(row.cells(), "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if row.AgentCopies > 0 {
			fmt.Fprintf(w, "hosts=%d distribute_files: %d agent copies from the controller, %d fetched from other hosts; with the real agent: %s from the controller\n",
				row.Hosts, row.AgentCopies, row.AgentFetch, human(row.RealBytes))
		}
	}
	if g := r.growth(); g != "" {
		fmt.Fprintf(w, "\n%s", g)
	}
	for _, s := range r.Setup {
		fmt.Fprintf(w, "hosts=%d setup: simulated fleet up in %.2f s, murder.yaml loaded in %.3f s\n", s.Hosts, s.FleetStartS, s.ConfigLoadS)
	}
	return nil
}

// growth reports, for each task on every host, how each figure grew
// between the two largest fleet sizes as the exponent k of hosts^k (log
// of the ratio over log of the hosts' ratio): 1 is linear, below 1
// better, above 1 worse.
func (r *Results) growth() string {
	sizes := map[int]bool{}
	for _, row := range r.Rows {
		sizes[row.Hosts] = true
	}
	var ns []int
	for n := range sizes {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	if len(ns) < 2 {
		return ""
	}
	a, b := ns[len(ns)-2], ns[len(ns)-1]
	find := func(n int, task string) (Row, bool) {
		for _, row := range r.Rows {
			if row.Hosts == n && row.Task == task {
				return row, true
			}
		}
		return Row{}, false
	}
	exp := func(x, y float64) string {
		if x <= 0 || y <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", math.Log(y/x)/math.Log(float64(b)/float64(a)))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "growth from %d to %d hosts, as the exponent k of hosts^k (1 = linear):\n", a, b)
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "task\twall\tadded\tCPU\tpeak RSS\tsessions\tsent\t")
	for _, row := range r.Rows {
		if row.Hosts != b || row.TaskHosts < b {
			continue
		}
		ra, ok := find(a, row.Task)
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", strings.TrimPrefix(row.Task, "murder:"), exp(ra.WallS, row.WallS), exp(ra.AddedS, row.AddedS),
			exp(ra.CPUS, row.CPUS), exp(ra.PeakRSSMiB, row.PeakRSSMiB), exp(float64(ra.Sessions), float64(row.Sessions)), exp(float64(ra.SentBytes), float64(row.SentBytes)))
	}
	_ = tw.Flush()
	return sb.String()
}

// Markdown renders the results with the notes on how they were measured.
func (r *Results) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Scale bench, %s\n\n%s.\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.headline())
	b.WriteString("| " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("---:|", len(columns)-3) + "---|\n")
	for _, row := range r.Rows {
		b.WriteString("| " + strings.Join(row.cells(), " | ") + " |\n")
	}
	if g := r.growth(); g != "" {
		b.WriteString("\n```\n" + g + "```\n")
	}
	b.WriteString("\n")
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

var notes = []string{
	"The controller is murder's own (tasks.Run with package murder's tasks, in the bench's process); the hosts are SSH servers on 127.1.x.y in a separate process (simfleet) with a simulated agent, so CPU and RSS are the controller's alone. fleet CPU s is the simulated fleet's CPU over the same task, on the same 2 cores.",
	"wall s: the task's wall time; added s (murder:peer): wall minus the swarm's own time size/rate, i.e. what the controller adds (the starts, each host's result ask) and each peer's own extraction (the model's extract delay).",
	"CPU s: getrusage user+system of the bench process over the task. peak RSS: VmHWM after resetting it (clear_refs 5) and freeing the heap before the task. stacks, heap, goroutines: the maxima of the Go runtime's goroutine stacks, live-and-unswept heap objects and goroutine count, sampled every 200 ms.",
	"conns, sessions: SSH connections and session channels the fleet accepted during the task; sessions/host divides by the hosts the task runs on (on). sent: TCP bytes the fleet received from the controller, SSH framing and encryption included.",
	"The tracker is not run (start_tracker is answered by the simulated agent) and no simulated peer announces: the tracker's load is not measured here.",
	"All hosts share one host key; known_hosts lists each address with it (strict checking).",
}

// Load reads the results.json of an earlier run in dir, to render its
// table, Markdown and plot again (rerender=DIR).
func Load(dir string) (*Results, error) {
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		return nil, err
	}
	r := &Results{Dir: dir}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, JSONFile), err)
	}
	r.Params = Defaults()
	r.Params.Size, r.Params.RateBits, r.Params.MaxHosts = r.Size, r.RateBits, r.MaxHosts
	return r, nil
}

// JSON renders the results as indented JSON.
func (r *Results) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// Write saves the table, Markdown, JSON and plot in r.Dir.
func (r *Results) Write() error {
	var tb strings.Builder
	_ = r.WriteTable(&tb)
	if err := os.WriteFile(filepath.Join(r.Dir, TableFile), []byte(tb.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.Dir, MarkdownFile), []byte(r.Markdown()), 0o644); err != nil {
		return err
	}
	js, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.Dir, JSONFile), js, 0o644); err != nil {
		return err
	}
	return r.Plot(filepath.Join(r.Dir, PlotFile))
}

// figure is one panel of the plot.
type figure struct {
	title string
	value func(Row) float64
}

var figures = []figure{
	{"wall time (s)", func(r Row) float64 { return r.WallS }},
	{"controller CPU (s)", func(r Row) float64 { return r.CPUS }},
	{"controller peak RSS (MiB)", func(r Row) float64 { return r.PeakRSSMiB }},
	{"SSH sessions per host", func(r Row) float64 { return r.PerHost }},
	{"bytes sent (MiB)", func(r Row) float64 { return float64(r.SentBytes) / (1 << 20) }},
	{"murder:peer added time (s)", func(r Row) float64 {
		if r.Task != "murder:peer" {
			return 0
		}
		return r.AddedS
	}},
}

// Plot draws each figure against the number of hosts, one line per task,
// on log-log axes (a straight line of slope 1 is linear growth), in a
// grid of panels, as a PNG. The drawing runs in a separate process
// (package chart), so that gonum/plot stays out of the magefile.
func (r *Results) Plot(path string) error {
	return chart.Write(r.chart(), path)
}

// chart describes the plot Plot draws.
func (r *Results) chart() *chart.Chart {
	const cols = 2
	rows := (len(figures) + cols - 1) / cols
	var tasks []string
	for _, row := range r.Rows {
		if !contains(tasks, row.Task) {
			tasks = append(tasks, row.Task)
		}
	}
	c := &chart.Chart{Width: 11, Height: float64(rows) * 3.6, Cols: cols}
	for fi, fig := range figures {
		p := chart.Panel{Title: fig.title, XLabel: "hosts", LegendFontSize: 7}
		var all [][2]float64
		for ti, t := range tasks {
			var pts [][2]float64
			for _, row := range r.Rows {
				if v := fig.value(row); row.Task == t && v > 0 {
					pts = append(pts, [2]float64{float64(row.Hosts), v})
				}
			}
			if len(pts) == 0 {
				continue
			}
			all = append(all, pts...)
			s := chart.Series{Style: ti, Points: pts, Width: 1.2, Radius: 2.5}
			if fi == 0 || len(figures)-1 == fi {
				s.Name = strings.TrimPrefix(t, "murder:")
			}
			p.Series = append(p.Series, s)
		}
		if len(all) > 0 {
			// Log-log: a straight line of slope 1 is linear growth. The
			// ranges are padded so a single point still spans a decade.
			xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
			for _, pt := range all {
				xmin, xmax = min(xmin, pt[0]), max(xmax, pt[0])
				ymin, ymax = min(ymin, pt[1]), max(ymax, pt[1])
			}
			p.LogLog = true
			p.X = &[2]float64{xmin / 1.5, xmax * 1.5}
			p.Y = &[2]float64{ymin / 2, ymax * 4}
		}
		c.Panels = append(c.Panels, p)
	}
	return c
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
