package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/murderfleet/murder/roles"
)

// Options are what Run needs from its caller; every field has a default.
type Options struct {
	Stdout io.Writer           // the operator's output; default os.Stdout
	Getenv func(string) string // default os.Getenv
	Dialer Dialer              // default: SSH as murder.yaml's ssh: section says
	Config *roles.Config       // default: config=, else $MURDER_CONFIG, else ./murder.yaml
	Now    func() time.Time    // the clock; default time.Now
}

// run is one run's state: the fleet, its connections, the output and the
// report. Tasks reach it through their context.
type run struct {
	cfg    *roles.Config
	dialer Dialer
	out    io.Writer
	now    func() time.Time
	dry    bool
	slots  chan struct{} // ssh.max_hosts: remote operations in flight
	report *Report

	outMu  sync.Mutex
	connMu sync.Mutex
	conns  map[*roles.Host]*lazyConn
}

// scope is what a context carries: the run, the arguments and variables
// in force there, and the chain of tasks being invoked.
type scope struct {
	run   *run
	args  *Args
	vars  map[string]string // WithVar overrides
	stack []string          // canonical names of the tasks being invoked
}

type scopeKey struct{}

func scopeOf(ctx context.Context) *scope {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	return sc
}

// errOutside is the error of a runner call made outside a run.
func errOutside(call string) error {
	return fmt.Errorf("%s called outside a murder run: register the task (tasks.Register) and run it with `go tool mage NAME`, or start a run with tasks.Run", call)
}

