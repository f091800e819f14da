package capfile

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/murderfleet/murder/roles"
)

// varKinds maps murder's variables to their types, read from roles.Vars
// so that a variable added there is translated here too.
var varKinds = func() map[string]reflect.Kind {
	m := map[string]reflect.Kind{}
	t := reflect.TypeFor[roles.Vars]()
	for i := range t.NumField() {
		m[t.Field(i).Tag.Get("var")] = t.Field(i).Type.Kind()
	}
	return m
}()

// setStmt translates `set :name, value`.
func (c *converter) setStmt(st stmt, b block, _ string) {
	name := c.varName(b.head)
	if b.has {
		c.vars[name] = bad(st.first, "lazy value (block)")
		c.untranslated(st, "lazy value (block): murder.yaml needs the value itself")
		return
	}
	c.vars[name] = bad(st.first, "set not understood") // until it is
	if name == "deploy_to" {
		at := c.at(st.first)
		c.deployToAt = &at
	}
	args, opts, ok := c.call(st, b, "set")
	if !ok {
		return
	}
	var v value
	switch {
	case len(args) == 2 && len(opts.pairs) == 0:
		v = args[1]
	case len(args) == 1 && len(opts.pairs) > 0:
		v = opts // set :ssh_options, keys: [...], forward_agent: false
	default:
		c.untranslated(st, "set not understood")
		return
	}
	if _, ok := args[0].text(); !ok || name == "" {
		c.untranslated(st, "variable name not understood")
		return
	}
	v.line = lineOr(v.line, st.first)
	c.vars[name] = v
	if v.kind == vBad {
		c.untranslated(st, fmt.Sprintf("value of :%s not understood: %s", name, v.why))
		return
	}
	if why := c.setName(st, name, v); why != "" {
		c.untranslated(st, why)
	}
}

// varName peeks at the name of `set :name` or `set(:name`.
func (c *converter) varName(head []token) string {
	p := &parser{sc: c, toks: head[1:]}
	if p.is("(") {
		p.pos++
	}
	if t := p.peek(); t.kind == kSymbol || t.kind == kString {
		s, _ := p.primary().text()
		return s
	}
	return ""
}

// setName translates one Capistrano variable; it returns why not, if not.
func (c *converter) setName(st stmt, name string, v value) string {
	at := c.at(st.first)
	switch name {
	case "repo_url":
		c.cap3 = true
		return c.setVar(at, "repository", v)
	case "user", "port":
		if c.cap3 {
			c.userSets[name] = append(c.userSets[name], at)
			c.info(st, fmt.Sprintf("Capistrano 3 does not connect with :%s (give user and port per server, or in ssh:)", name))
			return ""
		}
		return c.sshSet(at, name, v)
	case "deploy_config_path", "stage_config_path", "stage_dir", "stages", "default_stage":
		if c.project {
			c.info(st, fmt.Sprintf(":%s tells where the configuration is: read", name))
			return ""
		}
	case "gateway", "max_hosts":
		return c.sshSet(at, name, v)
	case "linked_files", "linked_dirs":
		if c.gen {
			return c.setList(at, name, v)
		}
	case "ssh_options":
		return c.sshOptionsSet(st, v)
	case "deploy_via":
		if s, _ := v.text(); s != "murder" && s != "copy" {
			return fmt.Sprintf("deploy_via %s: murder deploys via murder (BitTorrent) or copy, building the release on this machine; there is no checkout on the servers", v.describe())
		}
	}
	if _, ok := varKinds[name]; ok {
		return c.setVar(at, name, v)
	}
	c.userSets[name] = append(c.userSets[name], at)
	return hint(name, v)
}

// setList records linked_files or linked_dirs, which murder.yaml is
// about to accept (roles.Parse does not know them yet: check skips them).
func (c *converter) setList(at Line, name string, v value) string {
	node := listNode(v)
	if node == nil {
		return fmt.Sprintf("%s: expected a list of paths, got %s", name, v.describe())
	}
	c.set.put(entry{key: name, node: node, at: at})
	c.pendingKeys[name] = true
	return ""
}

// sshOptionsSet translates `set :ssh_options, {...}`.
func (c *converter) sshOptionsSet(st stmt, v value) string {
	if v.kind != vHash {
		return "ssh_options: expected a hash, got " + v.describe()
	}
	// The new hash replaces the old one, with everything it set.
	c.ssh.drop(func(e entry) bool { return e.option })
	for _, p := range v.pairs {
		k, ok := p.key.text()
		line := lineOr(p.key.line, st.first)
		if !ok {
			c.note(line, "ssh option %s not understood", p.key.describe())
			continue
		}
		if why := c.sshOption(c.at(line), k, p.val); why != "" {
			c.note(line, "%s", why)
		}
	}
	return ""
}

// setVar records a murder variable, checked as murder.yaml would check it.
func (c *converter) setVar(at Line, name string, v value) string {
	var node *yaml.Node
	switch varKinds[name] {
	case reflect.String:
		if s, ok := scalar(v); ok {
			node = strNode(s)
		}
	case reflect.Int:
		if v.kind == vInt {
			node = intNode(v.n)
		}
	case reflect.Slice:
		node = listNode(v)
	}
	if node == nil {
		return fmt.Sprintf("%s: murder expects %s, got %s", name, kindName(varKinds[name]), v.describe())
	}
	if why := probe("set", name, node); why != "" {
		return fmt.Sprintf("%s: %s", name, why)
	}
	c.set.put(entry{key: name, node: node, at: at})
	return ""
}

