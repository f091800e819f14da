package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Files written into the results folder.
const (
	JSONFile     = "results.json"
	MarkdownFile = "results.md"
	PlotFile     = "makespan.png"
	LogFile      = "bench.log"
)

// columns are the table's headings, shared by Markdown and text.
var columns = []string{"method", "N", "makespan s", "efficiency", "seeder bytes/S", "received bytes/S", "CPU-s/GB", "p50 s", "p99 s"}

// cells returns a row's table cells.
func (r Row) cells() []string {
	c := []string{r.Method, strconv.Itoa(r.N)}
	if r.OK == 0 {
		return append(c, fmt.Sprintf("FAILED (%d/%d)", r.Failed, r.Failed), "", "", "", "", "", "")
	}
	makespan := f1(r.Makespan)
	if r.Failed > 0 {
		makespan += fmt.Sprintf(" (%d failed)", r.Failed)
	}
	return append(c, makespan, f2(r.Efficiency), f2(r.SeederRatio), orDash(r.ReceivedRatio), f1(r.CPUPerGB), f1(r.P50), f1(r.P99))
}

// orDash is f2(v), or "-" for a figure not measured (results from
// before it was).
func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return f2(v)
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// headline is the one-line description of the parameters.
func (r *Results) headline() string {
	p := r.Params
	cc := p.CC
	switch {
	case cc == "" && r.Machine.CC != "":
		cc = r.Machine.CC + " (the machine's)"
	case cc == "":
		cc = "the machine's"
	}
	h := fmt.Sprintf("artifact %s (incompressible), links %s both ways, TCP congestion control %s, physical limit S/B = %.1f s, %d rep(s); %d CPU(s), Linux %s",
		FormatSize(p.Size), FormatRate(p.Rate), cc, r.LimitSeconds, p.Reps, r.Machine.CPUs, r.Machine.Kernel)
	if len(p.MurderArgs) > 0 {
		h += "; murder with " + strings.Join(p.MurderArgs, " ")
	}
	return h
}

// Markdown renders the results as a Markdown document: the parameters,
// the table and the notes on how everything was measured.
func (r *Results) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Fleet benchmark, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "%s.\n\n", strings.ToUpper(r.headline()[:1])+r.headline()[1:])
	b.WriteString("| " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|---|" + strings.Repeat("---:|", len(columns)-1) + "\n")
	for _, row := range r.Rows {
		b.WriteString("| " + strings.Join(row.cells(), " | ") + " |\n")
	}
	b.WriteString("\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

// WriteTable prints the table as aligned text.
func (r *Results) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s\n\n", r.headline())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(columns, "\t")+"\t")
	for _, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(row.cells(), "\t")+"\t")
	}
	return tw.Flush()
}

// JSON renders the results as indented JSON.
func (r *Results) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bench: results as JSON: %w", err)
	}
	return append(b, '\n'), nil
}

// Write saves results.json, results.md and makespan.png in dir.
func (r *Results) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: results folder: %w", err)
	}
	js, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), js, 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, MarkdownFile), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return r.Plot(filepath.Join(dir, PlotFile))
}

// notes explain how each figure was measured; they go into both files.
func notes(o Options) []string {
	n := []string{
		"N counts receiving hosts; the seeder and the tracker have a host each (network namespaces with their own sshd and an empty home for root, testfleet). Every link is shaped both ways with tc htb at the rate, small packets (ACKs, requests) ahead of a 20 ms bulk queue, as a host's fq_codel would. One fleet of max(N)+2 hosts is built; a run at a smaller N uses the first N receivers, the others stay idle.",
		"Every host's /tmp is a directory on the machine's disk (bind mount), so N copies of the artifact do not have to fit in memory.",
		"makespan: from the start of the transfer until the last host holds a verified, extracted copy; median over the successful reps. efficiency = (S/B) / makespan, 1 being the physical limit.",
		"p50/p99: per-host completion times (the change time of the host's destination directory, which every method renames into place last), pooled over reps; nearest-rank, so p99 of fewer than 100 hosts is the slowest host.",
		"seeder bytes/S: tx_bytes of the seeder's eth0 over the transfer (frame bytes, so TCP/IP headers and SSH or BitTorrent overhead included) divided by S.",
		"received bytes/S: rx_bytes of each receiving host's eth0 over the transfer divided by S; the median host, pooled over reps. A copy received once reads about 1.00 (scp's: the counters see the kernel's large segments, headers once each); above that is what a host received twice, and the acknowledgements of what it sent.",
		"CPU-s/GB: the whole machine's busy time over the transfer from /proc/stat (user+nice+system+irq+softirq jiffies; softirq carries the veth/bridge/tc work) per 10^9 bytes delivered (N*S). It includes every host of the fleet, the driver and anything else running on the machine.",
	}
	for _, m := range o.Methods {
		n = append(n, methodNote(m, o.SCPNs))
	}
	return append(n, "Figures are noisy: the machine is shared and the fleet, the seeder and every peer run on the same few cores.")
}

func methodNote(method string, scpNs []int) string {
	switch method {
	case Murder:
		return "murder: the real targets through tasks.Run; create_torrent and start_seeding are not timed, murder:peer is (with N within max_hosts every poll waits on the host for the peer's result, so a host is extracted as soon as it is done)."
	case Aria2:
		return "aria2: aria2c peers and seeder with opentracker (whitelist mode) on the tracker host, a torrent made by mktorrent with murder's piece length, re-announce forced to 15 s as murder's tracker asks; peers verify every piece (SHA-1), then an --on-bt-download-complete hook checks the archive's SHA-256 (as murder's peers do) and extracts with tar; peers seed on for 30 s like murder's."
	}
	s := "scp: the seeder copies the .tgz to every peer at once with OpenSSH scp (one process per peer); each peer checks its SHA-256 and extracts with tar"
	if scpNs == nil {
		return s + "."
	}
	strs := make([]string, len(scpNs))
	for i, n := range scpNs {
		strs[i] = strconv.Itoa(n)
	}
	return s + ". It runs only at N = " + strings.Join(strs, ",") + " (scp_n=): a central copy takes about N*S/B."
}
