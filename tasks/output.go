package tasks

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// prefixed returns a writer that prints each line as Capistrano did:
// ` ** [out :: w03] text`.
func (r *run) prefixed(stream, host string) *lineWriter {
	return &lineWriter{r: r, prefix: fmt.Sprintf(" ** [%s :: %s] ", stream, host)}
}

// lineWriter prints whole lines with a prefix and remembers the last
// non-empty one: a failed command's error names it.
type lineWriter struct {
	r      *run
	prefix string
	buf    []byte
	last   string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) emit(line string) {
	line = strings.TrimRight(line, "\r")
	if line != "" {
		w.last = line
	}
	w.r.printf("%s%s\n", w.prefix, line)
}

// flush prints a last line that had no newline.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

// lastLine is the last non-empty line printed: the agent's one-line error
// message, without its program name.
func (w *lineWriter) lastLine() string { return strings.TrimPrefix(w.last, "murder-agent ") }

var _ io.Writer = (*lineWriter)(nil)
