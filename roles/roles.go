package roles

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Murder's own roles.
const (
	RolePeer    = "peer"    // hosts that download; default: every server not marked no_release
	RoleTracker = "tracker" // host of the tracker; default: first peer
	RoleSeeder  = "seeder"  // host holding the files; default: first peer
)

var serverKeys = []string{"host", "port", "user", "no_release", "primary", "properties", "set"}

// server is one server as declared in one role.
type server struct {
	name      string
	port      int // 0: ssh.port
	user      string
	noRelease bool
	primary   bool              // Capistrano's :primary => true, for this role
	props     map[string]string // other properties, for the user's filters
	set       layer
	line      int
}

// decl is one appearance of a host in a role. Capistrano's no_release is a
// property of the appearance, not of the host, so it is kept here.
type decl struct {
	role      string
	host      *Host
	noRelease bool
}

// roleBuilder turns declarations into shared hosts.
type roleBuilder struct {
	d       *decoder
	c       *Config
	byKey   map[string]*Host
	decls   []decl
	keyNode map[string]*yaml.Node // role -> its key, for role-level messages
}

// decodeRoles reads the roles: section into c, then applies Murder's defaults.
func (d *decoder) decodeRoles(n *yaml.Node, c *Config) {
	b := &roleBuilder{d: d, c: c, byKey: map[string]*Host{}, keyNode: map[string]*yaml.Node{}}
	entries, ok := d.mapping(n, "roles")
	if ok && len(entries) == 0 {
		d.errorf(nil, "", "no servers: declare at least one role under roles:")
		return
	}
	for _, e := range entries {
		b.decodeRole(e)
	}
	if len(d.errs) == 0 {
		b.applyDefaults()
	}
}

// decodeRole reads one role's list of servers.
func (b *roleBuilder) decodeRole(e entry) {
	d, where := b.d, "roles."+e.key
	if !d.check(e.k, where, checkRoleName(e.key)) {
		return
	}
	v := d.node(e.v)
	switch {
	case isNull(v) || v.Kind == yaml.SequenceNode && len(v.Content) == 0:
		d.errorf(v, where, "empty role: list at least one server, or remove the role")
		return
	case v.Kind != yaml.SequenceNode:
		d.errorf(v, where, "expected a list of servers, got %s", describe(v))
		return
	}
	b.keyNode[e.key] = e.k
	b.c.Order = append(b.c.Order, e.key)
	seen := map[string]int{} // host key -> line, within this role
	for i, item := range d.items(v) {
		w := fmt.Sprintf("%s[%d]", where, i)
		if s, ok := b.decodeServer(item, w); ok {
			b.add(e.key, s, w, seen)
		}
	}
}

// decodeServer reads "[user@]host[:port]" or a {host, port, user, no_release, set} map.
func (b *roleBuilder) decodeServer(n *yaml.Node, where string) (server, bool) {
	d := b.d
	s := server{line: n.Line, set: layer{}}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		text, err := expandEnv(n.Value, os.Getenv)
		if err == nil {
			s.user, s.name, s.port, err = ParseServer(text)
		}
		return s, d.check(n, where, err)
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, where, "expected a server (\"[user@]host[:port]\" or a mapping with host:), got %s", describe(n))
		return s, false
	}
	ok := true
	for _, e := range d.entries(n, where) {
		w := where + "." + e.key
		good := true
		switch e.key {
		case "host":
			s.name, good = d.str(e.v, w)
			good = good && d.check(e.v, w, checkMapHost(s.name))
			s.name = strings.TrimSuffix(strings.TrimPrefix(s.name, "["), "]")
		case "port":
			s.port, good = d.integer(e.v, w)
			good = good && d.check(e.v, w, checkPort(s.port))
		case "user":
			s.user, good = d.str(e.v, w)
			good = good && d.check(e.v, w, checkUser(s.user))
		case "no_release":
			s.noRelease, good = d.boolean(e.v, w)
		case "primary":
			s.primary, good = d.boolean(e.v, w)
		case "properties":
			s.props, good = d.properties(e.v, w)
		case "set":
			errs := len(d.errs)
			s.set = d.decodeSet(e.v, w)
			good = len(d.errs) == errs
		default:
			d.errorf(e.k, where, "unknown key %q%s", e.key, suggest(e.key, serverKeys))
			good = false
		}
		ok = ok && good
	}
	if s.name == "" && ok {
		d.errorf(n, where, "missing host:")
		ok = false
	}
	return s, ok
}

// checkMapHost checks the host: of a server map, which holds a bare host;
// user and port have keys of their own there.
func checkMapHost(s string) error {
	name := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		name = s[1 : len(s)-1]
		if !strings.Contains(name, ":") {
			return fmt.Errorf("brackets are only for IPv6 addresses, got %q", s)
		}
	}
	switch {
	case strings.Contains(name, "@"):
		return fmt.Errorf("%q: put the user under user:", s)
	case strings.Count(name, ":") == 1:
		return fmt.Errorf("%q: put the port under port:", s)
	}
	return checkHostName(name)
}

