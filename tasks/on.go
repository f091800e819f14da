package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// On runs fn on every host of sel: all at once unless sel says otherwise
// (Limit, InGroups, InSequence), and never more remote commands in flight
// than murder.yaml's ssh.max_hosts. Every host runs to its end even when
// another fails; the error names each failed host ("host w03: app:restart:
// ..."), all of them, and the run's summary lists them.
func On(ctx context.Context, sel Selection, fn func(ctx context.Context, h *Host) error) error {
	return Each(ctx, sel, fn).Err()
}

// Result is one host's outcome in Each.
type Result struct {
	Host *Host
	Err  error // nil: succeeded; ErrNotStarted: an earlier group failed
}

// ErrNotStarted marks the hosts of groups that never started because an
// earlier group failed.
var ErrNotStarted = errors.New("not started: an earlier group failed")

// Results are the outcomes of Each, in the selection's host order.
type Results []Result

// Each is On, returning every host's outcome, for a task whose next step
// runs on the hosts this one succeeded on.
func Each(ctx context.Context, sel Selection, fn func(ctx context.Context, h *Host) error) Results {
	sc := scopeOf(ctx)
	if sc == nil {
		return Results{{Err: errOutside("tasks.On")}}
	}
	hosts, err := sel.Hosts(ctx)
	if err != nil {
		return Results{{Err: err}}
	}
	if len(hosts) == 0 {
		if !sel.aside {
			Log(ctx, "%s: no hosts selected, nothing to do", sc.current())
		}
		return nil
	}
	step := sel.step
	if step == "" {
		step = sc.current()
	}
	results := make(Results, len(hosts))
	size := len(hosts)
	if sel.group > 0 {
		size = sel.group
	}
	for start := 0; start < len(hosts); start += size {
		group := hosts[start:min(start+size, len(hosts))]
		if start > 0 && (results[:start].failed() || !sleep(ctx, sel.wait)) {
			for i := start; i < len(hosts); i++ {
				results[i] = Result{hosts[i], ErrNotStarted}
			}
			break
		}
		sc.run.group(ctx, group, results[start:], sel, step, fn)
	}
	return results
}

// group runs fn on each host of one group, each goroutine writing its own
// result.
func (r *run) group(ctx context.Context, hosts []*Host, results Results, sel Selection, step string, fn func(context.Context, *Host) error) {
	var g errgroup.Group
	if sel.limit > 0 {
		g.SetLimit(sel.limit)
	}
	for i, h := range hosts {
		g.Go(func() error {
			began := r.now()
			err := fn(ctx, h)
			if err != nil {
				err = &HostError{Host: h.String(), Step: step, Err: err}
				r.report.fail(h.server, step, err.(*HostError).Err)
			}
			if err != nil || !sel.aside {
				r.report.touch(h.server, r.now().Sub(began))
			}
			results[i] = Result{h, err}
			return nil // one host's failure must not cancel the others
		})
	}
	_ = g.Wait()
}

// sleep waits d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (rs Results) failed() bool {
	for _, r := range rs {
		if r.Err != nil {
			return true
		}
	}
	return false
}

// Err is nil when every host succeeded; else every failure, each naming
// its host, and a last line naming the hosts that never started.
func (rs Results) Err() error {
	var errs []error
	var skipped []string
	for _, r := range rs {
		switch {
		case errors.Is(r.Err, ErrNotStarted):
			skipped = append(skipped, r.Host.String())
		case r.Err != nil:
			errs = append(errs, r.Err)
		}
	}
	if len(skipped) > 0 {
		errs = append(errs, fmt.Errorf("%d host(s) not started because an earlier group failed: %s", len(skipped), strings.Join(skipped, ", ")))
	}
	return errors.Join(errs...)
}

// OK lists the hosts that succeeded.
func (rs Results) OK() []*Host {
	var out []*Host
	for _, r := range rs {
		if r.Err == nil && r.Host != nil {
			out = append(out, r.Host)
		}
	}
	return out
}

// HostError is one host's failure in one step.
type HostError struct {
	Host, Step string
	Err        error
}

func (e *HostError) Error() string { return fmt.Sprintf("host %s: %s: %v", e.Host, e.Step, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }
