package capfile

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// String body modes.
const (
	modeInterp = 1 << iota // double-quote rules: escapes and #{} interpolation
	modeWords              // split at unescaped whitespace (%w and friends)
	modeToEOF              // no closing delimiter: read to the end (heredoc bodies)
)

// quoted lexes "...", '...' and `...`, and "key": labels.
func (l *lexer) quoted(c byte) {
	start, line := l.pos, l.line
	l.pos++
	mode := 0
	if c != '\'' {
		mode = modeInterp
	}
	words, bad := l.stringBody(c, c, mode)
	t := token{kind: kString, parts: words[0], bad: bad}
	if c == '`' {
		t.kind = kCommand
	}
	if c != '`' && bad == "" && strings.HasPrefix(l.src[l.pos:], ":") && !strings.HasPrefix(l.src[l.pos:], "::") {
		l.pos++
		t.kind, t.text = kLabel, joinLits(t.parts)
	}
	l.add(t, start, line)
}

// closing returns the delimiter that closes open in %-literals.
func closing(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return open
}

// percent lexes %w() %W() %i() %I() %q() %Q() %() %r() %x() %s().
func (l *lexer) percent() bool {
	rest := l.src[l.pos:]
	if len(rest) < 2 {
		return false
	}
	typ, delim := byte('Q'), rest[1]
	if strings.IndexByte("wWiIqQrxs", rest[1]) >= 0 && len(rest) > 2 {
		typ, delim = rest[1], rest[2]
	}
	if isIdentChar(delim) || isDigit(delim) || strings.IndexByte(" \t\r\n=", delim) >= 0 {
		return false
	}
	start, line := l.pos, l.line
	l.pos += 2
	if typ != 'Q' || rest[1] == 'Q' {
		l.pos++
	}
	mode := 0
	if strings.IndexByte("WIQrx", typ) >= 0 {
		mode = modeInterp
	}
	if strings.IndexByte("wWiI", typ) >= 0 {
		mode |= modeWords
	}
	words, bad := l.stringBody(delim, closing(delim), mode)
	t := token{kind: kString, parts: words[0], bad: bad}
	switch typ {
	case 'w', 'W', 'i', 'I':
		t = token{kind: kWords, words: words, symbols: typ == 'i' || typ == 'I', bad: bad}
	case 'r':
		t.kind = kRegexp
		l.flags()
	case 'x':
		t.kind = kCommand
	case 's':
		t.kind, t.text = kSymbol, joinLits(t.parts)
	}
	l.add(t, start, line)
	return true
}

// regexp lexes /re/flags.
func (l *lexer) regexp() {
	start, line := l.pos, l.line
	l.pos++
	words, bad := l.stringBody('/', '/', modeInterp)
	l.flags()
	l.add(token{kind: kRegexp, parts: words[0], bad: bad}, start, line)
}

func (l *lexer) flags() {
	for l.pos < len(l.src) && isLetter(l.src[l.pos]) {
		l.pos++
	}
}

// wordBuf collects a literal's words (one, unless split) and their parts.
type wordBuf struct {
	split  bool // %w and friends: words end at unescaped whitespace
	words  [][]part
	cur    []part
	lit    strings.Builder
	inWord bool
}

func (w *wordBuf) flush() {
	if w.lit.Len() > 0 {
		w.cur = append(w.cur, part{lit: w.lit.String()})
		w.lit.Reset()
	}
}

func (w *wordBuf) end() {
	w.flush()
	if w.inWord || !w.split {
		w.words = append(w.words, w.cur)
	}
	w.cur, w.inWord = nil, false
}

func (w *wordBuf) result() [][]part {
	if w.words == nil {
		return [][]part{nil}
	}
	return w.words
}

// stringBody reads a literal's content after its opening delimiter, up to
// and including the closing one; paired delimiters nest as in Ruby. It
// returns the words (exactly one unless modeWords) and, for an
// unterminated literal, why it is broken.
func (l *lexer) stringBody(open, close byte, mode int) ([][]part, string) {
	w := &wordBuf{split: mode&modeWords != 0}
	depth := 0
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == close && depth == 0 && mode&modeToEOF == 0:
			l.pos++
			w.end()
			return w.result(), ""
		case c == close && open != close:
			depth--
		case c == open && open != close:
			depth++
		case c == '\n':
			l.line++
		}
		if w.split && (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			l.pos++
			if w.inWord {
				w.end()
			}
			continue
		}
		w.inWord = true
		switch {
		case c == '\\':
			l.escape(&w.lit, open, close, mode)
		case c == '#' && mode&modeInterp != 0 && l.interpolation(w):
		default:
			w.lit.WriteByte(c)
			l.pos++
		}
	}
	w.end()
	if mode&modeToEOF != 0 {
		return w.result(), ""
	}
	return w.result(), "unterminated literal: Ruby would refuse this file"
}

