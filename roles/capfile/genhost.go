package capfile

import (
	"fmt"
	"strconv"
	"strings"
)

// hostStmts translates statements run for each host (h in scope).
func (t *gtask) hostStmts(list []stmt) error {
	for _, st := range list {
		if err := t.hostStmt(st); err != nil {
			return err
		}
	}
	return nil
}

// hostStmt translates one statement run for each host.
func (t *gtask) hostStmt(st stmt) error {
	t.g.host = true
	toks := st.toks
	if k := modifier(toks); k > 0 { // `execute ... if test(...)`
		body := stmt{toks: toks[:k], first: st.first, last: st.last}
		return t.hostIf(toks[k].text == "unless", toks[k+1:], []stmt{body}, nil)
	}
	name, b := callName(st), cut(st)
	if name == "" && isAssign(st) {
		return t.hostAssign(st)
	}
	if name == "if" || name == "unless" {
		return t.ifBlock(st, name == "unless")
	}
	if b.has {
		return t.hostBlock(st, name, b)
	}
	args := b.head[1:]
	switch name {
	case "run", "sudo", "try_sudo", "execute":
		return t.command(st, name, args)
	case "upload", "upload!", "download", "download!", "put":
		return t.transfer(st, name, args)
	case "invoke", "invoke!":
		task, err := t.g.list(args)
		if err != nil || len(task) != 1 {
			return fmt.Errorf("line %d: invoke not understood", st.first)
		}
		t.check("tasks.Invoke(ctx, %s)", task[0])
	case "info", "debug", "warn", "error":
		msg, err := t.g.list(args)
		if err != nil || len(msg) != 1 {
			return fmt.Errorf("line %d: %s not understood", st.first, name)
		}
		t.line("h.Info(%s)", msg[0])
	default:
		return fmt.Errorf("line %d: %s is not translated", st.first, clip(st.toks[0].raw))
	}
	return nil
}

// command translates Capistrano 2's run and sudo (one shell line) and
// Capistrano 3's execute (words, or a shell line).
func (t *gtask) command(st stmt, name string, args []token) error {
	if name == "execute" {
		argv, err := t.argv(args)
		if err != nil {
			return fmt.Errorf("line %d: execute: %v", st.first, err)
		}
		if len(argv) == 3 && argv[0] == `"sh"` && argv[1] == `"-c"` {
			t.check("h.Run(ctx, %s)", argv[2])
		} else {
			t.check("h.Execute(ctx, %s)", strings.Join(argv, ", "))
		}
		return nil
	}
	line, err := t.g.list(args)
	if err != nil || len(line) != 1 {
		return fmt.Errorf("line %d: %s not understood: %v", st.first, name, err)
	}
	as := ""
	if name != "run" {
		as = `.As("root")`
	}
	t.check("h%s.Run(ctx, %s)", as, line[0])
	return nil
}

// transfer translates upload, download and put.
func (t *gtask) transfer(st stmt, name string, args []token) error {
	a, err := t.g.list(args)
	if err != nil || len(a) != 2 {
		return fmt.Errorf("line %d: %s not understood (%v)", st.first, name, err)
	}
	switch strings.TrimSuffix(name, "!") {
	case "upload":
		t.check("h.Upload(ctx, %s, %s)", a[0], a[1])
	case "download":
		t.check("h.Download(ctx, %s, %s)", a[0], a[1])
	default:
		t.check("h.Put(ctx, []byte(%s), %s)", a[0], a[1])
	}
	return nil
}

// hostAssign translates `x = capture(...)`.
func (t *gtask) hostAssign(st stmt) error {
	toks := dropNewlines(st.toks)
	if len(toks) < 4 || toks[2].text != "capture" || t.g.locals[toks[0].text] != "" {
		return fmt.Errorf("line %d: Ruby assignment %s", st.first, snippet(toks))
	}
	argv, err := t.argv(toks[3:])
	if err != nil {
		return fmt.Errorf("line %d: capture: %v", st.first, err)
	}
	v := goName(toks[0].text)
	t.line("%s, err := h.Capture(ctx, %s)\nif err != nil {\nreturn err\n}\n_ = %s", v, strings.Join(argv, ", "), v)
	t.g.locals[toks[0].text] = v
	return nil
}

