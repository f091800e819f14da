package tasks

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// argDecl is one declared `name=value` argument.
type argDecl struct{ def, doc string }

// The runner's own arguments; task sets declare theirs with DeclareArg.
func init() {
	DeclareArg("config", "", "murder.yaml to use (default: $MURDER_CONFIG, else ./murder.yaml)")
	DeclareArg("dry_run", "", "print every command instead of running it; connect to nothing")
	DeclareArg("report", "", "write the run's summary as JSON to this file")
	DeclareArg("hosts", "", "only these hosts, comma-separated (Capistrano's HOSTS=)")
	DeclareArg("roles", "", "only hosts of these roles, comma-separated (Capistrano's ROLES=)")
}

// DeclareArg accepts `name=value` on the command line (or the environment
// variable name) for the user's tasks, with a default and a one-line
// description. An undeclared name on the command line is refused with a
// suggestion, so that a typo such as servcie=shop is never ignored.
func DeclareArg(name, def, doc string) {
	registry.Lock()
	defer registry.Unlock()
	if !argName(name) {
		registry.errs = append(registry.errs, fmt.Errorf("tasks.DeclareArg(%q): want lower-case letters, digits and '_'", name))
		return
	}
	registry.args[name] = argDecl{def: def, doc: doc}
}

func argName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') })
}

// Args are a run's arguments: the command line's `name=value` words, with
// the environment as fallback (Capistrano 2 put its command-line
// variables in the environment), then the declared default.
type Args struct {
	given  map[string]string
	getenv func(string) string
}

// ParseArgs reads `name=value` words. An undeclared name is an error that
// suggests the closest declared one.
func ParseArgs(words []string, getenv func(string) string) (*Args, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	a := &Args{given: map[string]string{}, getenv: getenv}
	known := ArgNames()
	for _, w := range words {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("argument %q is not name=value", w)
		}
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("unknown argument %q%s (known: %s)", name, suggest(name, known), strings.Join(known, ", "))
		}
		if strings.ContainsAny(value, "\x00\n\r") {
			return nil, fmt.Errorf("argument %s: value %q contains a NUL byte or a line break", name, value)
		}
		a.given[name] = value
	}
	return a, nil
}

// ArgNames lists the declared arguments, sorted.
func ArgNames() []string {
	registry.Lock()
	defer registry.Unlock()
	return slices.Sorted(maps.Keys(registry.args))
}

// Get returns the argument's value: the command line's, else the
// environment's (the name as written, or upper-case for hosts and roles
// as Capistrano's HOSTS= and ROLES=), else the declared default.
func (a *Args) Get(name string) string {
	if v, ok := a.given[name]; ok {
		return v
	}
	if v := a.getenv(name); v != "" {
		return v
	}
	if name == "hosts" || name == "roles" {
		if v := a.getenv(strings.ToUpper(name)); v != "" {
			return v
		}
	}
	registry.Lock()
	defer registry.Unlock()
	return registry.args[name].def
}

// Bool is a flag argument: set and not "0", "false", "no" or "off".
func (a *Args) Bool(name string) bool { return truthy(a.Get(name)) }

// Given lists the names given on the command line, sorted.
func (a *Args) Given() []string { return slices.Sorted(maps.Keys(a.given)) }

// with returns a copy of a with vals set as if given on the command line.
func (a *Args) with(vals map[string]string) *Args {
	b := &Args{given: map[string]string{}, getenv: a.getenv}
	for k, v := range a.given {
		b.given[k] = v
	}
	for k, v := range vals {
		b.given[k] = v
	}
	return b
}

// Arg returns the run's value of a declared argument (see Args.Get). Set
// values win: those of WithArg on ctx, then the command line.
func Arg(ctx context.Context, name string) string {
	if sc := scopeOf(ctx); sc != nil {
		return sc.args.Get(name)
	}
	return ""
}

// ArgBool reads a flag argument: set and not "0", "false", "no" or "off".
func ArgBool(ctx context.Context, name string) bool { return truthy(Arg(ctx, name)) }

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// WithArg returns a context in which Arg(name) is value, for the tasks it
// then invokes: as a deploy sets tag= and path_is_file= for the Murder
// tasks it drives. The caller's context is unchanged.
func WithArg(ctx context.Context, name, value string) context.Context {
	sc := scopeOf(ctx)
	if sc == nil {
		return ctx
	}
	c := *sc
	c.args = sc.args.with(map[string]string{name: value})
	return context.WithValue(ctx, scopeKey{}, &c)
}

// SplitList splits a comma-separated argument such as hosts=w01,w02.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// suggest names the closest of known, if one is close.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, n := range known {
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
