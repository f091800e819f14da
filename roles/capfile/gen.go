package capfile

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// goTask is a task translated to Go, or a target that says why not.
type goTask struct {
	def    *taskDef
	typ    string // Go type: Cap, CapDeploy, ...
	method string
	code   string // the body; "" when not translated
	why    string // why not translated
}

// goState is what the translation to Go collects.
type goState struct {
	tasks        []*taskDef
	goTasks      []*goTask
	pendingHooks []pendingHook
	goHooks      []pendingHook
	goVars       [][2]string       // DeclareVar name, default
	goArgs       [][2]string       // DeclareArg name, task
	goImports    map[string]bool   // standard packages the Go uses
	userSets     map[string][]Line // sets of a variable murder lacks, by name
	pendingKeys  map[string]bool   // set: keys roles.Parse does not know yet
	taskLines    int               // lines of Ruby tasks
	taskLinesGo  int               // of which translated to Go
}

// pendingHook is a hook kept until every task is known, since Ruby
// declares hooks before or after the tasks they name.
type pendingHook struct {
	i         int // 0 before, 1 after
	key, task string
	at        Line
}

// keepTask records a Ruby task for translation to Go; a later task of
// the same name replaces it, as in Capistrano 2.
func (c *converter) keepTask(st stmt, name string, b block, opts value, desc *stmt) *taskDef {
	td := &taskDef{name: name, opts: opts, body: split(b.body), first: st.first, last: st.last, file: c.cur}
	if desc != nil {
		td.first = desc.first
		p := &parser{sc: c, toks: dropNewlines(desc.toks[1:])}
		args, _ := p.args()
		if len(args) == 1 {
			td.desc, _ = args[0].text()
		}
	}
	for i, old := range c.tasks {
		if old.name == name {
			c.noteAt(Line{File: old.file.name, N: old.first, Text: old.file.text(old.first)},
				"task %s is defined again at %s:%d, which replaces it", name, c.cur.name, st.first)
			c.tasks = slices.Delete(c.tasks, i, i+1)
			break
		}
	}
	c.tasks = append(c.tasks, td)
	return td
}

// genTask keeps a task for Go: `task :x, opts do`, or Rake's
// `task x: [:a, :b] do` (prerequisites, invoked first). It reports
// whether it did.
func (c *converter) genTask(st stmt, b block, ns string, desc *stmt, name string, args []value, opts value) bool {
	var prereqs []string
	if name == "?" && len(args) == 0 && len(opts.pairs) == 1 {
		s, ok := opts.pairs[0].key.text()
		names, err := roleNames(opts.pairs[0].val)
		if !ok || err != nil {
			return false
		}
		name, prereqs, opts = qualify(s, ns), names, value{kind: vHash}
	}
	if name == "?" {
		return false
	}
	td := c.keepTask(st, name, b, opts, desc)
	td.prereqs, td.ns = prereqs, ns
	if len(args) > 1 {
		td.args, td.argsVar = rakeArgs(args[1:], st)
		if td.argsVar == "" {
			td.why = "task arguments not understood"
		}
	}
	return true
}

// rakeArgs reads Rake's `task :x, [:a, :b] do |t, args|`: the argument
// names and the block's name for them.
func rakeArgs(args []value, st stmt) ([]string, string) {
	var names []string
	for _, a := range args {
		n, err := roleNames(a)
		if err != nil {
			return nil, ""
		}
		names = append(names, n...)
	}
	for i := 0; i+4 < len(st.toks); i++ {
		t := st.toks[i:]
		if t[0].kind == kIdent && t[0].text == "do" && t[1].text == "|" && t[3].text == "," && t[4].kind == kIdent {
			return names, t[4].text
		}
	}
	return nil, ""
}

// hookTask keeps the block of a hook as a task: Capistrano 3's
// `after :restart, :clear_cache do` defines clear_cache; Capistrano 2's
// `after "deploy:restart" do` an unnamed task, named here after the hook.
func (c *converter) hookTask(st stmt, b block, ns string) bool {
	which := b.head[0].text
	p := &parser{sc: c, toks: b.head[1:]}
	args, opts := p.args()
	if !p.done() || len(opts.pairs) > 0 || len(args) == 0 || len(args) > 2 {
		return false
	}
	var names []string
	for _, a := range args {
		s, ok := a.text()
		if !ok {
			return false
		}
		if c.cap3 || a.kind == vSymbol {
			s = qualify(s, ns)
		}
		names = append(names, s)
	}
	if len(names) == 1 {
		base := which + "_" + strings.NewReplacer(":", "_", "-", "_").Replace(names[0])
		name := base
		for i := 2; slices.ContainsFunc(c.tasks, func(t *taskDef) bool { return t.name == name }); i++ {
			name = base + "_" + strconv.Itoa(i)
		}
		names = append(names, name)
	}
	c.keepTask(st, names[1], b, value{kind: vHash}, nil)
	i := 0
	if which == "after" {
		i = 1
	}
	c.pendingHooks = append(c.pendingHooks, pendingHook{i: i, key: names[0], task: names[1], at: c.at(st.first)})
	return true
}