// hostBlock translates within, with and as blocks.
func (t *gtask) hostBlock(st stmt, name string, b block) error {
	var call string
	switch name {
	case "within":
		dir, err := t.g.list(b.head[1:])
		if err != nil || len(dir) != 1 {
			return fmt.Errorf("line %d: within not understood (%v)", st.first, err)
		}
		call = ".Within(" + dir[0] + ")"
	case "with", "as":
		pairs, err := t.labelPairs(b.head[1:])
		if err != nil {
			return fmt.Errorf("line %d: %s: %v", st.first, name, err)
		}
		for _, kv := range pairs {
			switch {
			case name == "with":
				call += ".With(" + strconv.Quote(strings.ToUpper(kv[0])) + ", " + kv[1] + ")" // SSHKit upcases the names
			case kv[0] == "user" || kv[0] == "":
				call += ".As(" + kv[1] + ")"
			default:
				return fmt.Errorf("line %d: as %s: not translated", st.first, kv[0])
			}
		}
	default:
		return fmt.Errorf("line %d: %s with a Ruby block is not translated", st.first, clip(st.toks[0].raw))
	}
	t.line("{\nh := h%s", call)
	if err := t.hostStmts(split(b.body)); err != nil {
		return err
	}
	t.line("}")
	return nil
}

// labelPairs reads `key: value, ...` (or one plain value, key "").
func (t *gtask) labelPairs(toks []token) ([][2]string, error) {
	var out [][2]string
	for _, arg := range splitArgs(dropNewlines(toks)) {
		key := ""
		if len(arg) > 1 && arg[0].kind == kLabel {
			key, arg = arg[0].text, arg[1:]
		}
		v, err := t.g.expr(arg)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{key, v})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no value")
	}
	return out, nil
}

// modifier finds a trailing top-level `if`/`unless`.
func modifier(toks []token) int {
	depth := 0
	for i, tk := range toks {
		switch {
		case tk.kind == kPunct && (tk.text == "(" || tk.text == "[" || tk.text == "{"):
			depth++
		case tk.kind == kPunct && (tk.text == ")" || tk.text == "]" || tk.text == "}"):
			depth--
		case tk.kind == kNewline:
			return 0
		case i > 0 && depth == 0 && tk.kind == kIdent && (tk.text == "if" || tk.text == "unless") && !afterDot(toks, i):
			return i
		}
	}
	return 0
}

// ifBlock translates `if test(...) ... [else ...] end`.
func (t *gtask) ifBlock(st stmt, negate bool) error {
	toks := st.toks
	nl := 1
	for nl < len(toks) && toks[nl].kind != kNewline && !(toks[nl].kind == kIdent && toks[nl].text == "then") {
		nl++
	}
	if nl >= len(toks) || toks[len(toks)-1].text != "end" {
		return fmt.Errorf("line %d: conditional not understood", st.first)
	}
	var yes, no []stmt
	for _, s := range split(toks[nl+1 : len(toks)-1]) {
		switch {
		case len(s.toks) == 1 && s.toks[0].text == "else":
			no = []stmt{}
		case callName(s) == "elsif":
			return fmt.Errorf("line %d: elsif not translated", s.first)
		case no != nil:
			no = append(no, s)
		default:
			yes = append(yes, s)
		}
	}
	return t.hostIf(negate, toks[1:nl], yes, no)
}

// hostIf writes a conditional on test(...).
func (t *gtask) hostIf(negate bool, cond []token, yes, no []stmt) error {
	cond = dropNewlines(cond)
	if len(cond) > 0 && cond[0].kind == kPunct && cond[0].text == "!" {
		negate, cond = !negate, cond[1:]
	}
	if len(cond) < 2 || cond[0].text != "test" {
		return fmt.Errorf("condition %s is not translated (only test(...) is)", snippet(cond))
	}
	argv, err := t.argv(cond[1:])
	if err != nil {
		return fmt.Errorf("test: %v", err)
	}
	not := ""
	if negate {
		not = "!"
	}
	t.line("if ok, err := h.Test(ctx, %s); err != nil {\nreturn err\n} else if %sok {", strings.Join(argv, ", "), not)
	if err := t.hostStmts(yes); err != nil {
		return err
	}
	if len(no) > 0 {
		t.line("} else {")
		if err := t.hostStmts(no); err != nil {
			return err
		}
	}
	t.line("}")
	return nil
}
