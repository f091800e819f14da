package capfile

import (
	"strings"
)

// kind classifies a token.
type kind uint8

const (
	kNewline kind = iota + 1
	kIdent        // identifiers, keywords, constants, @ivars and $globals
	kLabel        // `key:` in a hash or argument list; text is the key
	kSymbol       // :name; text is the name, parts set when quoted
	kString       // string literals of every form, heredocs included
	kWords        // %w() %W() %i() %I(); words holds the items
	kInt          // integer literal; text as written
	kFloat        // float literal; text as written
	kCommand      // `cmd` or %x(): a shell command run by Ruby
	kRegexp       // /re/ or %r{re}
	kPunct        // operators and brackets; text is the operator
)

// token is one lexical unit of Ruby source.
type token struct {
	kind    kind
	text    string   // identifier, operator, number, or the name of a symbol or label
	raw     string   // source text, for messages
	parts   []part   // kString, kCommand, quoted kSymbol and string labels
	words   [][]part // kWords
	symbols bool     // kWords: %i or %I
	bad     string   // non-empty: the literal is broken (unterminated, ...)
	line    int      // line of the first character
	endLine int      // line of the last character
	space   bool     // whitespace or a line start precedes the token
}

// part is a piece of a string: literal text or an interpolated expression.
type part struct {
	lit    string
	interp bool    // #{...}: code holds the expression
	code   []token // the interpolated expression's tokens
	src    string  // the expression's source, for messages
}

// lexer turns Ruby source into tokens. It knows enough Ruby to find where
// literals, comments, heredocs and interpolations begin and end; it
// evaluates nothing.
type lexer struct {
	src      string
	pos      int
	line     int
	toks     []token
	nested   bool      // lexing an interpolation: stop at its closing brace
	closed   bool      // nested: the closing brace was found
	depth    int       // interpolations around this lexer
	braces   int       // open braces, when nested
	space    bool      // whitespace seen since the last token
	heredocs []heredoc // heredocs whose bodies start after the current line
}

// heredoc is a pending <<~ID whose body follows the current line.
type heredoc struct {
	tok      int // index in toks
	id       string
	indented bool // <<- or <<~: the terminator may be indented
	squiggly bool // <<~: the body is dedented
	interp   bool
}

// lex tokenizes a whole file.
func lex(src string) []token {
	l := &lexer{src: src, line: 1, space: true}
	l.run()
	return l.toks
}

// run lexes until the end of input, or the closing brace when nested.
func (l *lexer) run() {
	l.lineStart()
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			if n := len(l.toks); n > 0 && l.toks[n-1].kind == kNewline {
				l.pos++ // blank lines separate nothing more than one line break does
			} else {
				l.emit(token{kind: kNewline, text: "\n", raw: "\n"}, l.pos+1)
			}
			l.line++
			l.space = true
			if !l.nested {
				l.readHeredocs()
			}
			l.lineStart()
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
			l.space = true
		case c == '\\' && strings.HasPrefix(l.src[l.pos+1:], "\n"):
			l.pos += 2 // line continuation
			l.line++
			l.space = true
		case c == '\\' && strings.HasPrefix(l.src[l.pos+1:], "\r\n"):
			l.pos += 3
			l.line++
			l.space = true
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '}' && l.nested && l.braces == 0:
			l.pos++
			l.closed = true
			return
		default:
			l.token(c)
		}
	}
}

// lineStart skips =begin/=end comments and stops at __END__, both of
// which only count at the start of a line.
func (l *lexer) lineStart() {
	for {
		rest := l.src[l.pos:]
		switch {
		case isWordAt(rest, "=begin"):
			for l.pos < len(l.src) {
				end := strings.IndexByte(l.src[l.pos:], '\n')
				if end < 0 {
					l.pos = len(l.src)
					return
				}
				isEnd := isWordAt(l.src[l.pos:], "=end")
				l.pos += end + 1
				l.line++
				if isEnd {
					break
				}
			}
			continue
		case !l.nested && (rest == "__END__" || strings.HasPrefix(rest, "__END__\n") || strings.HasPrefix(rest, "__END__\r\n")):
			l.pos = len(l.src)
		}
		return
	}
}

// isWordAt reports whether s starts with w followed by a space or line end.
func isWordAt(s, w string) bool {
	if !strings.HasPrefix(s, w) {
		return false
	}
	return len(s) == len(w) || strings.ContainsRune(" \t\r\n", rune(s[len(w)]))
}

// emit appends t, which ends at byte end, and moves past it.
func (l *lexer) emit(t token, end int) {
	start := l.pos
	l.pos = end
	l.add(t, start, l.line)
}

// add appends t, which started at byte start on line line and ends at the
// current position.
func (l *lexer) add(t token, start, line int) {
	t.line, t.endLine = line, l.line
	t.raw = l.src[start:l.pos]
	t.space = l.space
	l.space = false
	l.toks = append(l.toks, t)
}

// token lexes the token starting with byte c.
func (l *lexer) token(c byte) {
	rest := l.src[l.pos:]
	switch {
	case c == '"' || c == '\'' || c == '`':
		l.quoted(c)
	case isDigit(c):
		l.number()
	case isIdentStart(c) || (c == '@' || c == '$') && len(rest) > 1 && isIdentStart(rest[1]) ||
		strings.HasPrefix(rest, "@@") && len(rest) > 2 && isIdentStart(rest[2]):
		l.ident()
	case c == ':' && len(rest) > 1 && rest[1] != ':':
		l.symbol()
	case c == '%' && l.valueStarts() && l.percent():
	case c == '/' && l.valueStarts():
		l.regexp()
	case c == '<' && strings.HasPrefix(rest, "<<") && l.valueStarts() && l.heredocStart():
	default:
		l.punct()
	}
}

