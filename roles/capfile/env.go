package capfile

import (
	"slices"
	"strings"
)

// env evaluates ENV['X'], ENV.fetch('X'), ENV.fetch('X', 'd') and
// ENV['X'] || 'd' as murder.yaml's ${X} and ${X:-d}, which murder expands
// when it loads the file, as cap read ENV when it ran; .split(',') makes
// a list of that one value.
func (p *parser) env(t token) value {
	var args []value
	switch {
	case p.is("["):
		p.pos++
		args = []value{p.expr()}
		if !p.is("]") {
			return p.envBad(t)
		}
		p.pos++
	case p.is(".") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "fetch":
		p.pos += 2
		args, _ = p.args()
	default:
		return p.envBad(t)
	}
	if len(args) == 0 || len(args) > 2 {
		return p.envBad(t)
	}
	if p.is("||") {
		p.pos++
		args = append(args[:1], p.primary())
	}
	name, ok := args[0].text()
	if !ok || !envName(name) {
		return p.envBad(t)
	}
	ref := "${" + name + "}"
	if len(args) == 2 {
		def, ok := scalar(args[1])
		if !ok || strings.ContainsAny(def, "}") {
			return p.envBad(t)
		}
		ref = "${" + name + ":-" + def + "}"
	}
	v := value{kind: vString, s: ref, line: t.line}
	if p.is(".") && p.pos+3 < len(p.toks) && p.toks[p.pos+1].text == "split" {
		// ENV['SERVERS'].split(','): murder.yaml splits a role's comma-separated entry itself.
		p.pos += 2
		p.args()
		return value{kind: vArray, list: []value{v}, line: t.line}
	}
	return v
}

// envBad skips the rest of an ENV expression (not the whole statement).
func (p *parser) envBad(t token) value {
	for !p.atStop() {
		p.skip()
	}
	return bad(t.line, "reads an environment variable (ENV) in a way murder.yaml's ${X} cannot express")
}

func envName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// lazy evaluates a lambda or proc whose body is one literal, as in
// `set :deploy_to, -> { "/srv/#{fetch(:application)}" }`; otherwise it
// moves past the block, so that the rest of the statement (a role's other
// servers, a hash's other keys) is still read, and returns a bad value.
func (p *parser) lazy(t token, what string) value {
	if !p.is("(") && p.is("{") {
		start := p.pos
		p.skip()
		body := p.toks[start+1 : p.pos-1]
		sub := &parser{sc: p.sc, toks: body, depth: p.depth + 1}
		if v := sub.expr(); len(body) > 0 && sub.done() && v.kind != vBad {
			v.line = t.line
			return v
		}
		p.pos = start
	}
	p.skipLazy()
	return bad(t.line, "lazy value (%s): murder.yaml needs the value itself", what)
}

// skipLazy moves past a lambda's or proc's block.
func (p *parser) skipLazy() {
	if p.is("(") { // ->(x) { }
		p.skip()
	}
	switch {
	case p.is("{"):
		p.skip()
	case p.is("do"):
		depth := 0
		for !p.done() {
			t := p.toks[p.pos]
			p.pos++
			if t.kind == kIdent && (t.text == "do" || blockOpeners[t.text]) {
				depth++
			} else if t.kind == kIdent && t.text == "end" {
				if depth--; depth == 0 {
					return
				}
			}
		}
	}
}

// push evaluates `list.push(a, b)` and `list + [a]`, as in
// `set :linked_dirs, fetch(:linked_dirs, []).push("public/system")`.
func (p *parser) push(v value) value {
	for v.kind == vArray {
		switch {
		case p.is(".") && p.pos+2 < len(p.toks) && p.toks[p.pos+1].text == "push" && p.toks[p.pos+2].text == "(":
			p.pos += 2
			args, opts := p.args()
			if len(opts.pairs) > 0 {
				return bad(v.line, "push of options")
			}
			for _, a := range args {
				if a.kind == vBad {
					return a
				}
			}
			v.list = append(slices.Clone(v.list), args...)
		case p.is("+") && p.pos+1 < len(p.toks) && (p.toks[p.pos+1].text == "[" || p.toks[p.pos+1].kind == kWords):
			p.pos++
			w := p.primary()
			if w.kind != vArray {
				return bad(v.line, "sum of lists not understood")
			}
			v.list = append(slices.Clone(v.list), w.list...)
		default:
			return v
		}
	}
	return v
}
