package tasks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Task is a task of the registry: what `go tool mage NAME`, hooks and
// Invoke run by name. Register is the short form for a task that is just a
// function.
type Task struct {
	// Name is the Capistrano name, "namespace:task" (or a bare "task").
	// Case and underscores do not matter when it is looked up, as in mage:
	// app:clear_cache and app:clearCache are one task.
	Name string
	// Doc is one line for listings.
	Doc string
	// Run is the task's body. It runs with the run's context: On, Arg,
	// Fetch and Invoke work inside it.
	Run func(ctx context.Context) error
	// Check, when set, validates the task before anything of the run
	// touches a host: it runs for the task and every task hooked to it,
	// so a bad argument stops a deploy before its first command.
	Check func(ctx context.Context) error
}

// registry holds every task, hook, alias, argument and variable
// registered, by the built-in task sets and by the user's magefile, from
// init functions. Registration never fails on the spot (init functions
// cannot return errors): problems are kept and reported by the first Run.
var registry = struct {
	sync.Mutex
	tasks   map[string]*Task    // canonical name -> task
	order   []string            // canonical names in registration order
	before  map[string][]string // canonical task -> hooked names, in order
	after   map[string][]string
	aliases map[string]string // canonical alias -> name of the task it stands for
	args    map[string]argDecl
	vars    map[string]string
	errs    []error
}{
	tasks: map[string]*Task{}, before: map[string][]string{}, after: map[string][]string{},
	aliases: map[string]string{}, args: map[string]argDecl{}, vars: map[string]string{},
}

// Register makes fn callable by name: from the command line
// (`go tool mage NAME`), from hooks (Go or murder.yaml) and from Invoke.
// Registering a name again replaces the earlier body, as redefining a
// task did in Capistrano 2 (deploy:restart is the usual one).
func Register(name string, fn func(ctx context.Context) error) {
	Define(Task{Name: name, Run: fn})
}

// Define registers a task with a description and an optional check.
func Define(t Task) {
	registry.Lock()
	defer registry.Unlock()
	if err := checkName(t.Name); err != nil {
		registry.errs = append(registry.errs, fmt.Errorf("tasks.Register: %w", err))
		return
	}
	if t.Run == nil {
		registry.errs = append(registry.errs, fmt.Errorf("tasks.Register(%q): no function", t.Name))
		return
	}
	c := canonical(t.Name)
	if _, ok := registry.tasks[c]; !ok {
		registry.order = append(registry.order, c)
	}
	registry.tasks[c] = &t
	routeCommandLine()
}

// Before runs hooks, in order, before every invocation of task: as
// Capistrano's `before "task", "hook"`. The names are checked when a run
// starts: an unknown one stops it before anything runs.
func Before(task string, hooks ...string) { addHooks(registry.before, task, hooks) }

// After runs hooks, in order, after every successful invocation of task:
// as Capistrano's `after "task", "hook"`. A failed task stops the run, so
// its after hooks do not run.
func After(task string, hooks ...string) { addHooks(registry.after, task, hooks) }

func addHooks(m map[string][]string, task string, hooks []string) {
	registry.Lock()
	defer registry.Unlock()
	for _, n := range append([]string{task}, hooks...) {
		if err := checkName(n); err != nil {
			registry.errs = append(registry.errs, fmt.Errorf("tasks.Before/After: %w", err))
			return
		}
	}
	c := canonical(task)
	m[c] = append(m[c], hooks...)
}

// Alias makes alias another name of task, for Lookup, hooks and the
// command line: the deploy flow maps Capistrano 2's names onto
// Capistrano 3's flow points this way (deploy:update_code is
// deploy:updating). A task registered under the alias's own name wins.
func Alias(alias, task string) {
	registry.Lock()
	defer registry.Unlock()
	if err := errors.Join(checkName(alias), checkName(task)); err != nil {
		registry.errs = append(registry.errs, fmt.Errorf("tasks.Alias: %w", err))
		return
	}
	registry.aliases[canonical(alias)] = task
	routeCommandLine()
}

// Lookup finds a task by name or alias, ignoring case and underscores.
func Lookup(name string) (Task, bool) {
	registry.Lock()
	defer registry.Unlock()
	t := lookupLocked(name)
	if t == nil {
		return Task{}, false
	}
	return *t, true
}

func lookupLocked(name string) *Task {
	c := canonical(name)
	for range 8 { // aliases of aliases, without looping forever
		if t := registry.tasks[c]; t != nil {
			return t
		}
		target, ok := registry.aliases[c]
		if !ok {
			return nil
		}
		c = canonical(target)
	}
	return nil
}

// All lists every registered task, in registration order.
func All() []Task {
	registry.Lock()
	defer registry.Unlock()
	out := make([]Task, 0, len(registry.order))
	for _, c := range registry.order {
		out = append(out, *registry.tasks[c])
	}
	return out
}

// hooksOf returns the names hooked before or after t by Go code (under
// t's name or any alias of it) and then by murder.yaml.
func hooksOf(goHooks map[string][]string, yamlHooks map[string][]string, t *Task) []string {
	registry.Lock()
	defer registry.Unlock()
	var out []string
	match := func(name string) bool { return lookupLocked(name) == t }
	for _, c := range slices.Sorted(maps.Keys(goHooks)) {
		if match(c) {
			out = append(out, goHooks[c]...)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(yamlHooks)) {
		if match(k) {
			out = append(out, yamlHooks[k]...)
		}
	}
	return out
}

// registrationErr is every problem registration found.
func registrationErr() error {
	registry.Lock()
	defer registry.Unlock()
	return errors.Join(registry.errs...)
}

// canonical is how names compare: as mage compares target names, case
// and underscores ignored.
func canonical(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
}

// checkName keeps task names to what a command line and murder.yaml can
// carry: letters, digits, '_', '-', and ':' between namespaces.
func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, ":") || strings.HasSuffix(name, ":") || strings.Contains(name, "::") {
		return fmt.Errorf("task name %q: want namespace:task", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == ':') {
			return fmt.Errorf("task name %q: %q is not allowed (letters, digits, '_', '-', ':')", name, r)
		}
	}
	return nil
}