// escape reads one backslash escape into b.
func (l *lexer) escape(b *strings.Builder, open, close byte, mode int) {
	if l.pos+1 >= len(l.src) {
		b.WriteByte('\\')
		l.pos++
		return
	}
	c := l.src[l.pos+1]
	l.pos += 2
	if mode&modeInterp == 0 {
		switch {
		case c == '\\' || c == open || c == close:
			b.WriteByte(c)
		case mode&modeWords != 0 && (c == ' ' || c == '\t' || c == '\n'):
			b.WriteByte(c)
			if c == '\n' {
				l.line++
			}
		default:
			b.WriteByte('\\')
			l.pos-- // not an escape here: the character is read normally
		}
		return
	}
	simple := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", 's': " ", 'e': "\x1b", 'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v"}
	switch {
	case simple[c] != "":
		b.WriteString(simple[c])
	case c == '\n':
		l.line++ // an escaped line break joins the lines
	case c >= '0' && c <= '7':
		b.WriteByte(byte(l.digits(c, 3, 8)))
	case c == 'x':
		b.WriteByte(byte(l.digits(0, 2, 16)))
	case c == 'u':
		l.unicode(b)
	default:
		if c >= 0x80 {
			l.pos-- // keep multi-byte characters whole
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			b.WriteRune(r)
			l.pos += n
			return
		}
		b.WriteByte(c)
	}
}

// digits reads up to max digits of base (first already consumed if non-zero).
func (l *lexer) digits(first byte, max, base int) int {
	s := ""
	if first != 0 {
		s, max = string(first), max-1
	}
	for ; max > 0 && l.pos < len(l.src); max-- {
		if _, err := strconv.ParseUint(l.src[l.pos:l.pos+1], base, 8); err != nil {
			break
		}
		s += l.src[l.pos : l.pos+1]
		l.pos++
	}
	n, _ := strconv.ParseUint(s, base, 32)
	return int(n & 0xff)
}

// unicode reads \uXXXX or \u{X Y Z}.
func (l *lexer) unicode(b *strings.Builder) {
	if strings.HasPrefix(l.src[l.pos:], "{") {
		end := strings.IndexByte(l.src[l.pos:], '}')
		if end < 0 {
			return
		}
		for f := range strings.FieldsSeq(l.src[l.pos+1 : l.pos+end]) {
			n, _ := strconv.ParseUint(f, 16, 32)
			b.WriteRune(rune(n))
		}
		l.pos += end + 1
		return
	}
	end := min(l.pos+4, len(l.src))
	n, _ := strconv.ParseUint(l.src[l.pos:end], 16, 32)
	b.WriteRune(rune(n))
	l.pos = end
}

// interpolation reads #{...}, #@var or #$var; false when # is plain text.
func (l *lexer) interpolation(w *wordBuf) bool {
	rest := l.src[l.pos+1:]
	switch {
	case strings.HasPrefix(rest, "{") && l.depth >= maxDepth:
		// Too deep to lex (and evaluate): skip to the matching brace.
		w.flush()
		end, depth := l.pos+2, 1
		for ; end < len(l.src) && depth > 0; end++ {
			switch l.src[end] {
			case '{':
				depth++
			case '}':
				depth--
			case '\n':
				l.line++
			}
		}
		w.cur = append(w.cur, part{interp: true, src: l.src[l.pos+2 : end]})
		l.pos = end
		return true
	case strings.HasPrefix(rest, "{"):
		w.flush()
		sub := &lexer{src: l.src, pos: l.pos + 2, line: l.line, nested: true, depth: l.depth + 1}
		sub.run()
		p := part{interp: true, code: sub.toks}
		if sub.closed {
			p.src = l.src[l.pos+2 : sub.pos-1]
		} else {
			p.src = l.src[l.pos+2 : sub.pos]
		}
		w.cur = append(w.cur, p)
		l.pos, l.line = sub.pos, sub.line
		return true
	case len(rest) > 1 && (rest[0] == '@' || rest[0] == '$') && isVarStart(rest):
		w.flush()
		sub := &lexer{src: l.src, pos: l.pos + 1, line: l.line}
		sub.ident()
		w.cur = append(w.cur, part{interp: true, code: sub.toks, src: l.src[l.pos+1 : sub.pos]})
		l.pos = sub.pos
		return true
	}
	return false
}
