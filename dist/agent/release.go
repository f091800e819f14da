package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Capistrano's layout under deploy_to: releases/<UTC timestamp>, shared/,
// and current, a symlink to the live release. The release subcommands keep
// it; the deploy tasks drive them on every host.

// runRelease: release setup|list|switch|rollback|cleanup|remove DEPLOY_TO [ARG].
func runRelease(ctx context.Context, env *runEnv, args []string) error {
	fset := flag.NewFlagSet("release", flag.ContinueOnError)
	rest, err := parseFlags(fset, args, 2, 3)
	if err != nil {
		return err
	}
	op, root := rest[0], filepath.Clean(rest[1])
	arg := ""
	if len(rest) == 3 {
		arg = rest[2]
	}
	if !filepath.IsAbs(root) || root == "/" {
		return usagef("deploy_to %q must be an absolute path below /", rest[1])
	}
	l := layout{root}
	switch op {
	case "setup":
		return l.setup()
	case "list":
		return l.list(env)
	case "switch":
		return l.switchTo(env, arg)
	case "rollback":
		return l.rollback(env)
	case "cleanup":
		keep, err := strconv.Atoi(arg)
		if err != nil || keep < 1 {
			return usagef("cleanup needs a number of releases to keep (>= 1), got %q", arg)
		}
		return l.cleanup(env, keep)
	case "remove":
		return l.remove(arg)
	}
	return usagef("unknown release operation %q", op)
}

type layout struct{ root string }

func (l layout) releases() string        { return filepath.Join(l.root, "releases") }
func (l layout) current() string         { return filepath.Join(l.root, "current") }
func (l layout) path(name string) string { return filepath.Join(l.releases(), name) }

func (l layout) setup() error {
	for _, d := range []string{l.releases(), filepath.Join(l.root, "shared")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// names lists the releases, oldest first (timestamps sort as strings).
func (l layout) names() ([]string, error) {
	entries, err := os.ReadDir(l.releases())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// live is the release current points at, "" if none.
func (l layout) live() (string, error) {
	target, err := os.Readlink(l.current())
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", l.current(), err)
	}
	if filepath.Dir(target) != l.releases() && filepath.Dir(target) != "releases" {
		return "", fmt.Errorf("%s points outside %s: %s", l.current(), l.releases(), target)
	}
	return filepath.Base(target), nil
}

// state is the releases, oldest first, and the live one.
func (l layout) state() ([]string, string, error) {
	names, err := l.names()
	if err != nil {
		return nil, "", err
	}
	live, err := l.live()
	return names, live, err
}

func (l layout) list(env *runEnv) error {
	names, live, err := l.state()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "current %s\n", live)
	for _, n := range names {
		fmt.Fprintf(env.stdout, "release %s\n", n)
	}
	return nil
}

// switchTo points current at release name atomically: a new symlink under
// a temporary name is renamed over current, so current is never missing.
func (l layout) switchTo(env *runEnv, name string) error {
	if err := checkReleaseName(name); err != nil {
		return err
	}
	if fi, err := os.Stat(l.path(name)); err != nil || !fi.IsDir() {
		return fmt.Errorf("release %s is not on this host (%s)", name, l.path(name))
	}
	prev, err := l.live()
	if err != nil {
		return err
	}
	tmp := filepath.Join(l.root, ".current-"+name+"-"+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	if err := os.Symlink(l.path(name), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, l.current()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("switching current: %w", err)
	}
	fmt.Fprintf(env.stdout, "current %s previous %s\n", name, prev)
	return nil
}

// rollback switches current to the release before it and removes the one
// rolled back from.
func (l layout) rollback(env *runEnv) error {
	names, live, err := l.state()
	if err != nil {
		return err
	}
	prev := ""
	for _, n := range names {
		if n < live {
			prev = n
		}
	}
	if live == "" || prev == "" {
		return fmt.Errorf("no previous release to roll back to in %s (current: %q)", l.releases(), live)
	}
	if err := l.switchTo(env, prev); err != nil {
		return err
	}
	return os.RemoveAll(l.path(live))
}

// cleanup removes the oldest releases beyond keep, never the live one.
func (l layout) cleanup(env *runEnv, keep int) error {
	names, live, err := l.state()
	if err != nil {
		return err
	}
	var errs []error
	for i := 0; i < len(names)-keep; i++ {
		if names[i] == live {
			continue
		}
		fmt.Fprintf(env.stdout, "removed %s\n", names[i])
		errs = append(errs, os.RemoveAll(l.path(names[i])))
	}
	return errors.Join(errs...)
}

// remove deletes a release that is not live (a failed deploy's).
func (l layout) remove(name string) error {
	if err := checkReleaseName(name); err != nil {
		return err
	}
	if live, _ := l.live(); live == name {
		return fmt.Errorf("release %s is current; not removing it", name)
	}
	return os.RemoveAll(l.path(name))
}

func checkReleaseName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("release name %q is not valid", name)
	}
	return nil
}
