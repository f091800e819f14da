package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
	"github.com/murderfleet/murder/tasks/treecmp"
)

// method is one way of putting the artifact onto the receivers.
type method interface {
	// prepare readies a transfer without timing it: torrents, seeders.
	prepare(ctx context.Context, t *transfer) error
	// run is timed: it returns once every receiver holds its copy
	// verified and extracted at /tmp/dest/TAG.
	run(ctx context.Context, t *transfer) error
	// finish stops whatever prepare and run started.
	finish(t *transfer) error
	// close stops what the method keeps across transfers.
	close() error
}

// transfer is one trial's setting.
type transfer struct {
	n         int
	tag       string
	receivers []*testfleet.Host
}

// Paths inside every host.
const (
	archive = "/tmp/bench.tgz" // the seeder's archive, for scp and aria2
	destDir = "/tmp/dest"      // each copy goes to destDir/TAG
)

// bench is a fleet ready for trials.
type bench struct {
	o        Options
	log      io.Writer
	fleet    *testfleet.Fleet
	artifact string // the files to distribute
	sum      string // SHA-256 of archive
	methods  map[string]method
	stop     func() bool // stops the teardown on cancel
}

// setup builds the fleet, puts each host's /tmp on disk, makes the
// artifact and readies every method.
func setup(ctx context.Context, o Options, log io.Writer) (_ *bench, err error) {
	f, err := testfleet.Create(ctx, testfleet.Options{
		Hosts: slices.Max(o.Ns) + 2, Prefix: "mb", TmpSize: "16m", Rate: tcRate(o.Rate), Congestion: o.CC, WorkDir: workDir, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	b := &bench{o: o, log: log, fleet: f, artifact: filepath.Join(f.Dir(), "artifact"), methods: map[string]method{}}
	// An interrupt tears the fleet down at once: everything running on
	// it dies and the trial in progress fails fast.
	b.stop = context.AfterFunc(ctx, func() { _ = f.Close() })
	defer func() {
		if err != nil {
			err = errors.Join(err, b.close())
		}
	}()
	if err := b.diskTmp(ctx); err != nil {
		return nil, err
	}
	if err := b.makeArtifact(); err != nil {
		return nil, err
	}
	for _, name := range o.Methods {
		m, err := newMethod(ctx, b, name)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", name, err)
		}
		b.methods[name] = m
	}
	return b, nil
}

func newMethod(ctx context.Context, b *bench, name string) (method, error) {
	switch name {
	case Murder:
		return newMurder(ctx, b)
	case SCP:
		return &scpMethod{b: b}, nil
	case Aria2:
		return newAria2(ctx, b)
	}
	return nil, fmt.Errorf("unknown method")
}

// diskTmp bind-mounts a directory of the machine's disk over each host's
// /tmp, inside the host's own mount namespace: N copies need not fit in
// memory, and the driver reaches every host's files directly.
func (b *bench) diskTmp(ctx context.Context) error {
	for _, h := range b.fleet.Hosts {
		dir := b.path(h, "")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if _, err := h.Exec(ctx, "mount", "--bind", dir, "/tmp"); err != nil {
			return fmt.Errorf("bench: /tmp on disk: %w", err)
		}
	}
	return nil
}

// path returns where the driver finds path p (under /tmp) of host h.
func (b *bench) path(h *testfleet.Host, p string) string {
	rel, err := filepath.Rel("/tmp", p)
	if err != nil || p == "" {
		rel = ""
	}
	return filepath.Join(b.fleet.Dir(), "data", h.Name, rel)
}

// The tracker has a host of its own: on the seeder's saturated link its
// answers would queue behind (or be dropped with) the seed data.
func (b *bench) tracker() *testfleet.Host { return b.fleet.Hosts[0] }
func (b *bench) seeder() *testfleet.Host  { return b.fleet.Hosts[1] }

// receivers returns the first n receiving hosts.
func (b *bench) receivers(n int) []*testfleet.Host { return b.fleet.Hosts[2 : n+2] }

// makeArtifact writes the artifact and, for the methods that need one, the
// seeder's archive of it.
func (b *bench) makeArtifact() error {
	start := time.Now()
	if err := makeArtifact(b.artifact, b.o.Size); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if slices.Contains(b.o.Methods, SCP) || slices.Contains(b.o.Methods, Aria2) {
		sum, err := packTgz(b.artifact, b.path(b.seeder(), archive))
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		b.sum = sum
	}
	fmt.Fprintf(b.log, "bench: artifact of %s made in %s\n", FormatSize(b.o.Size), time.Since(start).Round(time.Millisecond))
	return nil
}

// close stops every method and removes the fleet with all its files.
// After an interrupt the fleet is gone already, and so is what the
// methods ran on it.
func (b *bench) close() error {
	var errs []error
	if b.stop() {
		for _, m := range b.methods {
			if err := m.close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := b.fleet.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bench: remove fleet: %w", err))
	}
	return errors.Join(errs...)
}

// trial measures one transfer of method name to n receivers.
func (b *bench) trial(ctx context.Context, name string, n, rep int) Trial {
	t := &transfer{n: n, tag: fmt.Sprintf("Bench-%s-%d-%d", name, n, rep), receivers: b.receivers(n)}
	res := Trial{Method: name, N: n, Rep: rep}
	fmt.Fprintf(b.log, "\nbench: === %s n=%d rep %d (tag %s) ===\n", name, n, rep, t.tag)
	if err := b.measureTrial(ctx, b.methods[name], t, &res); err != nil {
		res.Error = err.Error()
		fmt.Fprintf(b.log, "bench: %s failed: %v\n", t.tag, err)
	}
	return res
}

func (b *bench) measureTrial(ctx context.Context, m method, t *transfer, res *Trial) (err error) {
	defer func() {
		if ctx.Err() == nil { // after an interrupt the fleet is gone already
			err = errors.Join(err, m.finish(t), b.clean(t))
		}
	}()
	if err := m.prepare(ctx, t); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	tctx, cancel := context.WithTimeout(ctx, b.timeout(t.n))
	defer cancel()
	pids := make([]int, len(t.receivers))
	for i, h := range t.receivers {
		pids[i] = h.HolderPid()
	}
	start, err := snapshot(b.seeder().HolderPid(), pids)
	if err != nil {
		return err
	}
	err = m.run(tctx, t)
	end, serr := snapshot(b.seeder().HolderPid(), pids)
	if err = errors.Join(err, serr); err != nil {
		return err
	}
	res.Makespan = end.at.Sub(start.at).Seconds()
	res.SeederTxBytes = end.tx - start.tx
	res.ReceivedBytes = make([]int64, len(pids))
	for i := range pids {
		res.ReceivedBytes[i] = end.rx[i] - start.rx[i]
	}
	res.CPUSeconds = float64(end.busy-start.busy) / userHZ
	if res.HostSeconds, err = b.completions(t, start.at); err != nil {
		return err
	}
	return b.verify(t)
}

// timeout bounds one transfer: a central copy takes N*S/B, three times
// that is plenty for every method.
func (b *bench) timeout(n int) time.Duration {
	if b.o.Timeout > 0 {
		return b.o.Timeout
	}
	return time.Duration(3*float64(n)*Limit(b.o.Size, b.o.Rate)*float64(time.Second)) + 2*time.Minute
}

// completions returns each receiver's completion time since start: the
// change time of its destination, which every method renames into place
// once the copy is verified and extracted.
func (b *bench) completions(t *transfer, start time.Time) ([]float64, error) {
	secs := make([]float64, len(t.receivers))
	for i, h := range t.receivers {
		at, err := changed(b.path(h, destDir+"/"+t.tag))
		if err != nil {
			return nil, fmt.Errorf("host %s: no copy: %w", h.Name, err)
		}
		secs[i] = at.Sub(start).Seconds()
	}
	return secs, nil
}

// verify compares every receiver's copy with the artifact, byte for byte
// (not timed: each method verified what it received itself).
func (b *bench) verify(t *transfer) error {
	var errs []error
	for _, h := range t.receivers {
		if err := treecmp.Equal(b.artifact, b.path(h, destDir+"/"+t.tag), nil); err != nil {
			errs = append(errs, fmt.Errorf("host %s: copy differs from the artifact: %w", h.Name, err))
		}
	}
	return errors.Join(errs...)
}

// clean removes everything a transfer left in the receivers' /tmp except
// murder's agent, so the next trial starts from empty hosts and the disk
// holds one trial's copies at a time.
func (b *bench) clean(t *transfer) error {
	var errs []error
	for _, h := range t.receivers {
		entries, err := os.ReadDir(b.path(h, ""))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if e.Name() != "murder" {
				errs = append(errs, os.RemoveAll(filepath.Join(b.path(h, ""), e.Name())))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	return nil
}
