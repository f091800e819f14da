package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/murderfleet/murder/roles"
)

// Report is the outcome of a run: which hosts failed and why, how long
// each took. It is printed as the summary and, with report=FILE, written
// as JSON for pipelines.
type Report struct {
	Task    string       `json:"task"`
	Tag     string       `json:"tag,omitempty"`
	OK      bool         `json:"ok"`
	Seconds float64      `json:"seconds"`
	Hosts   []HostResult `json:"hosts"`
	Failed  []HostResult `json:"failed"`

	mu    sync.Mutex
	state map[*roles.Host]*HostResult
	start time.Time
}

// HostResult is one host's outcome.
type HostResult struct {
	Host    string  `json:"host"`
	OK      bool    `json:"ok"`
	Step    string  `json:"step,omitempty"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds,omitempty"` // time spent working on the host
	// Marks are the moments a task noted on the host (Host.Mark), in
	// seconds since the run started: "why was host X slow" has an answer.
	Marks map[string]float64 `json:"marks,omitempty"`
	// Counts are the host's counters (Host.Count): "where did host X get
	// its bytes from" has an answer too.
	Counts map[string]int64 `json:"counts,omitempty"`
}

func (rep *Report) get(h *roles.Host) *HostResult {
	res := rep.state[h]
	if res == nil {
		res = &HostResult{Host: h.String()}
		rep.state[h] = res
	}
	return res
}

func (rep *Report) fail(h *roles.Host, step string, err error) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	res := rep.get(h)
	if res.Error == "" {
		res.Step, res.Error = step, err.Error()
		rep.Failed = append(rep.Failed, *res)
	}
}

// mark notes the moment at of name on h; the first one of a name stays.
func (rep *Report) mark(h *roles.Host, name string, at time.Time) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	res := rep.get(h)
	if res.Marks == nil {
		res.Marks = map[string]float64{}
	}
	if _, ok := res.Marks[name]; !ok {
		res.Marks[name] = at.Sub(rep.start).Round(time.Millisecond).Seconds()
	}
}

// count adds n to h's counter name.
func (rep *Report) count(h *roles.Host, name string, n int64) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	res := rep.get(h)
	if res.Counts == nil {
		res.Counts = map[string]int64{}
	}
	res.Counts[name] += n
}

// touch records that a function of On ran on h for d.
func (rep *Report) touch(h *roles.Host, d time.Duration) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.get(h).Seconds += d.Seconds()
}

// failures counts the failures so far.
func (rep *Report) failures() int {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	return len(rep.Failed)
}

// errSince joins the failures recorded after the first n.
func (rep *Report) errSince(n int) error {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	var errs []error
	for _, f := range rep.Failed[min(n, len(rep.Failed)):] {
		errs = append(errs, fmt.Errorf("host %s: %s: %s", f.Host, f.Step, f.Error))
	}
	return errors.Join(errs...)
}

// finish fills in the totals once the run is over: every host the run
// worked on, in murder.yaml's order.
func (rep *Report) finish(task, tag string, all []*roles.Host, took time.Duration, err error) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.Task, rep.Tag, rep.Seconds, rep.OK = task, tag, took.Seconds(), err == nil
	rep.Hosts = rep.Hosts[:0]
	for _, h := range all {
		if rep.state[h] == nil {
			continue
		}
		res := *rep.get(h)
		if res.Error == "" && err == nil {
			res.OK = true
		}
		rep.Hosts = append(rep.Hosts, res)
	}
	if rep.Failed == nil {
		rep.Failed = []HostResult{}
	}
}

// print writes the summary: failed hosts with their reason, the slowest
// hosts, the total time.
func (rep *Report) print(r *run) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.Failed) > 0 {
		r.printf(" ** %d of %d host(s) FAILED:\n", len(rep.Failed), len(rep.Hosts))
		for _, f := range rep.Failed {
			r.printf(" **   %s: %s: %s\n", f.Host, f.Step, f.Error)
		}
	}
	timed := make([]HostResult, 0, len(rep.Hosts))
	for _, h := range rep.Hosts {
		if h.Seconds > 0 {
			timed = append(timed, h)
		}
	}
	sort.Slice(timed, func(i, j int) bool { return timed[i].Seconds > timed[j].Seconds })
	if len(timed) > 0 && timed[0].Seconds >= 1 {
		r.printf(" ** slowest hosts:")
		for _, h := range timed[:min(5, len(timed))] {
			r.printf(" %s %.1fs", h.Host, h.Seconds)
		}
		r.printf("\n")
	}
	status := "ok"
	if !rep.OK {
		status = "FAILED"
	}
	r.printf(" ** %s %s on %d host(s) in %.1fs\n", rep.Task, status, len(rep.Hosts), rep.Seconds)
}

// write saves the report as JSON.
func (rep *Report) write(path string) error {
	rep.mu.Lock()
	b, err := json.MarshalIndent(rep, "", "  ")
	rep.mu.Unlock()
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
