package capfile

import (
	"fmt"
	"strconv"
	"strings"
)

// vkind is the type of an evaluated Ruby literal.
type vkind uint8

const (
	vBad vkind = iota // not evaluated: why says why
	vNil
	vBool
	vInt
	vFloat
	vString
	vSymbol
	vArray
	vHash
)

// value is a Ruby literal, evaluated as far as murder can without running Ruby.
type value struct {
	kind  vkind
	s     string // vString, vSymbol; source text of vFloat
	n     int64  // vInt
	b     bool   // vBool
	list  []value
	pairs []pair
	line  int    // where the value starts
	why   string // vBad: why it cannot be evaluated
}

// pair is one entry of a hash.
type pair struct{ key, val value }

func bad(line int, format string, args ...any) value {
	return value{kind: vBad, line: line, why: fmt.Sprintf(format, args...)}
}

// text returns a string or symbol's text.
func (v value) text() (string, bool) {
	if v.kind == vString || v.kind == vSymbol {
		return v.s, true
	}
	return "", false
}

// get returns the hash entry whose key is the symbol or string name.
func (v value) get(name string) (value, bool) {
	for _, p := range v.pairs {
		if k, ok := p.key.text(); ok && k == name {
			return p.val, true
		}
	}
	return value{}, false
}

// describe names a value for messages.
func (v value) describe() string {
	switch v.kind {
	case vNil:
		return "nil"
	case vBool:
		return strconv.FormatBool(v.b)
	case vInt:
		return strconv.FormatInt(v.n, 10)
	case vFloat:
		return v.s
	case vString:
		return strconv.Quote(v.s)
	case vSymbol:
		return ":" + v.s
	case vArray:
		return "a list"
	case vHash:
		return "a hash"
	}
	return "an expression"
}

// scope resolves names while evaluating: Ruby locals and Capistrano variables.
type scope interface {
	lookup(name string, line int) value
}

// maxDepth bounds literal nesting, so hostile input cannot recurse deeply.
const maxDepth = 64

// parser evaluates the literals of one statement (line breaks removed).
type parser struct {
	sc    scope
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == kPunct || t.kind == kIdent) && t.text == text
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

// line of the current token, or of the last one at the end.
func (p *parser) line() int {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].line
	}
	if len(p.toks) > 0 {
		return p.toks[len(p.toks)-1].line
	}
	return 0
}

// stops are the keywords that end an argument list: modifiers and blocks.
var stops = map[string]bool{"if": true, "unless": true, "while": true, "until": true, "rescue": true, "do": true, "and": true, "or": true}

// atStop reports whether the current token ends the current expression.
func (p *parser) atStop() bool {
	t := p.peek()
	switch {
	case p.done():
		return true
	case t.kind == kPunct:
		switch t.text {
		case ",", ")", "]", "}", "=>", ";":
			return true
		}
	case t.kind == kIdent:
		return stops[t.text]
	}
	return false
}

// args parses a method's arguments, with or without parentheses. Trailing
// `key: value` and `key => value` pairs form one hash, as in Ruby.
func (p *parser) args() (args []value, opts value) {
	opts = value{kind: vHash, line: p.line()}
	paren := p.is("(") && !p.peek().space
	if paren {
		p.pos++
	}
	for !p.done() && !(paren && p.is(")")) && !(!paren && p.atStop()) {
		if t := p.peek(); t.kind == kLabel {
			p.pos++
			opts.pairs = append(opts.pairs, pair{p.labelKey(t), p.expr()})
		} else if p.is("*") || p.is("&") || p.is("**") {
			op := p.peek().text
			p.pos++
			v := p.expr()
			switch {
			case v.kind == vArray && op == "*":
				args = append(args, v.list...)
			case v.kind == vBad:
				args = append(args, v)
			default:
				args = append(args, bad(v.line, "%s%s", op, v.describe()))
			}
		} else if v := p.expr(); p.is("=>") {
			p.pos++
			opts.pairs = append(opts.pairs, pair{v, p.expr()})
		} else {
			args = append(args, v)
		}
		if !p.is(",") {
			break
		}
		p.pos++
	}
	if paren && p.is(")") {
		p.pos++
	}
	return args, opts
}

func (p *parser) labelKey(t token) value {
	return value{kind: vSymbol, s: t.text, line: t.line}
}

