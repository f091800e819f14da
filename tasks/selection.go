package tasks

import (
	"context"
	"slices"
	"time"

	"github.com/murderfleet/murder/roles"
)

// Selection says which hosts On runs a function on, and how: Capistrano
// 3's `on roles(:app), in: :groups, limit: 2, wait: 5`. It is a value:
// each method returns a changed copy.
type Selection struct {
	roles   []string
	all     bool          // every server of murder.yaml
	just    []*roles.Host // explicit hosts (Just, Servers): no hosts=/roles= narrowing
	exact   bool          // just is the whole selection, even empty
	primary bool
	once    bool
	filters []func(*Host) bool
	limit   int           // hosts at once; 0: all
	group   int           // hosts per group; 0: one group
	wait    time.Duration // between groups
	step    string
	aside   bool // work beside the task: not counted in its summary
}

// Roles selects the servers of the named roles, in murder.yaml's order,
// each once; with no name, every server. The run's hosts= and roles=
// arguments narrow it further, as Capistrano's HOSTS= and ROLES= did.
func Roles(names ...string) Selection {
	return Selection{roles: slices.Clone(names), all: len(names) == 0}
}

// Just selects the given hosts, as they are: for a step that follows up
// on the hosts an earlier step succeeded on (Results.OK).
func Just(hosts ...*Host) Selection {
	s := Selection{exact: true}
	for _, h := range hosts {
		s.just = append(s.just, h.server)
	}
	return s
}

// Servers selects servers of murder.yaml as they are, without hosts= and
// roles= narrowing: for a host a task needs whatever the operator
// narrowed, such as the tracker a torrent must be registered at.
func Servers(servers ...*roles.Host) Selection {
	return Selection{just: slices.Clone(servers), exact: true}
}

// Primary keeps each role's primary server: the first one murder.yaml
// marks primary: true in that role, else the role's first server
// (Capistrano's primary(:db), :only => { :primary => true }).
func (s Selection) Primary() Selection { s.primary = true; return s }

// Once keeps only the first selected host (Capistrano 2's :once => true).
func (s Selection) Once() Selection { s.once = true; return s }

// Filter keeps the hosts for which keep is true (Capistrano 3's
// roles(:app, filter: ...)); Host.Property reads murder.yaml properties.
func (s Selection) Filter(keep func(h *Host) bool) Selection {
	s.filters = append(slices.Clone(s.filters), keep)
	return s
}

// Except drops the hosts whose property is true (Capistrano 2's
// :except => { :no_release => true } is Except("no_release")).
func (s Selection) Except(property string) Selection {
	return s.Filter(func(h *Host) bool { return !truthy(h.Property(property)) })
}

// Only keeps the hosts whose property is true (:only => { :x => true }).
func (s Selection) Only(property string) Selection {
	return s.Filter(func(h *Host) bool { return truthy(h.Property(property)) })
}

// Limit runs at most n hosts at once (Capistrano 2's :max_hosts). Every
// remote command is also bounded by murder.yaml's ssh.max_hosts.
func (s Selection) Limit(n int) Selection { s.limit = max(0, n); return s }

// InGroups runs n hosts at a time, group after group, waiting wait
// between groups (SSHKit's in: :groups, limit: n, wait: w). A failure
// stops new groups from starting.
func (s Selection) InGroups(n int, wait time.Duration) Selection {
	s.group, s.wait = max(1, n), wait
	return s
}

// InSequence runs one host at a time, waiting wait between hosts
// (SSHKit's in: :sequence).
func (s Selection) InSequence(wait time.Duration) Selection { return s.InGroups(1, wait) }

// Step names what the function does, for failures ("host w03: start
// peer: ..."); by default it is the task's name.
func (s Selection) Step(name string) Selection { s.step = name; return s }

// Aside marks work beside the task, such as a feed of its progress: its
// hosts are not counted in the task's summary and report unless they
// fail, and an empty selection is no news.
func (s Selection) Aside() Selection { s.aside = true; return s }

// Hosts resolves the selection in ctx's run.
func (s Selection) Hosts(ctx context.Context) ([]*Host, error) {
	sc := scopeOf(ctx)
	if sc == nil {
		return nil, errOutside("Selection.Hosts")
	}
	servers := s.just
	if !s.exact {
		servers = sc.servers(s)
	}
	var out []*Host
	for _, srv := range servers {
		h := &Host{server: srv, sc: sc}
		if keepAll(h, s.filters) {
			out = append(out, h)
		}
	}
	if s.once && len(out) > 1 {
		out = out[:1]
	}
	return out, nil
}

// servers are a role selection's servers after hosts= and roles=.
func (sc *scope) servers(s Selection) []*roles.Host {
	cfg := sc.run.cfg
	hs := cfg.Hosts(s.roles...)
	if s.primary {
		var ps []*roles.Host
		for _, role := range s.roles {
			if p := cfg.Primary(role); p != nil && !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		if s.all && len(hs) > 0 {
			ps = hs[:1]
		}
		hs = ps
	}
	if names := SplitList(sc.args.Get("hosts")); len(names) > 0 {
		hs = roles.Select(hs, roles.Named(names...))
	}
	if rs := SplitList(sc.args.Get("roles")); len(rs) > 0 {
		hs = roles.Select(hs, func(h *roles.Host) bool {
			return slices.ContainsFunc(rs, func(r string) bool { return slices.Contains(h.Roles, r) })
		})
	}
	return hs
}

func keepAll(h *Host, fs []func(*Host) bool) bool {
	for _, f := range fs {
		if !f(h) {
			return false
		}
	}
	return true
}
