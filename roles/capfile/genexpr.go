package capfile

import (
	"fmt"
	"strconv"
	"strings"
)

// gexpr translates Ruby expressions of a task body into Go expressions
// of type string. host is true inside tasks.On, where h is the host.
type gexpr struct {
	c        *converter
	host     bool
	locals   map[string]string // Ruby local -> Go variable
	argsVar  string            // Rake's |t, args|: args[:name] is an argument
	vars     map[string]bool   // Capistrano variables fetched
	defaults map[string]string // defaults given to fetch
}

// hostPaths are Capistrano's derived paths and the tasks.Host method giving each.
var hostPaths = map[string]string{
	"deploy_to": "DeployTo", "release_path": "ReleasePath", "latest_release": "ReleasePath",
	"current_release": "ReleasePath", "current_path": "CurrentPath", "shared_path": "SharedPath",
	"releases_path": "ReleasesPath",
}

// expr translates all of toks as one string expression.
func (g *gexpr) expr(toks []token) (string, error) {
	p := &gparser{g: g, toks: dropNewlines(toks)}
	s, err := p.sum()
	if err == nil && !p.done() {
		err = fmt.Errorf("Ruby expression %s", snippet(p.toks[p.pos:]))
	}
	return s, err
}

// gparser walks the tokens of one expression.
type gparser struct {
	g    *gexpr
	toks []token
	pos  int
}

func (p *gparser) done() bool { return p.pos >= len(p.toks) }

func (p *gparser) peek() token {
	if p.done() {
		return token{}
	}
	return p.toks[p.pos]
}

func (p *gparser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == kPunct && t.text == s
}

// sum parses a + b + c, each a string.
func (p *gparser) sum() (string, error) {
	out, err := p.postfix()
	list := []string{out}
	for err == nil && p.isPunct("+") {
		p.pos++
		var next string
		next, err = p.postfix()
		list = append(list, next)
	}
	return concat(list), err
}

