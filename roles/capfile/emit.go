package capfile

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/murderfleet/murder/roles"
)

// entry is one key of a murder.yaml section and where it came from.
type entry struct {
	key     string
	node    *yaml.Node
	at      Line
	comment string // instead of the origin, when the value has none
	option  bool   // ssh: from Net::SSH's ssh_options, which a later set replaces
}

// section is a mapping of murder.yaml in order of first appearance. A
// later value replaces an earlier one, as a later `set` does in Capistrano.
type section struct{ entries []entry }

func (s *section) put(e entry) {
	for i := range s.entries {
		if s.entries[i].key == e.key {
			s.entries[i] = e
			return
		}
	}
	s.entries = append(s.entries, e)
}

// drop removes the entries for which f is true.
func (s *section) drop(f func(entry) bool) { s.entries = slices.DeleteFunc(s.entries, f) }

func (s *section) get(key string) *yaml.Node {
	for _, e := range s.entries {
		if e.key == key {
			return e.node
		}
	}
	return nil
}

func (s *section) node() *yaml.Node {
	m := mapNode()
	for _, e := range s.entries {
		k, v := strNode(e.key), *e.node
		comment := cmp.Or(e.comment, origin(e.at))
		if v.Kind == yaml.ScalarNode {
			v.LineComment = comment
		} else {
			k.LineComment = comment
		}
		m.Content = append(m.Content, k, &v)
	}
	return m
}

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

// strNode makes a string scalar. yaml.v3 quotes what YAML 1.2 would read
// as another type; words that YAML 1.1 tools read as booleans are quoted too.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false":
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// scalarNode renders a boolean, number, string or symbol.
func scalarNode(v value) *yaml.Node {
	switch v.kind {
	case vBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.b)}
	case vInt:
		return intNode(v.n)
	}
	return strNode(v.s)
}

func intNode(n int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(n, 10)}
}

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, strNode(key), v) }

// origin names the source line of a value, for a comment beside it.
func origin(at Line) string { return commentSafe(fmt.Sprintf("%s:%d", at.File, at.N)) }

// commentSafe makes s safe inside a YAML comment: no line breaks (YAML
// also breaks lines at NEL, LS and PS) nor other invisible characters.
func commentSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "\\u%04X", r)
		}
	}
	return b.String()
}

// rolesNode renders roles:, merging declarations as murder.yaml does
// (the same host and port is one host) and noting what it cannot keep.
func (c *converter) rolesNode() *yaml.Node {
	defPort := 22
	if n := c.ssh.get("port"); n != nil {
		defPort, _ = strconv.Atoi(n.Value)
	}
	var order []string
	byRole := map[string][]decl{}
	users := map[string]decl{}           // host -> the declaration naming its user
	seen := map[string]map[string]decl{} // role -> host -> declaration kept
	for _, d := range c.servers {
		key := hostKey(d.host, cmp.Or(d.port, defPort))
		if u, ok := users[key]; ok && d.user != "" && u.user != d.user {
			c.noteAt(d.at, "user %s conflicts with user %s given for %s at %s:%d: murder has one user per host, the first is kept",
				d.user, u.user, d.host, u.at.File, u.at.N)
			d.user = ""
		} else if d.user != "" && !ok {
			users[key] = d
		}
		if seen[d.role] == nil {
			seen[d.role] = map[string]decl{}
			order = append(order, d.role)
		}
		if k, dup := seen[d.role][key]; dup {
			if k.noRelease != d.noRelease {
				c.noteAt(d.at, "%s is already in role %s (%s:%d) with no_release %v: ignored", d.host, d.role, k.at.File, k.at.N, k.noRelease)
			}
			continue
		}
		if (d.role == roles.RoleTracker || d.role == roles.RoleSeeder) && len(byRole[d.role]) == 1 {
			c.noteAt(d.at, "Murder runs one %s: only the first server of role %s is kept", d.role, d.role)
			continue
		}
		seen[d.role][key] = d
		byRole[d.role] = append(byRole[d.role], d)
	}
	m := mapNode()
	for _, role := range order {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, d := range byRole[role] {
			seq.Content = append(seq.Content, d.node())
		}
		add(m, role, seq)
	}
	return m
}

