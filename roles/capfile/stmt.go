package capfile

import (
	"fmt"
	"slices"
	"strings"
)

// stmts translates a list of statements; ns is the enclosing namespace
// ("deploy" inside `namespace :deploy do`), which qualifies task names.
func (c *converter) stmts(list []stmt, ns string) {
	for i := 0; i < len(list); i++ {
		st := list[i]
		if callName(st) == "desc" && i+1 < len(list) && callName(list[i+1]) == "task" {
			c.task(list[i+1], ns, &st)
			i++
			continue
		}
		c.stmt(st, ns)
	}
}

// callName returns the method a statement starts with, if it starts with
// a bare identifier that is not assigned to.
func callName(st stmt) string {
	if len(st.toks) == 0 || st.toks[0].kind != kIdent {
		return ""
	}
	if st.toks[0].text == "Dir" && len(st.toks) > 1 && st.toks[1].text == "." {
		return "Dir" // Dir.glob(...).each { |f| import f }
	}
	if len(st.toks) > 1 && st.toks[1].kind == kPunct && !slices.Contains([]string{"(", "[", "*", "-", "->", "::"}, st.toks[1].text) {
		if st.toks[1].text != "{" || !st.toks[1].space {
			return "" // an assignment, operator or method chain
		}
	}
	return st.toks[0].text
}

// handlers translate the statements starting with a known method. They
// are set in init because namespace handling refers back to them.
var handlers map[string]func(c *converter, st stmt, b block, ns string)

func init() {
	handlers = map[string]func(*converter, stmt, block, string){
		"set":              (*converter).setStmt,
		"role":             (*converter).role,
		"server":           (*converter).server,
		"before":           (*converter).hook,
		"after":            (*converter).hook,
		"namespace":        (*converter).namespace,
		"task":             func(c *converter, st stmt, _ block, ns string) { c.task(st, ns, nil) },
		"load":             (*converter).load,
		"require":          (*converter).load,
		"require_relative": (*converter).load,
		"import":           (*converter).load,
		"ssh_options":      (*converter).sshOptionsStmt,
		"append":           (*converter).appendStmt,
		"remove":           (*converter).appendStmt,
		"Dir":              (*converter).globLoad,
	}
}

// fixed are statements translated to nothing, with the reason.
var fixed = map[string]string{
	"lock":                "Capistrano version lock: not needed by murder",
	"install_plugin":      "Capistrano plugin: not needed by murder",
	"desc":                "description of a task that does not follow it",
	"default_run_options": "murder runs remote commands without a pty and with the user's shell",
	"ask":                 "asks a question when cap runs: write the answer into murder.yaml",
	"def":                 "Ruby method definition: murder.yaml holds no code",
	"if":                  "conditional: murder.yaml has no conditions; keep the branch you use",
	"unless":              "conditional: murder.yaml has no conditions; keep the branch you use",
	"case":                "conditional: murder.yaml has no conditions; keep the branch you use",
	"on":                  "runs commands on servers: murder runs only its own tasks",
	"run":                 "runs commands on servers: murder runs only its own tasks",
	"execute":             "runs commands on servers: murder runs only its own tasks",
	"invoke":              "invokes a task while Capfile is read: murder runs tasks only when asked",
	"puts":                "prints while Capfile is read",
	"logger":              "Capistrano logging: murder has its own output",
}

// stmt translates one statement.
func (c *converter) stmt(st stmt, ns string) {
	for i := range st.toks {
		if why := st.toks[i].bad; why != "" {
			c.untranslated(st, why)
			return
		}
	}
	st = setLabel(st)
	name := callName(st)
	if h := handlers[name]; h != nil {
		h(c, st, cut(st), ns)
		return
	}
	if why, ok := fixed[name]; ok {
		if dropped[why] {
			c.drop(st, why)
			return
		}
		c.untranslated(st, why)
		return
	}
	if isAssign(st) {
		c.assign(st)
		return
	}
	c.untranslated(st, genericWhy(st))
}

// genericWhy explains why an unrecognised statement is not translated.
func genericWhy(st stmt) string {
	has := func(names ...string) bool {
		return slices.ContainsFunc(st.toks, func(t token) bool { return t.kind == kIdent && slices.Contains(names, t.text) })
	}
	switch {
	case has("load", "require", "import"):
		return "loads files: convert those files too"
	case has("ENV"):
		return "reads environment variables (ENV), known only when cap runs"
	case has("each", "each_with_index", "times", "map"):
		return "Ruby loop: write out the servers or settings it produces"
	}
	return "Ruby code: murder.yaml holds only roles, variables, SSH settings and hooks"
}

// isAssign recognises `name = value`.
func isAssign(st stmt) bool {
	t := st.toks
	return len(t) > 2 && t[0].kind == kIdent && t[1].kind == kPunct && t[1].text == "=" && !keywords[t[0].text]
}

// assign evaluates `name = literal`, so later lines may use name.
func (c *converter) assign(st stmt) {
	toks := dropNewlines(st.toks)
	p := &parser{sc: c, toks: toks[2:]}
	v := p.expr()
	if !p.done() {
		v = bad(st.first, "Ruby expression %s", snippet(toks[2:]))
	}
	c.locals[toks[0].text] = v
	if v.kind == vBad {
		c.untranslated(st, "value not understood: "+v.why)
	}
}

