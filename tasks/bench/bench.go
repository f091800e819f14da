// Package bench measures how fast murder puts an artifact onto a fleet,
// against a central copy (parallel scp from one host) and an
// off-the-shelf BitTorrent swarm (aria2c with opentracker), and against
// the physical limit: no host can receive S bytes over a link of rate B
// faster than S/B.
//
// The fleet is real (tasks/testfleet: network namespaces with their own
// OpenSSH sshd, links shaped with tc in both directions), so Run needs
// root. For each method and fleet size it measures the makespan (start of
// the transfer until the last host holds a verified, extracted copy),
// per-host completion times, the seeder's upload and the machine's CPU
// time, and writes them as JSON, Markdown and a PNG plot.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// Run builds the fleet, measures every method at every fleet size, removes
// the fleet (also on error or when ctx is canceled) and writes the results
// into a new folder o.Out/<timestamp> (Results.Dir). It returns the results
// measured so far also with an error, which names every failed trial.
func Run(ctx context.Context, o Options) (*Results, error) {
	o = o.withDefaults()
	o.CC = resolveCC(o.CC, o.Stdout)
	if err := Check(o); err != nil {
		return nil, err
	}
	started := time.Now()
	dir := filepath.Join(o.Out, started.Format("20060102-150405"))
	err := os.MkdirAll(dir, 0o755)
	if err != nil {
		return nil, fmt.Errorf("bench: results folder: %w", err)
	}
	// The methods put their logs beside the results, some through
	// programs started in a host's namespaces with another working
	// directory: they get the folder as an absolute path.
	if o.Out, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("bench: results folder: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, LogFile))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logf.Close()
	res := &Results{
		Started:      started,
		Params:       Params{Ns: o.Ns, Size: o.Size, Rate: o.Rate, CC: o.CC, Reps: o.Reps, Methods: o.Methods, SCPNs: o.SCPNs, MurderArgs: o.murderArgs()},
		LimitSeconds: Limit(o.Size, o.Rate),
		Machine:      machine(),
		Notes:        notes(o),
		Dir:          dir,
	}
	err = measure(ctx, o, newStampWriter(logf, started, time.Now), res)
	res.Rows = Summarize(res.Runs, o.Size, o.Rate)
	if werr := res.Write(dir); werr != nil {
		err = errors.Join(err, werr)
	}
	return res, err
}

// withDefaults fills what the caller left zero.
func (o Options) withDefaults() Options {
	d := Defaults()
	if len(o.Ns) == 0 {
		o.Ns, o.SCPNs = d.Ns, d.SCPNs
	}
	if o.Size == 0 {
		o.Size = d.Size
	}
	if o.Rate == 0 {
		o.Rate = d.Rate
	}
	if o.Reps == 0 {
		o.Reps = d.Reps
	}
	if len(o.Methods) == 0 {
		o.Methods = d.Methods
	}
	if o.Out == "" {
		o.Out = "results"
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	return o
}

// resolveCC turns AutoCC into DefaultCC or, where network namespaces may
// not use it, the machine's (""), and says so on w.
func resolveCC(cc string, w io.Writer) string {
	if cc != AutoCC {
		return cc
	}
	if err := testfleet.CheckCongestion(DefaultCC); err != nil {
		fmt.Fprintf(w, "bench: the hosts keep the machine's congestion control %s: %v\n", testfleet.MachineCongestion(), err)
		return ""
	}
	return DefaultCC
}

// tools are the programs each method runs, with their Debian packages.
var tools = map[string][][2]string{
	SCP:   {{"scp", "openssh-client"}, {"tar", "tar"}, {"sha256sum", "coreutils"}},
	Aria2: {{"aria2c", "aria2"}, {"opentracker", "opentracker"}, {"mktorrent", "mktorrent"}, {"tar", "tar"}, {"sha256sum", "coreutils"}},
}

// Check reports why Run cannot work here: not root, a program missing,
// too little disk for the copies.
func Check(o Options) error {
	if os.Geteuid() != 0 {
		return errors.New("bench: needs root: the fleet is built from network namespaces, each with its own sshd and tc-shaped link (run as root, e.g. sudo go tool mage bench)")
	}
	cc := o.CC
	if cc == AutoCC {
		cc = "" // Run falls back to the machine's
	}
	if err := testfleet.Check(testfleet.Options{Rate: tcRate(o.Rate), Congestion: cc}); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	for _, m := range o.Methods {
		for _, t := range tools[m] {
			if _, err := exec.LookPath(t[0]); err != nil {
				return fmt.Errorf("bench: method %s needs %s (Debian package %s): %w", m, t[0], t[1], err)
			}
		}
	}
	return checkDisk(o)
}

// workDir holds the fleet; its hosts' /tmp are directories in it.
const workDir = "/var/tmp"

// checkDisk refuses to start when the copies cannot fit: every receiver
// holds the archive and its extraction, the seeder the artifact and
// archives.
func checkDisk(o Options) error {
	if len(o.Ns) == 0 {
		return nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(workDir, &st); err != nil {
		return fmt.Errorf("bench: %s: %w", workDir, err)
	}
	free := int64(st.Bavail) * st.Bsize
	need := (2*int64(slices.Max(o.Ns)) + 4) * o.Size
	if free < need {
		return fmt.Errorf("bench: %s has %s free, the largest fleet needs about %s", workDir, FormatSize(free), FormatSize(need))
	}
	return nil
}

// measure builds the fleet and runs every trial on it; the fleet goes away
// before it returns.
func measure(ctx context.Context, o Options, log io.Writer, res *Results) (err error) {
	fmt.Fprintf(o.Stdout, "bench: building a fleet of %d hosts with %s links (log: %s)\n",
		slices.Max(o.Ns)+2, FormatRate(o.Rate), filepath.Join(o.Out, LogFile))
	b, err := setup(ctx, o, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, b.close()) }()
	var errs []error
	for _, n := range o.Ns {
		for rep := 1; rep <= o.Reps; rep++ {
			for _, m := range o.Methods {
				if m == SCP && !o.runsSCP(n) {
					continue
				}
				if ctx.Err() != nil {
					return errors.Join(append(errs, fmt.Errorf("bench: interrupted: %w", ctx.Err()))...)
				}
				t := b.trial(ctx, m, n, rep)
				res.Runs = append(res.Runs, t)
				b.report(t)
				if t.Error != "" {
					errs = append(errs, fmt.Errorf("bench: %s n=%d rep %d: %s", m, n, rep, t.Error))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// report prints one trial's outcome.
func (b *bench) report(t Trial) {
	if t.Error != "" {
		fmt.Fprintf(b.o.Stdout, "bench: %-6s n=%-3d rep %d: FAILED: %s\n", t.Method, t.N, t.Rep, t.Error)
		return
	}
	fmt.Fprintf(b.o.Stdout, "bench: %-6s n=%-3d rep %d: makespan %6.1f s (efficiency %.2f), seeder sent %.2f S, median host received %.2f S, %.1f CPU-s\n",
		t.Method, t.N, t.Rep, t.Makespan, Efficiency(Limit(b.o.Size, b.o.Rate), t.Makespan),
		float64(t.SeederTxBytes)/float64(b.o.Size), t.receivedRatio(b.o.Size), t.CPUSeconds)
}