// node renders a server: "[user@]host[:port]", or a mapping for no_release.
func (d decl) node() *yaml.Node {
	if !d.noRelease && !d.env && !d.primary && len(d.props) == 0 {
		n := strNode(d.String())
		n.LineComment = origin(d.at)
		return n
	}
	m := mapNode()
	host := strNode(d.host)
	host.LineComment = origin(d.at)
	add(m, "host", host)
	if d.user != "" {
		add(m, "user", strNode(d.user))
	}
	if d.port != 0 {
		add(m, "port", intNode(int64(d.port)))
	}
	if d.noRelease {
		add(m, "no_release", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if d.primary {
		add(m, "primary", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if len(d.props) > 0 {
		pm := mapNode()
		for _, p := range d.props {
			k, _ := p.key.text()
			add(pm, k, scalarNode(p.val))
		}
		add(m, "properties", pm)
	}
	return m
}

// finish renders murder.yaml and checks it with murder's own parser.
func (c *converter) finish() ([]byte, []Line, error) {
	c.cap3Defaults()
	rolesMap := c.rolesNode()
	notes := c.sortedNotes()
	names := strings.Join(c.names, ", ")
	if len(rolesMap.Content) == 0 {
		return nil, notes, fmt.Errorf("%s: no servers found: no role or server line could be translated"+
			" (servers may be declared in another file, such as config/deploy/STAGE.rb: convert it too)", names)
	}
	doc := mapNode()
	if len(c.set.entries) > 0 {
		add(doc, "set", c.set.node())
	}
	add(doc, "roles", rolesMap)
	if len(c.ssh.entries) > 0 {
		add(doc, "ssh", c.ssh.node())
	}
	if hooks := c.hooksNode(); hooks != nil {
		add(doc, "hooks", hooks)
	}
	body, err := marshal(doc)
	if err != nil {
		return nil, notes, fmt.Errorf("%s: render murder.yaml: %w", names, err)
	}
	if err := check(doc, c.pendingKeys); err != nil {
		return nil, notes, fmt.Errorf("%s: the translation is not a valid murder.yaml: %w", names, err)
	}
	var out bytes.Buffer
	writeHeader(&out, names, notes, c.sortedInfos())
	out.Write(body)
	return out.Bytes(), notes, nil
}

// cap3Defaults makes Capistrano 3's default deploy_to explicit: it
// differs from murder's (Capistrano 2's) /u/apps/APPLICATION.
func (c *converter) cap3Defaults() {
	if !c.cap3 || c.set.get("deploy_to") != nil {
		return
	}
	if c.deployToAt != nil {
		// Set but not understood (so listed as untranslated): the default
		// would deploy somewhere else without a word.
		c.noteAt(*c.deployToAt, "deploy_to left out of murder.yaml: Capistrano 3's default /var/www/APPLICATION is not assumed; set it by hand")
		return
	}
	app, ok := c.vars["application"].text()
	node := strNode("/var/www/" + app)
	if !ok || probe("set", "deploy_to", node) != "" {
		return
	}
	c.set.put(entry{key: "deploy_to", node: node, comment: "Capistrano 3's default, /var/www/APPLICATION"})
}

func (c *converter) hooksNode() *yaml.Node {
	m := mapNode()
	for i, which := range []string{"before", "after"} {
		if len(c.hooks[i].order) > 0 {
			add(m, which, c.hooks[i].node())
		}
	}
	if len(m.Content) == 0 {
		return nil
	}
	return m
}

func marshal(doc *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeHeader writes the comment block that opens the generated file.
func writeHeader(b *bytes.Buffer, names string, notes, infos []Line) {
	fmt.Fprintf(b, "# murder.yaml generated from %s by murder's Capfile import.\n", commentSafe(names))
	b.WriteString("# Review it before use (murder.yaml.example documents every key); the comment\n")
	b.WriteString("# beside each value names the line it was translated from.\n#\n")
	if len(infos) > 0 {
		b.WriteString("# Left out on purpose:\n")
		for _, n := range infos {
			fmt.Fprintf(b, "#   %s:%d: %s\n", commentSafe(n.File), n.N, commentSafe(n.Text))
			fmt.Fprintf(b, "#       %s\n", commentSafe(n.Why))
		}
		b.WriteString("#\n")
	}
	if len(notes) == 0 {
		b.WriteString("# Every line was translated.\n\n")
		return
	}
	fmt.Fprintf(b, "# Not translated (%d), with the reason:\n", len(notes))
	for _, n := range notes {
		fmt.Fprintf(b, "#   %s:%d: %s\n", commentSafe(n.File), n.N, commentSafe(n.Text))
		fmt.Fprintf(b, "#       %s\n", commentSafe(n.Why))
	}
	b.WriteString("\n")
}
