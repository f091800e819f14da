package capfile

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/murderfleet/murder/roles"
)

// decl is one server in one role, as declared.
type decl struct {
	role      string
	user      string // "" when not given
	host      string
	port      int // 0 when not given
	noRelease bool
	primary   bool   // :primary => true, kept in a project (tasks select it)
	props     []pair // other options, kept in a project as properties:
	env       bool   // host is ${X}: written as host: so that murder expands it
	at        Line
}

// props are the per-server options murder keeps.
type props struct {
	user      string
	port      int
	noRelease bool
	primary   bool
	other     []pair // options tasks may select on (:only => {:workers => true})
}

// role translates `role :app, "w01", "w02", :no_release => true` and
// `role :app, %w{deploy@w01 w02}, user: 'deploy'`.
func (c *converter) role(st stmt, b block, _ string) {
	args, opts, ok := c.call(st, b, "role")
	if !ok {
		return
	}
	if len(args) < 2 {
		c.untranslated(st, "role without servers")
		return
	}
	name, why := roleName(args[0])
	if why != "" {
		c.untranslated(st, why)
		return
	}
	pr, _ := c.props(opts, false)
	for _, a := range args[1:] {
		items := []value{a}
		if a.kind == vArray {
			items = a.list
		}
		for _, it := range items {
			c.addServer(name, it, pr, st)
		}
	}
}

// server translates `server "w01", :app, :web, :primary => true` (Capistrano 2)
// and `server 'w01', user: 'deploy', roles: %w{app web}, port: 2222` (3).
func (c *converter) server(st stmt, b block, _ string) {
	args, opts, ok := c.call(st, b, "server")
	if !ok {
		return
	}
	if len(args) == 0 {
		c.untranslated(st, "server without a host")
		return
	}
	pr, rolesVal := c.props(opts, true)
	names := args[1:]
	if rolesVal != nil {
		c.cap3 = true
		if rolesVal.kind == vArray {
			names = append(names, rolesVal.list...)
		} else {
			names = append(names, *rolesVal)
		}
	}
	if len(names) == 0 {
		c.untranslated(st, "server without roles: murder only uses servers that have a role")
		return
	}
	for _, n := range names {
		name, why := roleName(n)
		if why != "" {
			c.note(lineOr(n.line, st.first), "%s", why)
			continue
		}
		c.addServer(name, args[0], pr, st)
	}
}

func lineOr(line, def int) int {
	if line > 0 {
		return line
	}
	return def
}

// roleName checks a role name as murder.yaml does.
func roleName(v value) (string, string) {
	s, ok := v.text()
	if !ok {
		return "", "role name not understood: " + whyOf(v)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "", fmt.Sprintf("role name %q: murder allows only letters, digits, '_' and '-'", s)
		}
	}
	if s == "" || s[0] == '-' {
		return "", fmt.Sprintf("role name %q must start with a letter, digit or '_'", s)
	}
	return s, ""
}

// whyOf explains why v is not usable where a string was expected.
func whyOf(v value) string {
	if v.kind == vBad {
		return v.why
	}
	return "it is " + v.describe()
}

// props reads server options and, with wantRoles, returns roles:/role:.
// Options murder has no use for are recorded as not translated.
func (c *converter) props(opts value, wantRoles bool) (props, *value) {
	var pr props
	var rolesVal *value
	for _, p := range opts.pairs {
		k, ok := p.key.text()
		line := lineOr(p.key.line, opts.line)
		switch {
		case !ok:
			c.note(line, "server option %s not understood", p.key.describe())
		case (k == "roles" || k == "role") && wantRoles:
			rolesVal = &p.val
		case k == "user" || k == "port":
			c.userPort(&pr, k, p.val, line)
		case k == "no_release" && p.val.kind == vBool:
			pr.noRelease = p.val.b
		case k == "primary" && p.val.kind == vBool && c.gen:
			pr.primary = p.val.b // tasks.Roles(...).Primary() selects it
		case k == "primary" && p.val.kind == vBool:
			if p.val.b {
				c.note(line, "primary: murder has no primary server (it runs no migrations): ignored")
			}
		case k == "ssh_options" && p.val.kind == vHash:
			for _, sp := range p.val.pairs {
				sk, _ := sp.key.text()
				if sk == "user" || sk == "port" {
					c.userPort(&pr, sk, sp.val, lineOr(sp.key.line, line))
				} else {
					c.note(lineOr(sp.key.line, line), "per-server ssh option %s: murder's ssh: settings apply to every server", sp.key.describe())
				}
			}
		case c.gen && ok && isScalar(p.val):
			pr.other = append(pr.other, p)
		default:
			c.note(line, "server option %s: murder keeps only user, port and no_release (value %s)", p.key.describe(), describeOrWhy(p.val))
		}
	}
	return pr, rolesVal
}

func describeOrWhy(v value) string {
	if v.kind == vBad {
		return "not understood: " + v.why
	}
	return v.describe()
}

// userPort reads a per-server user or port.
func (c *converter) userPort(pr *props, key string, v value, line int) {
	switch {
	case key == "user" && v.kind == vString:
		if _, _, _, err := roles.ParseServer(v.s + "@probe"); err != nil {
			c.note(line, "user: %v", err)
			return
		}
		pr.user = v.s
	case key == "port" && v.kind == vInt:
		if v.n < 1 || v.n > 65535 {
			c.note(line, "port %d out of range 1..65535", v.n)
			return
		}
		pr.port = int(v.n)
	default:
		c.note(line, "%s not understood: %s", key, whyOf(v))
	}
}

// addServer records server v ("[user@]host[:port]") of statement st in role.
func (c *converter) addServer(role string, v value, pr props, st stmt) {
	line := st.first
	if v.line > st.first && v.line <= st.last {
		line = v.line // a list over several lines; not a variable set elsewhere
	}
	if v.kind != vString {
		c.note(line, "server not understood: %s", whyOf(v))
		return
	}
	if strings.Contains(v.s, "${") {
		// From the environment: murder checks it when it expands it.
		c.servers = append(c.servers, decl{role: role, user: pr.user, host: v.s, port: pr.port, noRelease: pr.noRelease, primary: pr.primary, props: pr.other, env: true, at: c.at(line)})
		return
	}
	user, host, port, err := roles.ParseServer(v.s)
	if err != nil {
		c.note(line, "server %q: %v", v.s, err)
		return
	}
	if user == "" {
		user = pr.user
	}
	if port == 0 {
		port = pr.port
	}
	c.servers = append(c.servers, decl{role: role, user: user, host: host, port: port, noRelease: pr.noRelease, primary: pr.primary, props: pr.other, at: c.at(line)})
}

// String renders a declaration as murder.yaml's "[user@]host[:port]".
func (d decl) String() string {
	h := d.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if d.user != "" {
		h = d.user + "@" + h
	}
	if d.port != 0 {
		h += ":" + strconv.Itoa(d.port)
	}
	return h
}

// hostKey is the identity of a server as murder sees it: the same host
// (DNS names ignoring case, IPv6 in any spelling) and port.
func hostKey(host string, port int) string {
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	} else {
		host = strings.ToLower(strings.TrimSuffix(host, "."))
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// isScalar reports whether v is a boolean, number, string or symbol.
func isScalar(v value) bool {
	switch v.kind {
	case vBool, vInt, vString, vSymbol:
		return true
	}
	return false
}