// expr parses one value. Anything beyond a literal (method calls,
// operators) makes the whole expression bad, skipped to its end.
func (p *parser) expr() value {
	start := p.pos
	v := p.primary()
	v = p.push(v)
	if !p.atStop() {
		for !p.atStop() {
			p.skip()
		}
		v = bad(v.line, "Ruby expression %s", snippet(p.toks[start:p.pos]))
	}
	return v
}

// skip moves past one token, or a whole bracketed group.
func (p *parser) skip() { p.skipDepth(0) }

// skipDepth consumes tokens until the brackets opened before (depth) and
// during the walk are closed, taking at least one token.
func (p *parser) skipDepth(depth int) {
	for !p.done() {
		t := p.toks[p.pos]
		p.pos++
		if t.kind == kPunct {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
		}
		if depth <= 0 {
			return
		}
	}
}

func (p *parser) primary() value {
	t := p.peek()
	if p.done() {
		return bad(p.line(), "missing value")
	}
	if p.depth >= maxDepth {
		p.pos = len(p.toks)
		return bad(t.line, "nested too deeply")
	}
	p.depth++
	defer func() { p.depth-- }()
	if t.bad != "" {
		p.pos++
		return bad(t.line, "%s", t.bad)
	}
	switch t.kind {
	case kString:
		return p.str()
	case kSymbol:
		p.pos++
		if t.parts != nil {
			v := p.interpolate(t)
			if v.kind == vString {
				v.kind = vSymbol
			}
			return v
		}
		return value{kind: vSymbol, s: t.text, line: t.line}
	case kInt, kFloat:
		p.pos++
		return number(t, false)
	case kWords:
		p.pos++
		return p.words(t)
	case kIdent:
		return p.ident()
	case kCommand:
		p.pos++
		return bad(t.line, "runs a shell command %s when cap runs", clipRaw(t.raw))
	case kRegexp:
		p.pos++
		return bad(t.line, "regular expression %s", clip(t.raw))
	case kPunct:
		return p.punct()
	}
	p.pos++
	return bad(t.line, "unexpected %s", clip(t.raw))
}

func (p *parser) punct() value {
	t := p.peek()
	p.pos++
	switch t.text {
	case "[":
		return p.array(t)
	case "{":
		return p.hash(t)
	case "(":
		v := p.expr()
		if !p.is(")") {
			return bad(t.line, "unbalanced parenthesis")
		}
		p.pos++
		return v
	case "-", "+":
		if n := p.peek(); (n.kind == kInt || n.kind == kFloat) && !n.space {
			p.pos++
			return number(n, t.text == "-")
		}
	case "->":
		return p.lazy(t, "lambda")
	}
	return bad(t.line, "unexpected %s", clip(t.raw))
}

func (p *parser) ident() value {
	t := p.peek()
	p.pos++
	switch t.text {
	case "true", "false":
		return value{kind: vBool, b: t.text == "true", line: t.line}
	case "nil":
		return value{kind: vNil, line: t.line}
	case "fetch":
		return p.fetch(t)
	case "ENV":
		return p.env(t)
	case "lambda", "proc":
		return p.lazy(t, t.text)
	case "Proc":
		if p.is(".") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "new" {
			p.pos += 2
			p.skipLazy()
		}
		return bad(t.line, "lazy value (%s): murder.yaml needs the value itself", t.text)
	}
	return p.sc.lookup(t.text, t.line) // followed by more, expr makes it a Ruby expression
}

// fetch evaluates fetch(:name) and fetch(:name, default).
func (p *parser) fetch(t token) value {
	args, opts := p.args()
	if len(args) == 0 || len(args) > 2 || len(opts.pairs) > 0 {
		return bad(t.line, "fetch not understood")
	}
	name, ok := args[0].text()
	if !ok {
		return bad(t.line, "fetch of %s", args[0].describe())
	}
	v := p.sc.lookup(name, t.line)
	if v.kind == vBad && len(args) == 2 && v.why == unknownWhy(name) {
		return args[1]
	}
	return v
}

func unknownWhy(name string) string {
	return fmt.Sprintf("%s is not set before this line", name)
}

// snippet renders tokens for a message, shortened.
func snippet(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t.space {
			b.WriteByte(' ')
		}
		b.WriteString(t.raw)
	}
	return clip(b.String())
}

// clip shortens s for a message and quotes it.
func clip(s string) string { return "`" + clipRaw(s) + "`" }

// clipRaw shortens s for a message.
func clipRaw(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 50 {
		s = string(r[:47]) + "..."
	}
	return s
}
