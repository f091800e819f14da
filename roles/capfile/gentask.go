package capfile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// taskDef is a Ruby task kept for translation to Go.
type taskDef struct {
	name        string // Capistrano name, namespace included
	desc        string
	opts        value  // Capistrano 2 options (:roles, :once, ...)
	body        []stmt // the block's statements
	first, last int    // source lines, desc included
	file        *file
	ns          string   // the enclosing namespace
	prereqs     []string // Rake prerequisites, invoked first
	why         string   // set: not translatable, whatever the body
	args        []string // Rake task arguments
	argsVar     string   // the block's name for them (|t, args|)
}

// gtask translates one task's body.
type gtask struct {
	c   *converter
	g   *gexpr
	sel string // the task's own selection (Capistrano 2)
	out strings.Builder
}

// line writes one line of Go; go/format indents it later.
func (t *gtask) line(format string, args ...any) { fmt.Fprintf(&t.out, format+"\n", args...) }

// onOpen and onClose bracket host code run by tasks.On.
const (
	onOpen  = "if err := tasks.On(ctx, %s, func(ctx context.Context, h *tasks.Host) error {"
	onClose = "return nil\n}); err != nil {\nreturn err\n}"
)

// hostCalls are the Capistrano 2 commands that run on the task's servers.
var hostCalls = map[string]bool{"run": true, "sudo": true, "try_sudo": true, "put": true, "upload": true, "download": true,
	"execute": true, "upload!": true, "download!": true}

// body translates the task's statements at task level.
func (t *gtask) body(list []stmt) error {
	open := "" // the selection of the tasks.On group being written
	chunks := 0
	closeGroup := func() {
		if open != "" {
			t.line(onClose)
			open = ""
		}
	}
	defer func() { t.single(chunks) }()
	for _, st := range list {
		name := callName(st)
		if name == "" && isAssign(st) && len(st.toks) > 2 && st.toks[2].text == "capture" {
			closeGroup()
			if err := t.cap2Capture(st); err != nil {
				return err
			}
			continue
		}
		if hostCalls[name] {
			sel, rest, err := t.cap2Sel(st)
			if err != nil {
				return err
			}
			if sel != open {
				closeGroup()
				chunks++
				t.line(onOpen, sel)
				open = sel
			}
			if err := t.hostStmt(stmt{toks: rest, first: st.first, last: st.last}); err != nil {
				return err
			}
			continue
		}
		closeGroup()
		chunks += 2
		if strings.HasPrefix(st.toks[0].text, "on") && len(st.toks[0].text) == 2 {
			chunks--
		}
		if err := t.taskStmt(st, name); err != nil {
			return err
		}
	}
	closeGroup()
	t.line("return nil")
	return nil
}

// single rewrites a body that is one tasks.On call as `return tasks.On(...)`.
func (t *gtask) single(chunks int) {
	s := t.out.String()
	tail := onClose + "\nreturn nil\n"
	if chunks != 1 || !strings.HasPrefix(s, "if err := tasks.On(") || !strings.HasSuffix(s, tail) {
		return
	}
	t.out.Reset()
	t.out.WriteString("return tasks.On(" + strings.TrimPrefix(strings.TrimSuffix(s, tail), "if err := tasks.On(") + "return nil\n})\n")
}

// taskStmt translates a statement at task level that is not a host command.
func (t *gtask) taskStmt(st stmt, name string) error {
	b := cut(st)
	switch {
	case name == "on" && b.has && !b.brace:
		sel, err := t.cap3Sel(b.head[1:])
		if err != nil {
			return err
		}
		t.line(onOpen, sel)
		t.g.host = true
		defer func() { t.g.host = false }()
		if err := t.hostStmts(split(b.body)); err != nil {
			return err
		}
		t.line(onClose)
		return nil
	case name == "run_locally" && b.has:
		return t.localStmts(split(b.body))
	case name == "run_locally":
		args, err := t.g.list(b.head[1:])
		if err != nil || len(args) != 1 {
			return fmt.Errorf("run_locally not understood")
		}
		t.check("tasks.Local(ctx, \"sh\", \"-c\", %s)", args[0])
		return nil
	case (name == "invoke" || name == "invoke!" || name == "find_and_execute_task") && !b.has:
		args, err := t.g.list(b.head[1:])
		if err != nil || len(args) != 1 {
			return fmt.Errorf("%s not understood", name)
		}
		t.check("tasks.Invoke(ctx, %s)", args[0])
		return nil
	}
	return fmt.Errorf("line %d: %s is not translated", st.first, clip(st.toks[0].raw))
}