// checkRoleName keeps role names usable on command lines (ROLES=app,web).
func checkRoleName(s string) error {
	for _, r := range s {
		if !isAlnum(r) && r != '_' && r != '-' {
			return fmt.Errorf("role name %q: only letters, digits, '_' and '-' allowed", s)
		}
	}
	if s == "" || s[0] == '-' {
		return fmt.Errorf("role name %q must start with a letter, digit or '_'", s)
	}
	return nil
}

// add records server s in role, sharing the *Host with earlier
// declarations of the same host and port.
func (b *roleBuilder) add(role string, s server, where string, seen map[string]int) {
	d, c := b.d, b.c
	port := s.port
	if port == 0 {
		port = c.SSH.Port
	}
	key := hostKey(s.name, port)
	if line, dup := seen[key]; dup {
		d.errorAt(s.line, where, "%s already listed in this role at line %d", s.name, line)
		return
	}
	seen[key] = s.line
	h := b.byKey[key]
	if h == nil {
		h = &Host{Name: s.name, Port: port, User: c.SSH.User, NoRelease: s.noRelease,
			defaultPort: c.SSH.Port, key: key, set: layer{}}
		b.byKey[key] = h
		c.hosts = append(c.hosts, h)
	}
	b.mergeInto(h, s, where)
	h.NoRelease = h.NoRelease && s.noRelease
	if s.primary && c.primary[role] == nil {
		c.primary[role] = h
	}
	h.Roles = append(h.Roles, role)
	c.Roles[role] = append(c.Roles[role], h)
	b.decls = append(b.decls, decl{role: role, host: h, noRelease: s.noRelease})
}

// mergeInto adds the user and variables of one more declaration of h.
// Saying different things about the same host is an error, not "last wins".
func (b *roleBuilder) mergeInto(h *Host, s server, where string) {
	if s.user != "" {
		if h.userLine != 0 && h.User != s.user {
			b.d.errorAt(s.line, where, "user %q conflicts with user %q given for %s at line %d", s.user, h.User, h, h.userLine)
		} else {
			h.User, h.userLine = s.user, s.line
		}
	}
	for k, v := range s.props {
		if h.Properties == nil {
			h.Properties = map[string]string{}
		}
		if prev, ok := h.Properties[k]; ok && prev != v {
			b.d.errorAt(s.line, where+".properties."+k, "%q conflicts with %q given for %s", v, prev, h)
			continue
		}
		h.Properties[k] = v
	}
	names := make([]string, 0, len(s.set))
	for name := range s.set {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		st := s.set[name]
		if prev, ok := h.set[name]; ok && !reflect.DeepEqual(prev.val, st.val) {
			b.d.errorAt(st.line, where+".set."+name,
				"conflicts with the value set for %s at line %d", h, prev.line)
			continue
		}
		h.set[name] = st
	}
}

// applyDefaults fills in Murder's roles that were not declared: peer is
// every server of every role except appearances marked no_release, tracker
// and seeder the first peer.
func (b *roleBuilder) applyDefaults() {
	c := b.c
	if _, ok := c.Roles[RolePeer]; !ok {
		var peers []*Host
		seen := map[*Host]bool{}
		for _, dc := range b.decls {
			if !dc.noRelease && !seen[dc.host] {
				seen[dc.host] = true
				peers = append(peers, dc.host)
			}
		}
		if len(peers) == 0 {
			b.d.errorf(nil, "roles", "no peers: every server is marked no_release; declare the peer role explicitly")
			return
		}
		b.derive(RolePeer, peers)
	}
	for _, role := range []string{RoleTracker, RoleSeeder} {
		if hs, ok := c.Roles[role]; !ok {
			b.derive(role, c.Roles[RolePeer][:1])
		} else if len(hs) != 1 {
			b.d.errorf(b.keyNode[role], "roles."+role, "exactly one server expected, got %d (Murder runs one %s)", len(hs), role)
		}
	}
}

func (b *roleBuilder) derive(role string, hs []*Host) {
	b.c.Order = append(b.c.Order, role)
	b.c.Roles[role] = slices.Clone(hs)
	for _, h := range hs {
		h.Roles = append(h.Roles, role)
	}
}

// properties reads a server's properties: a mapping of names to scalars,
// kept as text for the user's filters (Capistrano 3's server properties).
func (d *decoder) properties(n *yaml.Node, where string) (map[string]string, bool) {
	entries, ok := d.mapping(n, where)
	if !ok {
		return nil, false
	}
	props := map[string]string{}
	for _, e := range entries {
		v := d.node(e.v)
		if v.Kind != yaml.ScalarNode || strings.ContainsFunc(v.Value, isControl) {
			d.errorf(v, where+"."+e.key, "expected a single value without control characters, got %s", describe(v))
			ok = false
			continue
		}
		props[e.key] = v.Value
	}
	return props, ok
}
