package tasks

import (
	"context"
	"fmt"
	"strings"
)

// DeclareVar lets murder.yaml set variable name (under set:, globally or
// per host), with def when it does not: Capistrano's `set :name, value`
// for the user's own variables. Read it with Host.Fetch or Fetch.
// murder.yaml refuses variables nobody declared, so a typo fails the run.
func DeclareVar(name, def string) {
	registry.Lock()
	defer registry.Unlock()
	if !argName(name) {
		registry.errs = append(registry.errs, fmt.Errorf("tasks.DeclareVar(%q): want lower-case letters, digits and '_'", name))
		return
	}
	registry.vars[name] = def
}

// DeclaredVars are the variables declared with DeclareVar and their
// defaults: what murder.yaml accepts besides murder's own.
func DeclaredVars() map[string]string {
	registry.Lock()
	defer registry.Unlock()
	vars := make(map[string]string, len(registry.vars))
	for k, v := range registry.vars {
		vars[k] = v
	}
	return vars
}

// Fetch returns variable name without any host's override: WithVar's
// value on ctx, else murder.yaml's global set:, else the default
// (Capistrano's fetch(:name)). Lists read as comma-separated text.
func Fetch(ctx context.Context, name string) string {
	sc := scopeOf(ctx)
	if sc == nil {
		return ""
	}
	return sc.fetch(nil, name)
}

// WithVar returns a context in which variable name is value, on every
// host, for the tasks then invoked: Capistrano's `set` during a run. The
// deploy flow sets release_name this way.
func WithVar(ctx context.Context, name, value string) context.Context {
	sc := scopeOf(ctx)
	if sc == nil {
		return ctx
	}
	c := *sc
	c.vars = map[string]string{name: value}
	for k, v := range sc.vars {
		if k != name {
			c.vars[k] = v
		}
	}
	return context.WithValue(ctx, scopeKey{}, &c)
}

func (sc *scope) fetch(h *Host, name string) string {
	if v, ok := sc.vars[name]; ok {
		return v
	}
	var v string
	if h != nil {
		v, _ = sc.run.cfg.Var(h.server, name)
	} else {
		v, _ = sc.run.cfg.Var(nil, name)
	}
	return v
}

// layout is Capistrano's directory layout under deploy_to.
func (sc *scope) layout(h *Host, dir string) string {
	root := strings.TrimSuffix(sc.fetch(h, "deploy_to"), "/")
	switch dir {
	case "release":
		if rel := sc.fetch(h, "release_name"); rel != "" {
			return root + "/releases/" + rel
		}
		return root + "/current"
	case "":
		return root
	}
	return root + "/" + dir
}
