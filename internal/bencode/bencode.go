// Package bencode reads and writes bencoding (BEP 3), the encoding of
// .torrent files and tracker replies, as far as murder's controller needs
// it: whole values into plain Go values, a dictionary's values undecoded
// (an info-hash is the SHA-1 of the info dictionary's exact bytes), and
// plain Go values back.
//
// The agent uses anacrolix/torrent's bencode with the rest of that
// library. The controller has this package instead because anacrolix's
// imports net/http, database/sql and expvar (through missinggo), which a
// magefile would otherwise compile on every user's first run.
//
// Decoding is as strict as anacrolix's: integers without leading zeros or
// "-0", strings whose length fits what is left, dictionary keys sorted and
// each once, nesting at most MaxDepth deep, and nothing after the value.
package bencode

import (
	"fmt"
	"strconv"
)

// MaxDepth bounds the nesting of lists and dictionaries, so that hostile
// input cannot exhaust the stack.
const MaxDepth = 64

// Decode decodes b, which must hold exactly one value. Byte strings decode
// to string, integers to int64, lists to []any and dictionaries to
// map[string]any.
func Decode(b []byte) (any, error) {
	d := decoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.pos != len(b) {
		return nil, d.errorf("%d bytes after the value", len(b)-d.pos)
	}
	return v, nil
}

// Fields decodes the dictionary b (exactly one value) one level deep: each
// key maps to its value's encoding, a sub-slice of b.
func Fields(b []byte) (map[string][]byte, error) {
	d := decoder{b: b}
	if d.pos >= len(b) || b[0] != 'd' {
		return nil, d.errorf("not a dictionary")
	}
	fields := map[string][]byte{}
	err := d.dict(0, func(key string) error {
		start := d.pos
		err := d.skip(1)
		fields[key] = b[start:d.pos]
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.pos != len(b) {
		return nil, d.errorf("%d bytes after the value", len(b)-d.pos)
	}
	return fields, nil
}

type decoder struct {
	b   []byte
	pos int
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("bencode: at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.b) {
		return nil, d.errorf("unexpected end")
	}
	switch c := d.b[d.pos]; {
	case c == 'i':
		d.pos++
		return d.integer('e')
	case c >= '0' && c <= '9':
		return d.str()
	case c == 'l' || c == 'd':
		if depth >= MaxDepth {
			return nil, d.errorf("nested deeper than %d", MaxDepth)
		}
		if c == 'l' {
			return d.list(depth + 1)
		}
		m := map[string]any{}
		err := d.dict(depth+1, func(key string) error {
			v, err := d.value(depth + 1)
			m[key] = v
			return err
		})
		return m, err
	default:
		return nil, d.errorf("unexpected %q", c)
	}
}

// integer reads digits up to end: an optional '-', no leading zeros, no
// "-0", within int64.
func (d *decoder) integer(end byte) (int64, error) {
	start := d.pos
	for d.pos < len(d.b) && d.b[d.pos] != end {
		d.pos++
	}
	if d.pos >= len(d.b) {
		return 0, d.errorf("unterminated integer")
	}
	s := string(d.b[start:d.pos])
	d.pos++
	digits := s
	if end == 'e' && len(s) > 0 && s[0] == '-' {
		digits = s[1:]
		if digits == "0" {
			return 0, d.errorf("integer -0")
		}
	}
	if digits == "" || (len(digits) > 1 && digits[0] == '0') || digits[0] < '0' || digits[0] > '9' {
		return 0, d.errorf("malformed integer %q", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, d.errorf("integer %q: %v", s, err)
	}
	return n, nil
}

func (d *decoder) str() (string, error) {
	b, err := d.span()
	return string(b), err
}

// span reads a byte string without copying it: its bytes in the input.
func (d *decoder) span() ([]byte, error) {
	n, err := d.integer(':')
	if err != nil {
		return nil, err
	}
	if n > int64(len(d.b)-d.pos) {
		return nil, d.errorf("string of %d bytes, %d left", n, len(d.b)-d.pos)
	}
	b := d.b[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

func (d *decoder) list(depth int) ([]any, error) {
	d.pos++ // 'l'
	l := []any{}
	for {
		if d.pos < len(d.b) && d.b[d.pos] == 'e' {
			d.pos++
			return l, nil
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
	}
}

// dict reads a dictionary, calling each after each key to read its value.
func (d *decoder) dict(depth int, each func(key string) error) error {
	d.pos++ // 'd'
	first, prev := true, ""
	for {
		if d.pos >= len(d.b) {
			return d.errorf("unterminated dictionary")
		}
		if d.b[d.pos] == 'e' {
			d.pos++
			return nil
		}
		if c := d.b[d.pos]; c < '0' || c > '9' {
			return d.errorf("dictionary key is not a string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		switch {
		case !first && key == prev:
			return d.errorf("dictionary key %q twice", key)
		case !first && key < prev:
			return d.errorf("dictionary key %q after %q: keys must be sorted", key, prev)
		}
		first, prev = false, key
		if err := each(key); err != nil {
			return err
		}
	}
}

// skip reads one value without keeping it (nor copying its strings).
func (d *decoder) skip(depth int) error {
	if d.pos < len(d.b) && d.b[d.pos] >= '0' && d.b[d.pos] <= '9' {
		_, err := d.span()
		return err
	}
	if d.pos < len(d.b) && (d.b[d.pos] == 'l' || d.b[d.pos] == 'd') {
		if depth >= MaxDepth {
			return d.errorf("nested deeper than %d", MaxDepth)
		}
		if d.b[d.pos] == 'd' {
			return d.dict(depth+1, func(string) error { return d.skip(depth + 1) })
		}
		d.pos++
		for d.pos >= len(d.b) || d.b[d.pos] != 'e' {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
		d.pos++
		return nil
	}
	_, err := d.value(depth)
	return err
}
