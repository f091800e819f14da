package capfile

// stmt is one Ruby statement: a line, several lines joined by open
// brackets or trailing operators, or a whole `do ... end` block.
type stmt struct {
	toks        []token // may hold newlines (inside brackets and blocks)
	first, last int     // source lines
}

// blockOpeners are the keywords closed by `end` wherever they appear;
// if/unless/while/until only open a block at the start of an expression
// (not as modifiers: `x if y`).
var blockOpeners = map[string]bool{"case": true, "begin": true, "def": true, "class": true, "module": true, "for": true}

// split cuts tokens into statements at line ends and `;` that are outside
// brackets and blocks and do not continue the statement.
func split(toks []token) []stmt {
	var out []stmt
	for i := 0; i < len(toks); {
		if isSep(toks[i]) {
			i++
			continue
		}
		end := stmtEnd(toks, i)
		st := stmt{toks: toks[i:end], first: toks[i].line}
		for j := range st.toks {
			st.last = max(st.last, st.toks[j].endLine)
		}
		out = append(out, st)
		i = end
	}
	return out
}

func isSep(t token) bool { return t.kind == kNewline || t.kind == kPunct && t.text == ";" }

// stmtEnd returns the index just past the statement starting at i.
func stmtEnd(toks []token, i int) int {
	depth, kw := 0, 0
	loopDo := false // a while/until/for waits for its optional `do`
	for j := i; j < len(toks); j++ {
		t := &toks[j]
		switch {
		case isSep(*t):
			if t.kind == kNewline {
				loopDo = false
			}
			if depth == 0 && kw == 0 && !(t.kind == kNewline && continues(toks, i, j)) {
				return j
			}
		case t.kind == kPunct:
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth = max(depth-1, 0)
			}
		case t.kind == kIdent && !afterDot(toks, j):
			kw, loopDo = keyword(toks, i, j, kw, loopDo)
		}
	}
	return len(toks)
}

// keyword updates the block depth for the keyword at toks[j].
func keyword(toks []token, i, j, kw int, loopDo bool) (int, bool) {
	switch name := toks[j].text; {
	case name == "do":
		if loopDo {
			return kw, false
		}
		return kw + 1, false
	case name == "if" || name == "unless":
		if exprStart(toks, i, j) {
			return kw + 1, loopDo
		}
	case name == "while" || name == "until":
		if exprStart(toks, i, j) {
			return kw + 1, true
		}
	case name == "for":
		return kw + 1, true
	case blockOpeners[name]:
		return kw + 1, loopDo
	case name == "end":
		return max(kw-1, 0), loopDo
	}
	return kw, loopDo
}

// afterDot reports whether toks[j] is a method name (`x.class`, `r.end`).
func afterDot(toks []token, j int) bool {
	if j == 0 {
		return false
	}
	p := toks[j-1]
	return p.kind == kPunct && (p.text == "." || p.text == "&." || p.text == "::")
}

// exprStart reports whether toks[j] starts an expression, so that an `if`
// there opens a block rather than modifying what precedes it.
func exprStart(toks []token, i, j int) bool {
	if j == i {
		return true
	}
	p := toks[j-1]
	switch p.kind {
	case kNewline, kLabel:
		return true
	case kPunct:
		return p.text != ")" && p.text != "]" && p.text != "}"
	case kIdent:
		return keywords[p.text]
	}
	return false
}

// maxBlankLines bounds the look-ahead for a `.method` line, so that
// a file of blank lines is not read quadratically.
const maxBlankLines = 16

// continues reports whether the line break at toks[j] continues the
// statement: after an operator or comma, or before a `.method` line.
func continues(toks []token, i, j int) bool {
	if j > i {
		p := toks[j-1]
		switch p.kind {
		case kPunct:
			if p.text != ")" && p.text != "]" && p.text != "}" && p.text != ";" {
				return true
			}
		case kLabel:
			return true
		case kIdent:
			if p.text == "and" || p.text == "or" || p.text == "not" {
				return true
			}
		}
	}
	for k := j + 1; k < len(toks) && k < j+maxBlankLines; k++ {
		if toks[k].kind != kNewline {
			n := toks[k]
			return n.kind == kPunct && (n.text == "." || n.text == "&.")
		}
	}
	return false
}

// block is a statement cut at its top-level block: the head before
// `do`/`{` (line breaks removed) and the body's statements.
type block struct {
	head  []token
	body  []token // between `do |args|` and `end`, or `{` and `}`
	has   bool
	brace bool
}

// cut splits a statement at its first top-level block.
func cut(st stmt) block {
	depth := 0
	for j := range st.toks {
		t := &st.toks[j]
		switch {
		case t.kind == kPunct && t.text == "{" && depth == 0 && j > 0 && opensBrace(st.toks[j-1]):
			return block{head: dropNewlines(st.toks[:j]), body: inner(st.toks[j+1:], "}"), has: true, brace: true}
		case t.kind == kPunct && (t.text == "(" || t.text == "[" || t.text == "{"):
			depth++
		case t.kind == kPunct && (t.text == ")" || t.text == "]" || t.text == "}"):
			depth = max(depth-1, 0)
		case t.kind == kIdent && t.text == "do" && depth == 0 && !afterDot(st.toks, j):
			return block{head: dropNewlines(st.toks[:j]), body: inner(st.toks[j+1:], "end"), has: true}
		}
	}
	return block{head: dropNewlines(st.toks)}
}

// opensBrace reports whether a `{` after p opens a block (`role(:web) {`,
// `lambda {`) rather than a hash (`set :x, {`).
func opensBrace(p token) bool {
	switch p.kind {
	case kIdent:
		// lambda { } and proc { } are values: the statement goes on after them.
		return !keywords[p.text] && p.text != "lambda" && p.text != "proc"
	case kPunct:
		return p.text == ")"
	}
	return false
}

// inner drops block parameters and the closing token.
func inner(toks []token, closer string) []token {
	if n := len(toks); n > 0 && (toks[n-1].kind == kIdent || toks[n-1].kind == kPunct) && toks[n-1].text == closer {
		toks = toks[:n-1]
	}
	start := 0
	for start < len(toks) && toks[start].kind == kNewline {
		start++
	}
	if start < len(toks) && toks[start].kind == kPunct && (toks[start].text == "|" || toks[start].text == "||") {
		for k := start + 1; k < len(toks) && toks[start].text == "|"; k++ {
			if toks[k].kind == kPunct && toks[k].text == "|" {
				return toks[k+1:]
			}
		}
		return toks[start+1:]
	}
	return toks
}

func dropNewlines(toks []token) []token {
	out := make([]token, 0, len(toks))
	for _, t := range toks {
		if t.kind != kNewline {
			out = append(out, t)
		}
	}
	return out
}