// translate turns the kept tasks into Go and places the hooks: in Go when
// they name a Ruby task, in murder.yaml otherwise.
func (c *converter) translate() {
	g := &gexpr{c: c, vars: map[string]bool{}, defaults: map[string]string{}}
	names := map[string]map[string]bool{}
	for _, td := range c.tasks {
		gt := &goTask{def: td, typ: typeName(td.name)}
		gt.method = methodName(td.name, names[gt.typ])
		if names[gt.typ] == nil {
			names[gt.typ] = map[string]bool{}
		}
		names[gt.typ][gt.method] = true
		if c.opts.Tasks != nil && c.knownTask(td.name) {
			c.infos = append(c.infos, Line{File: td.file.name, N: td.first, Text: td.file.text(td.first),
				Why: fmt.Sprintf("task %s has the name of one of murder's own tasks: the Go target is registered under it", td.name)})
		}
		g.locals, g.argsVar = map[string]string{}, td.argsVar
		for _, a := range td.args {
			c.goArgs = append(c.goArgs, [2]string{a, td.name})
		}
		t := &gtask{c: c, g: g}
		sel, err := cap2Selection(td.opts, c, "")
		if err == nil && td.why != "" {
			err = errors.New(td.why)
		}
		if err == nil {
			t.sel = sel
			t.prereqs(td)
			err = t.body(td.body)
		}
		lines := td.last - td.first + 1
		c.taskLines += lines
		if err != nil {
			gt.why = err.Error()
			c.notes = append(c.notes, Line{File: td.file.name, N: td.first, Text: td.file.text(td.first),
				Why: fmt.Sprintf("lines %d-%d: task %s not translated to Go: %s", td.first, td.last, td.name, gt.why)})
		} else {
			gt.code = t.out.String()
			c.taskLinesGo += lines
		}
		c.goTasks = append(c.goTasks, gt)
	}
	c.placeHooks()
	c.declareVars(g.vars, g.defaults)
}

// placeHooks puts each hook naming a Ruby task into Go, the others into murder.yaml.
func (c *converter) placeHooks() {
	ruby := func(name string) bool {
		return slices.ContainsFunc(c.tasks, func(t *taskDef) bool { return canonical(t.name) == canonical(name) })
	}
	for _, h := range c.pendingHooks {
		if ruby(h.key) || ruby(h.task) {
			c.goHooks = append(c.goHooks, h)
			continue
		}
		if why := c.addHook(h.i, h.key, h.task, h.at); why != "" {
			c.noteAt(h.at, "%s", why)
		}
	}
}

// declareVars puts the variables the tasks fetch into murder.yaml's set:
// and the generated init, unless murder has them.
func (c *converter) declareVars(used map[string]bool, defaults map[string]string) {
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range used {
			if !yield(k) {
				return
			}
		}
	}) {
		if _, ok := varKinds[name]; ok {
			continue
		}
		def := defaults[name]
		if v, ok := scalar(c.vars[name]); ok {
			def = strings.ReplaceAll(v, "$$", "$")
		}
		c.goVars = append(c.goVars, [2]string{name, def})
		if ats := c.userSets[name]; len(ats) > 0 && c.vars[name].kind != vBad {
			c.notes = slices.DeleteFunc(c.notes, func(l Line) bool {
				return slices.ContainsFunc(ats, func(at Line) bool { return l.File == at.File && l.N == at.N })
			})
			c.set.put(entry{key: name, node: strNode(def), at: ats[len(ats)-1]})
			c.pendingKeys[name] = true
		}
	}
}

// typeName is the mage namespace type of a task: Cap + its namespace.
func typeName(task string) string {
	parts := strings.Split(task, ":")
	return "Cap" + camel(strings.Join(parts[:len(parts)-1], "_"))
}

// methodName is a task's mage target name, unique within its type.
func methodName(task string, taken map[string]bool) string {
	parts := strings.Split(task, ":")
	m := camel(parts[len(parts)-1])
	if m == "" || !unicode.IsLetter([]rune(m)[0]) {
		m = "Task" + m
	}
	base := m
	for i := 2; taken[m]; i++ {
		m = base + strconv.Itoa(i)
	}
	return m
}