// scalar converts strings, symbols and integers to text.
func scalar(v value) (string, bool) {
	if s, ok := v.text(); ok {
		return s, true
	}
	if v.kind == vInt {
		return strconv.FormatInt(v.n, 10), true
	}
	return "", false
}

// listNode converts a list of strings (or one string) to a sequence.
func listNode(v value) *yaml.Node {
	items := []value{v}
	if v.kind == vArray {
		items = v.list
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, it := range items {
		s, ok := scalar(it)
		if !ok {
			return nil
		}
		seq.Content = append(seq.Content, strNode(s))
	}
	return seq
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int:
		return "an integer"
	case reflect.Slice:
		return "a list of strings"
	}
	return "a string"
}

// appendStmt translates Capistrano 3's `append :linked_dirs, "log", "tmp/pids"`
// (and `remove`) for list variables.
func (c *converter) appendStmt(st stmt, b block, _ string) {
	c.cap3 = true
	p := &parser{sc: c, toks: b.head[1:]}
	args, _ := p.args()
	name := "?"
	if len(args) > 0 {
		name, _ = args[0].text()
	}
	old := c.vars[name]
	if !c.gen || name != "linked_files" && name != "linked_dirs" || !p.done() || len(args) < 2 || !(old.kind == vArray || old.kind == vNil || old.line == 0 && old.kind == vBad) {
		c.untranslated(st, hint(name, value{kind: vArray}))
		return
	}
	list := value{kind: vArray, line: st.first}
	if old.kind == vArray {
		list.list = slices.Clone(old.list)
	}
	for _, a := range args[1:] {
		if a.kind == vArray {
			list.list = append(list.list, a.list...)
		} else {
			list.list = append(list.list, a)
		}
	}
	if b.head[0].text == "remove" {
		list.list = slices.DeleteFunc(old.list, func(v value) bool {
			return slices.ContainsFunc(args[1:], func(a value) bool { return a.kind == v.kind && a.s == v.s })
		})
	}
	c.vars[name] = list
	if why := c.setList(c.at(st.first), name, list); why != "" {
		c.untranslated(st, why)
	}
}

// hints explain the Capistrano variables murder has no use for.
var hints = map[string]string{
	"linked_files":               "murder does not link shared files into releases",
	"linked_dirs":                "murder does not link shared directories into releases",
	"stage":                      "Capistrano stage name: a murder.yaml describes one stage",
	"stages":                     "Capistrano multistage: a murder.yaml describes one stage (convert each stage file)",
	"default_stage":              "Capistrano multistage: a murder.yaml describes one stage (convert each stage file)",
	"pty":                        "murder runs remote commands without a pty",
	"format":                     "output settings: murder has its own output",
	"format_options":             "output settings: murder has its own output",
	"log_level":                  "output settings: murder has its own output",
	"default_env":                "murder sets no remote environment variables",
	"default_shell":              "murder runs remote commands with the user's login shell",
	"shell":                      "murder runs remote commands with the user's login shell",
	"tmp_dir":                    "murder keeps its temporary files in default_temp_path",
	"copy_dir":                   "murder keeps its temporary files in default_temp_path",
	"copy_remote_dir":            "murder keeps its temporary files in default_temp_path",
	"copy_strategy":              "murder always packs the release into a .tgz",
	"copy_compression":           "murder always packs the release into a .tgz",
	"copy_cache":                 "murder builds the release from repository each time",
	"git_shallow_clone":          "murder takes the tree of branch from repository (shallow, no submodules)",
	"git_enable_submodules":      "murder takes the tree of branch from repository (shallow, no submodules)",
	"deploy_subdir":              "murder releases the whole tree of repository",
	"repo_tree":                  "murder releases the whole tree of repository",
	"rails_env":                  "murder runs no Rails, rake or bundler tasks",
	"migrate_env":                "murder runs no Rails, rake or bundler tasks",
	"assets_roles":               "murder runs no Rails, rake or bundler tasks",
	"normalize_asset_timestamps": "murder runs no Rails, rake or bundler tasks",
	"bundle_flags":               "murder runs no Rails, rake or bundler tasks",
	"bundle_without":             "murder runs no Rails, rake or bundler tasks",
	"group_writable":             "murder does not change permissions of releases",
	"runner":                     "murder runs every command as the SSH user",
	"admin_runner":               "murder runs every command as the SSH user",
	"password":                   "murder never uses passwords: use keys (ssh.identity_files or the ssh-agent)",
	"scm_passphrase":             "murder never uses passwords: use keys (ssh.identity_files or the ssh-agent)",
	"scm_username":               "murder reads repository with git as the local user",
}

// hint explains why variable name is not translated.
func hint(name string, v value) string {
	switch name {
	case "use_sudo":
		if v.kind == vBool && !v.b {
			return "not needed: murder does not use sudo"
		}
		return "murder does not run its commands with sudo (put sudo into restart_command if the restart needs it)"
	case "scm":
		if s, _ := v.text(); s == "git" {
			return "not needed: murder reads repository with git (or packs a plain directory)"
		}
		return "murder deploys from git repositories or plain directories only"
	}
	if h, ok := hints[name]; ok {
		return h
	}
	return fmt.Sprintf("murder has no variable :%s", name)
}
