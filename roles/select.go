package roles

import "slices"

// Filter selects hosts; combine filters with Select.
type Filter func(*Host) bool

// Hosts returns the hosts of the given roles, in role order then
// declaration order, each host once. With no role it returns every host.
// Unknown roles contribute nothing.
func (c *Config) Hosts(role ...string) []*Host {
	if len(role) == 0 {
		return slices.Clone(c.hosts)
	}
	var out []*Host
	seen := map[*Host]bool{}
	for _, r := range role {
		for _, h := range c.Roles[r] {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out
}

// Select returns the hosts of hs that pass every filter, in order.
func Select(hs []*Host, fs ...Filter) []*Host {
	var out []*Host
	for _, h := range hs {
		if all(h, fs) {
			out = append(out, h)
		}
	}
	return out
}

func all(h *Host, fs []Filter) bool {
	for _, f := range fs {
		if !f(h) {
			return false
		}
	}
	return true
}

// InRole selects the hosts holding role name.
func InRole(name string) Filter {
	return func(h *Host) bool { return slices.Contains(h.Roles, name) }
}

// Named selects hosts by name, as Capistrano's HOSTS=w01,w02 does. A name
// is written like a server: "w01" matches w01 on any port, "w01:2222" only
// that port, "deploy@w01" only that user. Case and IPv6 spelling do not
// matter. Unparsable names match nothing.
func Named(names ...string) Filter {
	type want struct {
		user, host string
		port       int
	}
	var ws []want
	for _, n := range names {
		if u, h, p, err := ParseServer(n); err == nil {
			ws = append(ws, want{u, canonicalHost(h), p})
		}
	}
	return func(h *Host) bool {
		name := canonicalHost(h.Name)
		return slices.ContainsFunc(ws, func(w want) bool {
			return w.host == name && (w.port == 0 || w.port == h.Port) && (w.user == "" || w.user == h.User)
		})
	}
}

// Not inverts a filter, e.g. Not(Named("w01")) to skip a host.
func Not(f Filter) Filter {
	return func(h *Host) bool { return !f(h) }
}