// camel turns update_code or web-disable into UpdateCode, WebDisable.
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case !(unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII:
			up = true
		case up:
			b.WriteRune(unicode.ToUpper(r))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// goFile renders the Go file; nil when there is no task nor hook.
func (c *converter) goFile() ([]byte, error) {
	if len(c.goTasks) == 0 && len(c.goHooks) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	c.goHeader(&b)
	b.WriteString("func init() {\n")
	for _, v := range c.goVars {
		fmt.Fprintf(&b, "tasks.DeclareVar(%q, %s)\n", v[0], strconv.Quote(v[1]))
	}
	for _, a := range c.goArgs {
		fmt.Fprintf(&b, "tasks.DeclareArg(%q, \"\", %s)\n", a[0], strconv.Quote("argument of "+a[1]))
	}
	for _, gt := range c.goTasks {
		fmt.Fprintf(&b, "tasks.Register(%s, %s{}.%s)\n", strconv.Quote(gt.def.name), gt.typ, gt.method)
	}
	for _, h := range c.goHooks {
		fmt.Fprintf(&b, "tasks.%s(%s, %s) // %s\n", [2]string{"Before", "After"}[h.i], strconv.Quote(h.key), strconv.Quote(h.task), origin(h.at))
	}
	b.WriteString("}\n")
	for _, gt := range c.goTasks {
		c.goTarget(&b, gt)
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: generated Go does not parse (a bug in murder's Capfile import): %w", strings.Join(c.names, ", "), err)
	}
	return out, nil
}

// goHeader writes the build tag, the package, the imports and the types.
func (c *converter) goHeader(b *bytes.Buffer) {
	fmt.Fprintf(b, "//go:build mage\n\n// Capistrano tasks translated by murder's Capfile import from\n// %s.\n", commentSafe(strings.Join(c.names, ", ")))
	b.WriteString("// Review them before use: each target names the Ruby it comes from, and a\n// task that could not be translated returns an error until it is written in Go.\n\n")
	b.WriteString("package main\n\nimport (\n\"context\"\n")
	for _, t := range c.goTasks {
		if t.code == "" {
			c.goImports["errors"] = true
		}
	}
	for _, imp := range []string{"errors", "fmt", "os", "time"} {
		if c.goImports[imp] {
			fmt.Fprintf(b, "%q\n", imp)
		}
	}
	b.WriteString("\n\"github.com/magefile/mage/mg\"\n\n\"github.com/murderfleet/murder/tasks\"\n)\n\n")
	var types []string
	for _, t := range c.goTasks {
		if !slices.Contains(types, t.typ) {
			types = append(types, t.typ)
		}
	}
	if len(types) == 0 {
		b.WriteString("var _ mg.Namespace // no task: only hooks\n\n")
	}
	for _, typ := range types {
		ns := strings.Join(strings.Split(c.taskOfType(typ), ":")[0:strings.Count(c.taskOfType(typ), ":")], ":")
		if ns == "" {
			fmt.Fprintf(b, "// %s holds the Capistrano tasks outside any namespace.\ntype %s mg.Namespace\n\n", typ, typ)
		} else {
			fmt.Fprintf(b, "// %s holds the Capistrano tasks of namespace %s.\ntype %s mg.Namespace\n\n", typ, ns, typ)
		}
	}
}

func (c *converter) taskOfType(typ string) string {
	for _, t := range c.goTasks {
		if t.typ == typ {
			return t.def.name
		}
	}
	return ""
}

// goTarget writes one task's method.
func (c *converter) goTarget(b *bytes.Buffer, gt *goTask) {
	td := gt.def
	where := fmt.Sprintf("%s:%d", td.file.name, td.first)
	fmt.Fprintf(b, "\n// %s runs Capistrano task %s (%s)", gt.method, td.name, commentSafe(where))
	if td.desc != "" {
		fmt.Fprintf(b, ": %s", commentSafe(strings.ReplaceAll(td.desc, "\n", " ")))
	}
	b.WriteString(".\n")
	if gt.code != "" {
		fmt.Fprintf(b, "func (%s) %s(ctx context.Context) error {\n%s}\n", gt.typ, gt.method, gt.code)
		return
	}
	fmt.Fprintf(b, "// It was not translated: %s. The Ruby:\n//\n", commentSafe(gt.why))
	for n := td.first; n <= td.last && n <= len(td.file.lines); n++ {
		fmt.Fprintf(b, "//\t%s\n", commentSafe(strings.TrimRight(td.file.lines[n-1], " \t\r")))
	}
	msg := fmt.Sprintf("%s was not translated from %s; see the Ruby in the comment above", td.name, where)
	fmt.Fprintf(b, "func (%s) %s(ctx context.Context) error {\nreturn errors.New(%s)\n}\n", gt.typ, gt.method, strconv.Quote(msg))
}
