package capfile

import "strings"

// heredocStart lexes <<ID, <<-ID, <<~ID (ID may be quoted); the body is
// read after the end of the current line.
func (l *lexer) heredocStart() bool {
	if l.nested {
		return false
	}
	rest := l.src[l.pos+2:]
	h := heredoc{interp: true}
	if rest != "" && (rest[0] == '~' || rest[0] == '-') {
		h.indented, h.squiggly = true, rest[0] == '~'
		rest = rest[1:]
	}
	n := 0
	switch {
	case rest == "":
		return false
	case rest[0] == '\'' || rest[0] == '"' || rest[0] == '`':
		end := strings.IndexAny(rest[1:], string(rest[0])+"\n")
		if end < 0 || rest[1+end] == '\n' {
			return false
		}
		h.id, h.interp, n = rest[1:1+end], rest[0] != '\'', end+2
	case isLetter(rest[0]) || rest[0] == '_':
		if !h.indented && !(rest[0] >= 'A' && rest[0] <= 'Z' || rest[0] == '_') {
			return false
		}
		for n < len(rest) && isIdentChar(rest[n]) {
			n++
		}
		h.id = rest[:n]
	default:
		return false
	}
	end := len(l.src) - len(rest) + n
	l.emit(token{kind: kString}, end)
	h.tok = len(l.toks) - 1
	l.heredocs = append(l.heredocs, h)
	return true
}

// readHeredocs reads the bodies of the heredocs started on the line just ended.
func (l *lexer) readHeredocs() {
	for _, h := range l.heredocs {
		bodyLine := l.line
		var body []string
		found := false
		for l.pos < len(l.src) && !found {
			end := strings.IndexByte(l.src[l.pos:], '\n')
			next := len(l.src)
			if end >= 0 {
				next = l.pos + end + 1
			}
			line := strings.TrimRight(l.src[l.pos:next], "\r\n")
			check := line
			if h.indented {
				check = strings.TrimLeft(line, " \t")
			}
			found = check == h.id
			if !found {
				body = append(body, line)
			}
			l.pos = next
			if end >= 0 {
				l.line++
			}
		}
		t := &l.toks[h.tok]
		t.endLine = l.line - 1
		if !found {
			t.bad = "unterminated heredoc: Ruby would refuse this file"
			t.endLine = l.line
		}
		if h.squiggly {
			body = dedent(body)
		}
		text := strings.Join(body, "\n")
		if len(body) > 0 {
			text += "\n"
		}
		mode := modeToEOF
		if h.interp {
			mode |= modeInterp
		}
		sub := &lexer{src: text, line: bodyLine}
		words, _ := sub.stringBody(0, 0, mode)
		t.parts = words[0]
	}
	l.heredocs = nil
}

// dedent removes the indentation common to the non-blank lines, as <<~ does.
func dedent(lines []string) []string {
	common := -1
	for _, s := range lines {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n := len(s) - len(strings.TrimLeft(s, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	out := make([]string, len(lines))
	for i, s := range lines {
		if len(s) >= common && common > 0 {
			s = s[common:]
		}
		out[i] = s
	}
	return out
}

// isVarStart reports whether s starts with an @ivar, @@cvar or $global.
func isVarStart(s string) bool {
	name := strings.TrimLeft(s, "@$")
	return len(s)-len(name) <= 2 && name != "" && isIdentStart(name[0])
}