// prereqs invokes a Rake task's prerequisites, resolved as Rake does:
// in the task's namespace first.
func (t *gtask) prereqs(td *taskDef) {
	for _, p := range td.prereqs {
		name := p
		if q := qualify(p, td.ns); slices.ContainsFunc(t.c.tasks, func(d *taskDef) bool { return d.name == q }) {
			name = q
		}
		t.check("tasks.Invoke(ctx, %s)", strconv.Quote(name))
	}
}

// check writes a call whose error ends the task.
func (t *gtask) check(format string, args ...any) {
	t.line("if err := "+format+"; err != nil {\nreturn err\n}", args...)
}

// localStmts translates Capistrano 3's run_locally block.
func (t *gtask) localStmts(list []stmt) error {
	for _, st := range list {
		name, b := callName(st), cut(st)
		if b.has {
			return fmt.Errorf("line %d: %s with a block inside run_locally", st.first, name)
		}
		switch name {
		case "execute":
			argv, err := t.argv(b.head[1:])
			if err != nil {
				return err
			}
			t.check("tasks.Local(ctx, %s)", strings.Join(argv, ", "))
		case "info", "debug", "warn", "error":
			args, err := t.g.list(b.head[1:])
			if err != nil || len(args) != 1 {
				return fmt.Errorf("line %d: %s not understood", st.first, name)
			}
			t.c.goImports["fmt"] = true
			t.line("fmt.Println(%s)", args[0])
		default:
			return fmt.Errorf("line %d: %s inside run_locally is not translated", st.first, clip(st.toks[0].raw))
		}
	}
	return nil
}

// argv translates the words of execute, capture or test. A first word
// that is a string with spaces is a shell line, as SSHKit runs it.
func (t *gtask) argv(toks []token) ([]string, error) {
	args, err := t.g.list(toks)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("command without words")
	}
	first := splitArgs(dropNewlines(toks))[0]
	if first[0].kind == kString && shellLine(first[0]) {
		return []string{`"sh"`, `"-c"`, strings.Join(args, ` + " " + `)}, nil
	}
	return args, nil
}

// shellLine reports whether a string's literal text holds spaces.
func shellLine(t token) bool {
	for _, p := range t.parts {
		if !p.interp && strings.ContainsAny(p.lit, " \t\n") {
			return true
		}
	}
	return false
}

// cap2Capture translates Capistrano 2's `x = capture("cmd")`, run on
// the first of the task's servers.
func (t *gtask) cap2Capture(st stmt) error {
	toks := dropNewlines(st.toks)
	args, err := t.g.list(toks[3:])
	if err != nil || len(args) != 1 {
		return fmt.Errorf("line %d: capture not understood", st.first)
	}
	v := goName(toks[0].text)
	t.line("var %s string", v)
	once := t.sel
	if !strings.HasSuffix(once, ".Once()") {
		once += ".Once()"
	}
	t.line("if err := tasks.On(ctx, %s, func(ctx context.Context, h *tasks.Host) error {", once)
	t.line("var err error\n%s, err = h.Capture(ctx, \"sh\", \"-c\", %s)\nreturn err\n}); err != nil {\nreturn err\n}", v, args[0])
	t.line("_ = %s", v)
	t.g.locals[toks[0].text] = v
	return nil
}

// goName makes a Ruby local a Go variable that cannot collide with the
// names generated code uses.
func goName(s string) string {
	switch s {
	case "ctx", "h", "err", "ok", "tasks", "errors", "context", "time", "os", "fmt", "mg":
		return s + "_"
	}
	if goKeywords[s] {
		return s + "_"
	}
	return s
}

var goKeywords = map[string]bool{"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true, "goto": true, "if": true,
	"import": true, "interface": true, "map": true, "package": true, "range": true, "return": true, "select": true,
	"struct": true, "switch": true, "type": true, "var": true, "string": true, "nil": true, "true": true, "false": true}

// quoteList renders names as Go string literals.
func quoteList(names []string) string {
	var q []string
	for _, n := range names {
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}