// concat joins Go string expressions with +, merging adjacent literals.
func concat(list []string) string {
	var out []string
	for _, s := range list {
		if n := len(out); n > 0 {
			a, errA := strconv.Unquote(out[n-1])
			b, errB := strconv.Unquote(s)
			if errA == nil && errB == nil && strings.HasPrefix(s, `"`) && strings.HasPrefix(out[n-1], `"`) {
				out[n-1] = strconv.Quote(a + b)
				continue
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return `""`
	}
	return strings.Join(out, " + ")
}

// postfix parses a primary followed by .join(...) or .to_s, as used on
// Capistrano 3's Pathname paths.
func (p *gparser) postfix() (string, error) {
	out, err := p.primary()
	for err == nil && p.isPunct(".") && p.pos+1 < len(p.toks) {
		switch p.toks[p.pos+1].text {
		case "to_s", "to_str", "strip", "chomp":
			p.pos += 2
		case "join":
			p.pos += 2
			var args []string
			args, err = p.callArgs()
			parts := []string{out}
			for _, a := range args {
				parts = append(parts, `"/"`, a)
			}
			out = concat(parts)
		default:
			return "", fmt.Errorf("Ruby method call %s", snippet(p.toks[p.pos:]))
		}
	}
	return out, err
}

// callArgs parses (a, b) or a bare argument list up to the end.
func (p *gparser) callArgs() ([]string, error) {
	paren := p.isPunct("(")
	if paren {
		p.pos++
	}
	var out []string
	for !p.done() && !(paren && p.isPunct(")")) {
		s, err := p.sum()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if !p.isPunct(",") {
			break
		}
		p.pos++
	}
	if paren {
		if !p.isPunct(")") {
			return nil, fmt.Errorf("unbalanced parenthesis")
		}
		p.pos++
	}
	return out, nil
}

func (p *gparser) primary() (string, error) {
	t := p.peek()
	if p.done() {
		return "", fmt.Errorf("missing value")
	}
	if t.bad != "" {
		return "", fmt.Errorf("%s", t.bad)
	}
	p.pos++
	switch t.kind {
	case kString:
		out, err := p.g.parts(t)
		list := []string{out}
		for err == nil && p.peek().kind == kString { // "a" "b"
			var more string
			more, err = p.g.parts(p.peek())
			p.pos++
			list = append(list, more)
		}
		return concat(list), err
	case kSymbol:
		if t.parts != nil {
			return p.g.parts(t)
		}
		return strconv.Quote(t.text), nil
	case kInt, kFloat:
		return strconv.Quote(strings.ReplaceAll(t.text, "_", "")), nil
	case kIdent:
		return p.ident(t)
	case kPunct:
		if t.text == "(" {
			s, err := p.sum()
			if err == nil && !p.isPunct(")") {
				err = fmt.Errorf("unbalanced parenthesis")
			}
			p.pos++
			return s, err
		}
	}
	return "", fmt.Errorf("Ruby expression %s", clip(t.raw))
}

// ident translates a name: a path, fetch(:x), a Ruby local or a
// Capistrano variable.
func (p *gparser) ident(t token) (string, error) {
	g := p.g
	switch name := t.text; {
	case name == "fetch":
		args, err := p.callArgs()
		if err != nil || len(args) == 0 || len(args) > 2 {
			return "", fmt.Errorf("fetch not understood")
		}
		v, err := strconv.Unquote(args[0])
		if err != nil {
			return "", fmt.Errorf("fetch of a computed name")
		}
		if len(args) == 2 {
			if def, err := strconv.Unquote(args[1]); err == nil && g.defaults[v] == "" {
				g.defaults[v] = def // fetch(:x, "d"): d is the declared default
			}
		}
		return g.fetch(v), nil
	case name == g.argsVar && name != "" && p.isPunct("["):
		p.pos++
		key := p.peek()
		if key.kind != kSymbol || key.parts != nil || p.pos+1 >= len(p.toks) || p.toks[p.pos+1].text != "]" {
			return "", fmt.Errorf("task argument not understood")
		}
		p.pos += 2
		return "tasks.Arg(ctx, " + strconv.Quote(key.text) + ")", nil
	case g.locals[name] != "":
		return g.locals[name], nil
	case hostPaths[name] != "" && g.host:
		return "h." + hostPaths[name] + "()", nil
	case name == "deploy_to":
		return g.fetch("deploy_to"), nil
	case hostPaths[name] != "":
		return "", fmt.Errorf("%s outside `on` (no host to ask)", name)
	case name == "ENV" && p.isPunct("["):
		p.pos++
		key, err := p.sum()
		if err != nil || !p.isPunct("]") {
			return "", fmt.Errorf("ENV[...] not understood")
		}
		p.pos++
		g.c.goImports["os"] = true
		return "os.Getenv(" + key + ")", nil
	}
	if s, ok, err := p.special(t.text); ok {
		return s, err
	}
	if _, ok := g.c.vars[t.text]; ok && !keywords[t.text] {
		return g.fetch(t.text), nil // Capistrano 2: set :application, then #{application}
	}
	return "", fmt.Errorf("%s is not a variable known here", t.text)
}

// special translates Capistrano 2's try_sudo and sudo prefixes and
// File.join; ok is false for other names.
func (p *gparser) special(name string) (string, bool, error) {
	switch {
	case name == "try_sudo" || name == "sudo":
		// Capistrano 2's prefix: "sudo" unless :use_sudo is false.
		if v := p.g.c.vars["use_sudo"]; name == "try_sudo" && v.kind == vBool && !v.b {
			return `""`, true, nil
		}
		return `"sudo"`, true, nil
	case name == "File" && p.isPunct(".") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "join":
		p.pos += 2
		args, err := p.callArgs()
		if err != nil || len(args) == 0 {
			return "", true, fmt.Errorf("File.join not understood")
		}
		var parts []string
		for i, a := range args {
			if i > 0 {
				parts = append(parts, `"/"`)
			}
			parts = append(parts, a)
		}
		return concat(parts), true, nil
	}
	return "", false, nil
}

// fetch reads Capistrano variable name, declared when murder lacks it.
func (g *gexpr) fetch(name string) string {
	g.vars[name] = true
	if g.host {
		return "h.Fetch(" + strconv.Quote(name) + ")"
	}
	return "tasks.Fetch(ctx, " + strconv.Quote(name) + ")"
}

// parts translates a string literal with interpolations.
func (g *gexpr) parts(t token) (string, error) {
	var out []string
	for _, pt := range t.parts {
		if !pt.interp {
			if pt.lit != "" {
				out = append(out, strconv.Quote(pt.lit))
			}
			continue
		}
		s, err := g.expr(pt.code)
		if err != nil {
			return "", fmt.Errorf("#{%s}: %v", clipRaw(pt.src), err)
		}
		out = append(out, s)
	}
	return concat(out), nil
}

// list translates comma-separated arguments (splitting at top-level
// commas) into Go expressions; a trailing hash of options is refused.
func (g *gexpr) list(toks []token) ([]string, error) {
	var out []string
	for _, arg := range splitArgs(dropNewlines(toks)) {
		if len(arg) > 0 && arg[0].kind == kLabel || hasArrow(arg) {
			return nil, fmt.Errorf("options %s not translated", snippet(arg))
		}
		s, err := g.expr(arg)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// splitArgs cuts tokens at top-level commas, dropping call parentheses.
func splitArgs(toks []token) [][]token {
	if len(toks) > 1 && toks[0].kind == kPunct && toks[0].text == "(" && !toks[0].space && closes(toks) {
		toks = toks[1 : len(toks)-1]
	}
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		if t.kind != kPunct {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	if start < len(toks) {
		out = append(out, toks[start:])
	}
	return out
}

// closes reports whether toks' opening parenthesis closes at its end.
func closes(toks []token) bool {
	depth := 0
	for i, t := range toks {
		if t.kind == kPunct && (t.text == "(" || t.text == "[" || t.text == "{") {
			depth++
		} else if t.kind == kPunct && (t.text == ")" || t.text == "]" || t.text == "}") {
			depth--
			if depth == 0 {
				return i == len(toks)-1
			}
		}
	}
	return false
}

func hasArrow(toks []token) bool {
	for _, t := range toks {
		if t.kind == kPunct && t.text == "=>" {
			return true
		}
	}
	return false
}
