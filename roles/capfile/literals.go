package capfile

import (
	"strconv"
	"strings"
)

func number(t token, neg bool) value {
	text := strings.ReplaceAll(t.text, "_", "")
	if neg {
		text = "-" + text
	}
	if t.kind == kFloat {
		return value{kind: vFloat, s: text, line: t.line}
	}
	n, err := strconv.ParseInt(text, 0, 64)
	if err != nil {
		return bad(t.line, "number %s not understood", clip(t.text))
	}
	return value{kind: vInt, n: n, line: t.line}
}

// str parses one string literal, or several adjacent ones ("a" "b").
func (p *parser) str() value {
	out := value{kind: vString, line: p.peek().line}
	for p.peek().kind == kString && !p.done() {
		t := p.peek()
		p.pos++
		if t.bad != "" {
			return bad(t.line, "%s", t.bad)
		}
		v := p.interpolate(t)
		if v.kind == vBad {
			return v
		}
		out.s += v.s
	}
	return out
}

// interpolate evaluates a literal's parts: text, and #{expressions} whose
// value is known.
func (p *parser) interpolate(t token) value {
	var b strings.Builder
	for _, pt := range t.parts {
		if !pt.interp {
			b.WriteString(escapeDollar(pt.lit))
			continue
		}
		sub := &parser{sc: p.sc, toks: dropNewlines(pt.code), depth: p.depth + 1}
		v := sub.expr()
		if !sub.done() {
			v = bad(t.line, "Ruby expression")
		}
		s, ok := interpolated(v)
		switch {
		case ok:
		case v.kind == vBad && strings.HasPrefix(v.why, "Ruby expression"):
			return bad(t.line, "interpolates Ruby code #{%s}: murder interpolates only variables set earlier", clipRaw(pt.src))
		case v.kind == vBad:
			return bad(t.line, "interpolates #{%s}: %s", clipRaw(pt.src), v.why)
		default:
			return bad(t.line, "interpolates #{%s}, which is %s", clipRaw(pt.src), v.describe())
		}
		b.WriteString(s)
	}
	return value{kind: vString, s: b.String(), line: t.line}
}

// interpolated is what Ruby's to_s prints for v, for the simple kinds.
func interpolated(v value) (string, bool) {
	switch v.kind {
	case vString, vSymbol:
		return v.s, true
	case vInt:
		return strconv.FormatInt(v.n, 10), true
	case vBool:
		return strconv.FormatBool(v.b), true
	case vNil:
		return "", true
	}
	return "", false
}

func (p *parser) words(t token) value {
	out := value{kind: vArray, line: t.line}
	for _, w := range t.words {
		v := p.interpolate(token{parts: w, line: t.line})
		if v.kind == vBad {
			return v
		}
		if t.symbols {
			v.kind = vSymbol
		}
		out.list = append(out.list, v)
	}
	return out
}

func (p *parser) array(open token) value {
	out := value{kind: vArray, line: open.line}
	for !p.done() && !p.is("]") {
		if p.is("*") {
			p.pos++
			v := p.expr()
			if v.kind != vArray {
				return p.skipRest(bad(v.line, "splat of %s", v.describe()))
			}
			out.list = append(out.list, v.list...)
		} else if v := p.expr(); v.kind == vBad {
			return p.skipRest(v)
		} else {
			out.list = append(out.list, v)
		}
		if !p.is(",") {
			break
		}
		p.pos++
	}
	if !p.is("]") {
		return p.skipRest(bad(open.line, "list not understood"))
	}
	p.pos++
	return out
}

func (p *parser) hash(open token) value {
	out := value{kind: vHash, line: open.line}
	for !p.done() && !p.is("}") {
		var k value
		if t := p.peek(); t.kind == kLabel {
			p.pos++
			k = p.labelKey(t)
		} else {
			k = p.expr()
			if !p.is("=>") {
				return p.skipRest(bad(k.line, "hash not understood"))
			}
			p.pos++
		}
		out.pairs = append(out.pairs, pair{k, p.expr()})
		if !p.is(",") {
			break
		}
		p.pos++
	}
	if !p.is("}") {
		return p.skipRest(bad(open.line, "hash not understood"))
	}
	p.pos++
	return out
}

// skipRest moves to the closer of the literal opened by open and returns v.
func (p *parser) skipRest(v value) value {
	p.skipDepth(1)
	return v
}

// escapeDollar doubles each $ that murder.yaml would read as the start of
// ${X} or $$, so that Ruby's text loads as written: strings are kept in
// murder.yaml's form from the moment they are read, which lets ENV
// lookups become ${X} within them.
func escapeDollar(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '{') {
			b.WriteByte('$')
		}
	}
	return b.String()
}
