package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// Options are what Run needs from its caller.
type Options struct {
	Stdout io.Writer
	Stderr io.Writer           // import_capfile's list of untranslated lines; default os.Stderr
	Getenv func(string) string // default os.Getenv
	Dialer Dialer              // default: SSH as murder.yaml says
	Agents AgentBuilder        // default: GoBuilder in the user cache dir
	Config *roles.Config       // default: found by config=, $MURDER_CONFIG or ./murder.yaml
	// LocalTemp is temp_path on this machine (default: murder.yaml's
	// default_temp_path, as in the original).
	LocalTemp string
}

// Run runs task (e.g. "murder:peer" or "murder:start_tracker") with the
// `name=value` words, prints the summary and, with report=FILE, writes it.
func Run(ctx context.Context, task string, words []string, o Options) error {
	args, err := ParseArgs(words, o.Getenv)
	if err != nil {
		return err
	}
	cfg := o.Config
	if cfg == nil {
		if cfg, err = loadConfig(args); err != nil {
			return err
		}
	}
	r := &Runner{Config: cfg, Args: args, Out: o.Stdout, Dialer: o.Dialer, Agents: o.Agents, LocalTemp: o.LocalTemp}
	if r.Out == nil {
		r.Out = os.Stdout
	}
	if r.Dialer == nil {
		r.Dialer = NewSSHDialer(cfg.SSH)
	}
	if r.Agents == nil {
		r.Agents = &GoBuilder{Dir: agentCacheDir()}
	}
	defer r.Close()
	return r.RunTask(ctx, task)
}

func loadConfig(args *Args) (*roles.Config, error) {
	path, err := roles.Find(args.Get("config"))
	if err != nil {
		return nil, err
	}
	return roles.Load(path)
}

func agentCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "murder")
	_ = os.MkdirAll(dir, 0o700)
	return dir
}

// RunTask runs one top-level task with its hooks, then prints the summary.
func (r *Runner) RunTask(ctx context.Context, name string) error {
	start := r.now()
	t, err := r.plan(name)
	if err == nil {
		err = r.Invoke(ctx, t.Name)
	}
	rep := r.Report()
	rep.finish(t.Name, r.Args.Get("tag"), r.hosts(t), r.now().Sub(start), err)
	if t.Name != "" {
		rep.print(r)
	}
	if file := r.Args.Get("report"); file != "" {
		if werr := rep.write(file); werr != nil {
			err = errors.Join(err, fmt.Errorf("report=%s: %w", file, werr))
		}
	}
	return err
}

// plan checks the whole run before anything runs remotely: the task and
// every hooked task exist, hooks do not loop, and each task's arguments
// are valid on each of its hosts.
func (r *Runner) plan(name string) (Task, error) {
	t, ok := Lookup(name)
	if !ok {
		return Task{}, fmt.Errorf("unknown task %q", name)
	}
	seen := map[string]bool{}
	var visit func(t Task, path []string) error
	visit = func(t Task, path []string) error {
		for _, p := range path {
			if p == t.Name {
				return fmt.Errorf("hooks loop: %s -> %s", strings.Join(path, " -> "), t.Name)
			}
		}
		path = append(path, t.Name)
		for _, hooked := range append(r.hooks(r.Config.Hooks.Before, t.Name), r.hooks(r.Config.Hooks.After, t.Name)...) {
			ht, ok := Lookup(hooked)
			if !ok {
				return fmt.Errorf("murder.yaml hooks: unknown task %q (hooked to %s)", hooked, t.Name)
			}
			if err := visit(ht, path); err != nil {
				return err
			}
		}
		if seen[t.Name] {
			return nil
		}
		seen[t.Name] = true
		return r.validate(t)
	}
	return t, visit(t, nil)
}

// validate checks a task's arguments for each of its hosts.
func (r *Runner) validate(t Task) error {
	hosts := r.hosts(t)
	if len(hosts) == 0 {
		return fmt.Errorf("%s: no hosts to run on (check hosts= and roles=)", t.Name)
	}
	for _, h := range hosts {
		if err := r.settings(h).check(t.Need); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	return nil
}

// Invoke runs a task with its before and after hooks. A failed task stops
// the run: its after hooks do not run, as in Capistrano.
func (r *Runner) Invoke(ctx context.Context, name string) error {
	t, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("unknown task %q", name)
	}
	if r.active == nil {
		r.active = map[string]bool{}
	}
	if r.active[t.Name] {
		return fmt.Errorf("hooks loop at %s", t.Name)
	}
	r.active[t.Name] = true
	defer delete(r.active, t.Name)
	for _, b := range r.hooks(r.Config.Hooks.Before, t.Name) {
		if err := r.Invoke(ctx, b); err != nil {
			return err
		}
	}
	r.printf("  * executing `%s'\n", t.Name)
	before := r.Report().failures()
	if err := t.Run(ctx, r); err != nil {
		return err
	}
	if err := r.Report().errSince(before); err != nil {
		return err
	}
	for _, a := range r.hooks(r.Config.Hooks.After, t.Name) {
		if err := r.Invoke(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// hooks returns the tasks hooked to name, matching names the way mage
// does (case and underscores ignored), so murder:start_tracker and
// murder:startTracker are the same task.
func (r *Runner) hooks(m map[string][]string, name string) []string {
	var out []string
	for k, v := range m {
		if canonical(k) == canonical(name) {
			out = append(out, v...)
		}
	}
	return out
}

// canonical also maps "deploy" to "deploy:default", as Capistrano ran
// a namespace's default task when given the namespace alone.
func canonical(name string) string {
	c := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	if c == "deploy" {
		return "deploy:default"
	}
	return c
}

// Lookup finds a task by name, ignoring case and underscores.
func Lookup(name string) (Task, bool) {
	for _, t := range All() {
		if canonical(t.Name) == canonical(name) {
			return t, true
		}
	}
	return Task{}, false
}

// All lists every task.
func All() []Task { return append(append([]Task{}, Murder...), Deploy...) }

// sshDialer dials hosts as murder.yaml's ssh: section says. Keys and
// known_hosts are loaded at the first dial, so that a dry run or a run
// refused by validation needs neither.
type sshDialer struct {
	cfg  remote.Config
	once sync.Once
	d    *remote.Dialer
	err  error
}

// NewSSHDialer returns the real Dialer.
func NewSSHDialer(s roles.SSH) Dialer {
	cfg := remote.Config{
		User: s.User, IdentityFiles: s.IdentityFiles, KnownHosts: s.KnownHosts,
		HostKeyChecking: string(s.HostKeyChecking), Timeout: s.Timeout, Keepalive: s.Keepalive,
	}
	if s.Gateway != nil {
		cfg.Gateway = &remote.Target{Name: "gateway " + s.Gateway.String(), Host: s.Gateway.Name, Port: s.Gateway.Port, User: s.Gateway.User}
	}
	return &sshDialer{cfg: cfg}
}

func (s *sshDialer) Dial(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	s.once.Do(func() { s.d, s.err = remote.NewDialer(s.cfg) })
	if s.err != nil {
		return nil, s.err
	}
	c, err := s.d.Dial(ctx, remote.Target{Name: h.String(), Host: h.Name, Port: h.Port, User: h.User})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return c, nil
}

// Close closes the gateway connection, if one was made.
func (s *sshDialer) Close() error {
	if s.d != nil {
		return s.d.Close()
	}
	return nil
}