// puncts lists multi-character operators, longest first.
var puncts = []string{
	"**=", "<=>", "===", "...", "<<=", ">>=", "&&=", "||=",
	"==", "!=", ">=", "<=", "&&", "||", "<<", ">>", "**", "=>", "->", "::", "..",
	"+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "=~", "!~", "&.",
}

func (l *lexer) punct() {
	rest := l.src[l.pos:]
	for _, p := range puncts {
		if strings.HasPrefix(rest, p) {
			l.emit(token{kind: kPunct, text: p}, l.pos+len(p))
			return
		}
	}
	if l.nested {
		switch rest[0] {
		case '{':
			l.braces++
		case '}':
			l.braces--
		}
	}
	l.emit(token{kind: kPunct, text: rest[:1]}, l.pos+1)
}

// keywords that are never a value: after them, / and % start literals.
var keywords = map[string]bool{
	"if": true, "unless": true, "while": true, "until": true, "and": true, "or": true,
	"not": true, "then": true, "else": true, "elsif": true, "when": true, "in": true,
	"return": true, "do": true, "case": true, "begin": true, "yield": true,
}

// valueStarts guesses whether a value (rather than an operator) starts
// here, as Ruby does for /, % and <<: after an operator, a keyword or
// nothing; or after an identifier when a space precedes and none follows
// (`foo /re/`, `desc <<-EOS`).
func (l *lexer) valueStarts() bool {
	if len(l.toks) == 0 {
		return true
	}
	prev := l.toks[len(l.toks)-1]
	switch prev.kind {
	case kNewline:
		return true
	case kPunct:
		return prev.text != ")" && prev.text != "]" && prev.text != "}"
	case kIdent:
		if keywords[prev.text] {
			return true
		}
		next := l.pos + 1
		if strings.HasPrefix(l.src[l.pos:], "<<") {
			next++
		}
		return l.space && next < len(l.src) && !strings.ContainsRune(" \t\r\n=", rune(l.src[next]))
	case kLabel:
		return true
	}
	return false
}

func (l *lexer) number() {
	i := l.pos
	hex := strings.HasPrefix(l.src[i:], "0x") || strings.HasPrefix(l.src[i:], "0X")
	for i < len(l.src) {
		c := l.src[i]
		switch {
		case (c == 'e' || c == 'E') && !hex && i+1 < len(l.src) && (l.src[i+1] == '-' || l.src[i+1] == '+'):
			i += 2
		case isIdentChar(c) || c == '.' && i+1 < len(l.src) && isDigit(l.src[i+1]):
			i++
		default:
			l.emitNumber(i, hex)
			return
		}
	}
	l.emitNumber(i, hex)
}

func (l *lexer) emitNumber(end int, hex bool) {
	text := l.src[l.pos:end]
	k := kInt
	if strings.Contains(text, ".") || !hex && strings.ContainsAny(text, "eE") {
		k = kFloat
	}
	l.emit(token{kind: k, text: text}, end)
}

func (l *lexer) ident() {
	i := l.pos
	for i < len(l.src) && (l.src[i] == '@' || l.src[i] == '$') {
		i++
	}
	for i < len(l.src) && isIdentChar(l.src[i]) {
		i++
	}
	if i < len(l.src) && (l.src[i] == '?' || l.src[i] == '!') &&
		(i+1 >= len(l.src) || l.src[i+1] != '=' || strings.HasPrefix(l.src[i+1:], "==")) {
		i++
	}
	name := l.src[l.pos:i]
	prevDot := len(l.toks) > 0 && l.toks[len(l.toks)-1].kind == kPunct && l.toks[len(l.toks)-1].text == "."
	if i+1 < len(l.src) && l.src[i] == ':' && l.src[i+1] != ':' && !prevDot && name[0] != '@' && name[0] != '$' {
		l.emit(token{kind: kLabel, text: name}, i+1)
		return
	}
	l.emit(token{kind: kIdent, text: name}, i)
}

func (l *lexer) symbol() {
	rest := l.src[l.pos+1:]
	switch {
	case rest[0] == '"' || rest[0] == '\'':
		start, line := l.pos, l.line
		l.pos += 2
		mode := 0
		if rest[0] == '"' {
			mode = modeInterp
		}
		words, bad := l.stringBody(rest[0], rest[0], mode)
		l.add(token{kind: kSymbol, parts: words[0], bad: bad, text: joinLits(words[0])}, start, line)
		return
	case isIdentStart(rest[0]) || rest[0] == '@' || rest[0] == '$':
		i := 1
		for i < len(rest) && (isIdentChar(rest[i]) || rest[i] == '@' || rest[i] == '$') {
			i++
		}
		if i < len(rest) && (rest[i] == '?' || rest[i] == '!' || rest[i] == '=') &&
			!strings.HasPrefix(rest[i:], "==") && !strings.HasPrefix(rest[i:], "=>") && !strings.HasPrefix(rest[i:], "=~") {
			i++
		}
		l.emit(token{kind: kSymbol, text: rest[:i]}, l.pos+1+i)
		return
	}
	for _, op := range []string{"[]=", "[]", "<=>", "===", "==", "=~", "!=", "<<", ">>", "<=", ">=", "**", "+", "-", "*", "/", "%", "<", ">", "!", "&", "|", "^", "~"} {
		if strings.HasPrefix(rest, op) {
			l.emit(token{kind: kSymbol, text: op}, l.pos+1+len(op))
			return
		}
	}
	l.emit(token{kind: kPunct, text: ":"}, l.pos+1)
}

func joinLits(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.interp {
			b.WriteString("#{" + p.src + "}")
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentStart(c byte) bool { return isLetter(c) || c == '_' || c >= 0x80 }

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }
