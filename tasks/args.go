// Package tasks is murder's task runner and task set: every task of the
// original Murder (distribute_files, start_tracker, ..., peer,
// clean_temp_files) run over SSH on the hosts of its roles, in parallel,
// with Capistrano's hooks, a dry run, fleet progress and a summary.
package tasks

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// argNames are the arguments the tasks understand, as `name=value` on the
// command line or as environment variables of the same name (Capistrano 2
// put its command-line variables in the environment).
var argNames = []string{
	"tag", "files_path", "destination_path", "temp_path",
	"path_is_file", "no_tag_directory", "unsafe_please_delete", "do_not_download_torrent",
	"config", "dry_run", "report", "hosts", "roles",
	"capfile", "output", "force", // murder:import_capfile
	"stall_timeout",
}

// Args are a run's arguments: explicit ones from the command line, with the
// environment as fallback.
type Args struct {
	given  map[string]string
	getenv func(string) string
}

// ParseArgs reads `name=value` words. An unknown name is an error with a
// suggestion, so that a typo such as destinaton_path= is never ignored.
func ParseArgs(words []string, getenv func(string) string) (*Args, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	a := &Args{given: map[string]string{}, getenv: getenv}
	for _, w := range words {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("argument %q is not name=value", w)
		}
		if !slices.Contains(argNames, name) {
			return nil, fmt.Errorf("unknown argument %q%s (known: %s)", name, suggest(name), strings.Join(argNames, ", "))
		}
		if err := checkValue(name, value); err != nil {
			return nil, err
		}
		a.given[name] = value
	}
	return a, nil
}

// Get returns the argument's value: the command line's, else the
// environment's (lower-case name, or upper-case for hosts and roles as
// Capistrano's HOSTS= and ROLES=).
func (a *Args) Get(name string) string {
	if v, ok := a.given[name]; ok {
		return v
	}
	if v := a.getenv(name); v != "" {
		return v
	}
	if name == "hosts" || name == "roles" {
		return a.getenv(strings.ToUpper(name))
	}
	return ""
}

// Bool is a flag argument: set and not "0", "false", "no" or "off".
func (a *Args) Bool(name string) bool {
	switch strings.ToLower(a.Get(name)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// Given lists the names given on the command line, sorted.
func (a *Args) Given() []string {
	names := make([]string, 0, len(a.given))
	for n := range a.given {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func checkValue(name, value string) error {
	if strings.ContainsAny(value, "\x00\n\r") {
		return fmt.Errorf("argument %s: value %q contains a NUL byte or a line break", name, value)
	}
	if name == "stall_timeout" {
		_, err := stallTimeout(value)
		return err
	}
	return nil
}

// suggest names the closest known argument, if one is close.
func suggest(name string) string {
	best, bestD := "", 3
	for _, n := range argNames {
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

// splitList splits a comma-separated argument such as hosts=w01,w02.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// With returns a copy of a with vals set as if given on the command line.
func (a *Args) With(vals map[string]string) *Args {
	b := &Args{given: map[string]string{}, getenv: a.getenv}
	for k, v := range a.given {
		b.given[k] = v
	}
	for k, v := range vals {
		b.given[k] = v
	}
	return b
}
