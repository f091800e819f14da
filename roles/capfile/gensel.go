package capfile

import (
	"fmt"
	"strconv"
	"strings"
)

// cap2Sel returns the selection of a Capistrano 2 command (the task's,
// or the command's own :roles, :once, ... options) and the statement
// without those options.
func (t *gtask) cap2Sel(st stmt) (string, []token, error) {
	head := cut(st).head
	if cut(st).has {
		return "", nil, fmt.Errorf("line %d: %s with a Ruby block is not translated", st.first, head[0].text)
	}
	rest := []token{head[0]}
	var optToks []token
	for _, arg := range splitArgs(head[1:]) {
		if len(arg) > 0 && (arg[0].kind == kLabel || hasArrow(arg)) {
			optToks = append(append(optToks, arg...), token{kind: kPunct, text: ",", raw: ","})
			continue
		}
		if len(rest) > 1 {
			rest = append(rest, token{kind: kPunct, text: ",", raw: ","})
		}
		rest = append(rest, arg...)
	}
	if optToks == nil {
		return t.sel, rest, nil
	}
	p := &parser{sc: t.c, toks: optToks[:len(optToks)-1]}
	_, opts := p.args()
	sel, err := cap2Selection(opts, t.c, t.sel)
	if err != nil {
		return "", nil, fmt.Errorf("line %d: %v", st.first, err)
	}
	return sel, rest, nil
}

// cap2Selection translates Capistrano 2's task and command options into
// a tasks.Selection expression; base is used when :roles is not given.
func cap2Selection(opts value, c *converter, base string) (string, error) {
	sel := base
	var mods []string
	for _, p := range opts.pairs {
		k, _ := p.key.text()
		switch k {
		case "roles":
			names, err := roleNames(p.val)
			if err != nil {
				return "", err
			}
			sel = "tasks.Roles(" + quoteList(names) + ")"
		case "once":
			if p.val.kind == vBool && p.val.b {
				mods = append(mods, ".Once()")
			}
		case "max_hosts":
			if p.val.kind != vInt {
				return "", fmt.Errorf(":max_hosts %s not understood", p.val.describe())
			}
			mods = append(mods, fmt.Sprintf(".Limit(%d)", p.val.n))
		case "only", "except":
			m, err := propertyMods(k, p.val)
			if err != nil {
				return "", err
			}
			mods = append(mods, m...)
		case "on_error", "on_no_matching_servers", "shell", "pty", "via":
			// Capistrano's error and transport details: murder's own apply.
		default:
			return "", fmt.Errorf("option :%s is not translated", k)
		}
	}
	if sel == "" {
		sel = "tasks.Roles()"
	}
	// Filters first, then how many at once, as Capistrano applies them.
	return sel + strings.Join(mods, ""), nil
}

// roleNames reads :app, "app", [:app, :web] or %w(app web).
func roleNames(v value) ([]string, error) {
	items := []value{v}
	if v.kind == vArray {
		items = v.list
	}
	var out []string
	for _, it := range items {
		s, ok := it.text()
		if !ok {
			return nil, fmt.Errorf("role %s not understood", describeOrWhy(it))
		}
		if s != "all" {
			out = append(out, s)
		}
	}
	return out, nil
}

// propertyMods translates :only => {:primary => true} and :except => {:no_release => true}.
func propertyMods(k string, v value) ([]string, error) {
	if v.kind != vHash {
		return nil, fmt.Errorf(":%s %s not understood", k, v.describe())
	}
	var out []string
	for _, p := range v.pairs {
		name, ok := p.key.text()
		if !ok || p.val.kind != vBool || !p.val.b {
			return nil, fmt.Errorf(":%s => {%s => %s} not translated", k, p.key.describe(), p.val.describe())
		}
		switch {
		case k == "only" && name == "primary":
			out = append(out, ".Primary()")
		case k == "only":
			out = append(out, ".Only("+strconv.Quote(name)+")")
		default:
			out = append(out, ".Except("+strconv.Quote(name)+")")
		}
	}
	return out, nil
}

// cap3Sel translates the arguments of Capistrano 3's `on`:
// roles(:app), release_roles(:all), primary(:db), with in:, limit:, wait:.
func (t *gtask) cap3Sel(toks []token) (string, error) {
	args := splitArgs(dropNewlines(toks))
	if len(args) == 0 || len(args[0]) == 0 {
		return "", fmt.Errorf("on without servers")
	}
	first := args[0]
	how := first[0].text
	if first[0].kind != kIdent || !(how == "roles" || how == "release_roles" || how == "primary") {
		return "", fmt.Errorf("on %s: only roles(...), release_roles(...) and primary(...) are translated", snippet(first))
	}
	g := &gexpr{c: t.c, locals: t.g.locals, vars: t.g.vars, defaults: t.g.defaults}
	var names []string
	for _, a := range splitArgs(first[1:]) {
		if len(a) == 1 && a[0].kind == kSymbol && a[0].text == "all" {
			continue
		}
		if len(a) > 0 && a[0].kind == kLabel {
			return "", fmt.Errorf("role filter %s not translated", snippet(a))
		}
		s, err := g.expr(a)
		if err != nil {
			return "", err
		}
		names = append(names, s)
	}
	sel := "tasks.Roles(" + strings.Join(names, ", ") + ")"
	switch how {
	case "release_roles":
		sel += `.Except("no_release")`
	case "primary":
		sel += ".Primary()"
	}
	mods, err := t.cap3Mods(args[1:])
	return sel + mods, err
}

// cap3Mods translates `in: :groups, limit: 2, wait: 5`.
func (t *gtask) cap3Mods(args [][]token) (string, error) {
	in, limit, wait := "parallel", int64(2), int64(2)
	for _, a := range args {
		if len(a) < 2 || a[0].kind != kLabel {
			return "", fmt.Errorf("on option %s not understood", snippet(a))
		}
		p := &parser{sc: t.c, toks: a[1:]}
		v := p.expr()
		switch a[0].text {
		case "in":
			s, ok := v.text()
			if !ok || !(s == "parallel" || s == "groups" || s == "sequence") {
				return "", fmt.Errorf("in: %s not understood", v.describe())
			}
			in = s
		case "limit", "wait":
			if v.kind != vInt || v.n < 0 {
				return "", fmt.Errorf("%s: %s not understood", a[0].text, v.describe())
			}
			if a[0].text == "limit" {
				limit = v.n
			} else {
				wait = v.n
			}
		default:
			return "", fmt.Errorf("on option %s: not translated", a[0].text)
		}
	}
	switch in {
	case "groups":
		t.c.goImports["time"] = true
		return fmt.Sprintf(".InGroups(%d, %d*time.Second)", limit, wait), nil
	case "sequence":
		t.c.goImports["time"] = true
		return fmt.Sprintf(".InSequence(%d*time.Second)", wait), nil
	}
	return "", nil
}