// Run runs task with its hooks on the fleet of murder.yaml, with the
// `name=value` words as arguments; then it prints the summary and, with
// report=FILE, writes it as JSON. Everything is checked first (arguments,
// murder.yaml, every hooked task exists, no hook loops, each task's
// Check), so that bad input touches no host.
func Run(ctx context.Context, task string, words []string, o Options) error {
	if err := registrationErr(); err != nil {
		return err
	}
	args, err := ParseArgs(words, o.Getenv)
	if err != nil {
		return err
	}
	r := &run{cfg: o.Config, dialer: o.Dialer, out: o.Stdout, now: o.Now, dry: truthy(args.Get("dry_run"))}
	if r.cfg == nil {
		if r.cfg, err = loadConfig(args); err != nil {
			return err
		}
	}
	if r.out == nil {
		r.out = os.Stdout
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.dialer == nil {
		r.dialer = NewSSHDialer(r.cfg.SSH)
	}
	r.slots = make(chan struct{}, max(1, r.cfg.SSH.MaxHosts))
	r.report = &Report{state: map[*roles.Host]*HostResult{}, start: r.now()}
	defer r.close()
	ctx = context.WithValue(ctx, scopeKey{}, &scope{run: r, args: args})
	return r.top(ctx, task)
}

// top runs one top-level task: plan, invoke, summary, report file.
func (r *run) top(ctx context.Context, task string) error {
	start := r.now()
	name, err := plan(ctx, task)
	if err == nil {
		err = Invoke(ctx, name)
	}
	rep := r.report
	rep.finish(name, Arg(ctx, "tag"), r.cfg.Hosts(), r.now().Sub(start), err)
	if name != "" {
		rep.print(r)
	}
	if file := Arg(ctx, "report"); file != "" {
		if werr := rep.write(file); werr != nil {
			err = errors.Join(err, fmt.Errorf("report=%s: %w", file, werr))
		}
	}
	return err
}

func loadConfig(args *Args) (*roles.Config, error) {
	path, err := roles.Find(args.Get("config"))
	if err != nil {
		return nil, err
	}
	return roles.Options{Vars: DeclaredVars()}.Load(path)
}

// plan checks the whole run before anything runs remotely: the task and
// every hooked task exist, hooks do not loop, and each task's Check passes.
func plan(ctx context.Context, name string) (string, error) {
	t, ok := Lookup(name)
	if !ok {
		return "", unknownTask(name)
	}
	r := scopeOf(ctx).run
	checked := map[string]bool{}
	var visit func(t Task, path []string) error
	visit = func(t Task, path []string) error {
		c := canonical(t.Name)
		if slices.ContainsFunc(path, func(n string) bool { return canonical(n) == c }) {
			return fmt.Errorf("hooks loop: %s -> %s", strings.Join(path, " -> "), t.Name)
		}
		path = append(path, t.Name)
		hooked := append(hooksOf(registry.before, r.cfg.Hooks.Before, lookupPtr(t.Name)), hooksOf(registry.after, r.cfg.Hooks.After, lookupPtr(t.Name))...)
		for _, h := range hooked {
			ht, ok := Lookup(h)
			if !ok {
				return fmt.Errorf("hooks: unknown task %q (hooked to %s)%s", h, t.Name, suggestTask(h))
			}
			if err := visit(ht, path); err != nil {
				return err
			}
		}
		if checked[c] || t.Check == nil {
			return nil
		}
		checked[c] = true
		if err := t.Check(ctx); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		return nil
	}
	return t.Name, visit(t, nil)
}

func lookupPtr(name string) *Task {
	registry.Lock()
	defer registry.Unlock()
	return lookupLocked(name)
}

func unknownTask(name string) error {
	return fmt.Errorf("unknown task %q%s", name, suggestTask(name))
}

func suggestTask(name string) string {
	var names []string
	for _, t := range All() {
		names = append(names, t.Name)
	}
	return suggest(name, names)
}

// Invoke runs the task name with its before and after hooks, as
// Capistrano's invoke: hooks run on every invocation. A failed task
// stops there: its after hooks do not run. A task that returned no error
// while a host failed in it (an On error it dropped) still fails.
func Invoke(ctx context.Context, name string) error {
	sc := scopeOf(ctx)
	if sc == nil {
		return errOutside(fmt.Sprintf("tasks.Invoke(%q)", name))
	}
	t := lookupPtr(name)
	if t == nil {
		return unknownTask(name)
	}
	c := canonical(t.Name)
	if slices.Contains(sc.stack, c) {
		return fmt.Errorf("hooks loop at %s", t.Name)
	}
	inner := *sc
	inner.stack = append(slices.Clone(sc.stack), c)
	ictx := context.WithValue(ctx, scopeKey{}, &inner)
	r := sc.run
	// A task invoked by another runs with the arguments that one set
	// (WithArg): check them too, before its hooks run.
	if t.Check != nil && len(sc.stack) > 0 {
		if err := t.Check(ictx); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	for _, b := range hooksOf(registry.before, r.cfg.Hooks.Before, t) {
		if err := Invoke(ictx, b); err != nil {
			return err
		}
	}
	r.printf("  * executing `%s'\n", t.Name)
	before := r.report.failures()
	if err := t.Run(ictx); err != nil {
		return err
	}
	if err := r.report.errSince(before); err != nil {
		return err
	}
	for _, a := range hooksOf(registry.after, r.cfg.Hooks.After, t) {
		if err := Invoke(ictx, a); err != nil {
			return err
		}
	}
	return nil
}

// current is the name of the task ctx runs in, "" outside any.
func (sc *scope) current() string {
	if len(sc.stack) == 0 {
		return ""
	}
	if t := lookupPtr(sc.stack[len(sc.stack)-1]); t != nil {
		return t.Name
	}
	return sc.stack[len(sc.stack)-1]
}

// Config is the run's murder.yaml, nil outside a run.
func Config(ctx context.Context) *roles.Config {
	if sc := scopeOf(ctx); sc != nil {
		return sc.run.cfg
	}
	return nil
}

// DryRun reports whether the run only prints its commands (dry_run=1).
func DryRun(ctx context.Context) bool {
	sc := scopeOf(ctx)
	return sc != nil && sc.run.dry
}

// Now is the run's clock (Options.Now), for tasks that name things by time.
func Now(ctx context.Context) time.Time {
	if sc := scopeOf(ctx); sc != nil {
		return sc.run.now()
	}
	return time.Now()
}

// Log prints one line to the operator, as ` ** text`, never interleaved
// with other hosts' lines.
func Log(ctx context.Context, format string, args ...any) {
	if sc := scopeOf(ctx); sc != nil {
		sc.run.printf(" ** "+format+"\n", args...)
	}
}

// Stdout is the operator's output for a task's own display (a progress
// line); each Write reaches it whole, never interleaved with host lines.
func Stdout(ctx context.Context) io.Writer {
	if sc := scopeOf(ctx); sc != nil {
		return lockedWriter{sc.run}
	}
	return io.Discard
}

type lockedWriter struct{ r *run }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.r.outMu.Lock()
	defer w.r.outMu.Unlock()
	return w.r.out.Write(p)
}

// printf writes whole lines to the operator, never interleaved.
func (r *run) printf(format string, a ...any) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Fprintf(r.out, format, a...)
}

// Terminal reports whether the operator's output is a terminal, where a
// task may redraw a live line instead of printing one now and then.
func Terminal(ctx context.Context) bool {
	sc := scopeOf(ctx)
	if sc == nil {
		return false
	}
	f, ok := sc.run.out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