// call parses a statement's arguments. A block or a trailing modifier
// (`if ...`) makes it untranslated: ok is false and the reason recorded.
func (c *converter) call(st stmt, b block, what string) (args []value, opts value, ok bool) {
	if b.has {
		c.untranslated(st, what+" with a Ruby block: not translated")
		return nil, value{}, false
	}
	p := &parser{sc: c, toks: b.head[1:]}
	args, opts = p.args()
	if !p.done() {
		t := p.peek()
		why := "Ruby expression " + snippet(p.toks[p.pos:])
		if t.kind == kIdent && stops[t.text] {
			why = fmt.Sprintf("conditional (%s): murder.yaml has no conditions; keep the line if it applies", snippet(p.toks[p.pos:]))
		}
		c.untranslated(st, why)
		return nil, value{}, false
	}
	return args, opts, true
}

// namespace translates the statements of `namespace :name do ... end`.
func (c *converter) namespace(st stmt, b block, ns string) {
	if !b.has {
		c.untranslated(st, "namespace without a block")
		return
	}
	p := &parser{sc: c, toks: b.head[1:]}
	args, _ := p.args()
	name, ok := "", len(args) == 1 && p.done()
	if ok {
		name, ok = args[0].text()
	}
	if !ok || name == "" {
		c.untranslated(st, "namespace name not understood")
		return
	}
	if strings.Count(ns, ":") >= maxNamespaces {
		c.untranslated(st, "namespaces nested too deeply")
		return
	}
	c.stmts(split(b.body), qualify(name, ns))
}

// maxNamespaces bounds namespace nesting: each level splits its body again.
const maxNamespaces = 16

// qualify names a task inside namespace ns, as Capistrano 3 resolves
// `after :publishing, :restart` inside `namespace :deploy`.
func qualify(name, ns string) string {
	if ns == "" || strings.Contains(name, ":") {
		return name
	}
	return ns + ":" + name
}

// task records a Ruby task (with its desc) as not translated, except the
// simple Capistrano 2 restart task, which becomes restart_command.
func (c *converter) task(st stmt, ns string, desc *stmt) {
	b := cut(st)
	p := &parser{sc: c, toks: b.head[1:]}
	args, opts := p.args()
	name := "?"
	if len(args) > 0 {
		if s, ok := args[0].text(); ok {
			name = qualify(s, ns)
		}
	}
	whole := st
	if desc != nil {
		whole.first, whole.toks = desc.first, append(slices.Clone(desc.toks), st.toks...)
	}
	if name == "deploy:restart" && b.has && (c.restartTask(st, b, args, opts) || c.gen && c.restartTask3(st, b, args, opts)) {
		return
	}
	if c.gen && b.has && c.genTask(st, b, ns, desc, name, args, opts) {
		return
	}
	why := fmt.Sprintf("task %s: Ruby tasks are not translated", name)
	if strings.HasSuffix(name, ":restart") {
		why += " (set restart_command in murder.yaml to the command it runs)"
	}
	c.untranslated(whole, why)
}

// restartTask translates a restart task that runs one command on the
// app servers: `task :restart, :roles => :app do run "..." end`.
func (c *converter) restartTask(st stmt, b block, args []value, opts value) bool {
	if len(args) != 1 {
		return false
	}
	for _, pr := range opts.pairs {
		k, _ := pr.key.text()
		v, _ := pr.val.text()
		_, noRelease := pr.val.get("no_release")
		if !(k == "roles" && v == "app" || k == "except" && noRelease && len(pr.val.pairs) == 1) {
			return false
		}
	}
	body := split(b.body)
	if len(body) != 1 {
		return false
	}
	cmd := callName(body[0])
	if cmd != "run" && cmd != "sudo" {
		return false
	}
	p := &parser{sc: c, toks: dropNewlines(body[0].toks[1:])}
	cargs, copts := p.args()
	if !p.done() || len(cargs) != 1 || len(copts.pairs) > 0 || cargs[0].kind != vString {
		return false
	}
	command := cargs[0].s
	if cmd == "sudo" {
		command = "sudo " + command
	}
	return c.setVar(c.at(st.first), "restart_command", value{kind: vString, s: command, line: st.first}) == ""
}

// setLabel reads `set:keep_releases, 5`, which Ruby takes as set(:keep_releases, 5)
// but the lexer as the label set: and a name.
func setLabel(st stmt) stmt {
	t := st.toks
	if len(t) < 2 || t[0].kind != kLabel || t[0].text != "set" || t[1].kind != kIdent || t[1].space {
		return st
	}
	toks := append([]token{{kind: kIdent, text: "set", raw: "set", line: t[0].line, endLine: t[0].line, space: true}},
		token{kind: kSymbol, text: t[1].text, raw: ":" + t[1].raw, line: t[1].line, endLine: t[1].line})
	st.toks = append(toks, t[2:]...)
	return st
}
