package roles

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// nodeBudget bounds how many YAML nodes one file may make the decoder visit.
// Aliases are followed, so a small hostile file could otherwise expand into
// billions of visits ("billion laughs"); real configurations stay far below.
const nodeBudget = 1_000_000

// decoder walks the yaml.Node tree. It works on nodes rather than decoding
// into structs so that every problem carries its line, unknown keys are
// caught everywhere, and the declaration order of roles survives.
type decoder struct {
	file     string
	errs     Errors
	budget   int
	declared map[string]string // the user's own variables (Options.Vars)
}

// varNames are the variable names set: accepts, for suggestions.
func (d *decoder) varNames() []string {
	names := slices.Clone(varNames)
	for n := range d.declared {
		names = append(names, n)
	}
	slices.Sort(names[len(varNames):])
	return names
}

// maxErrors caps the report: past that, more lines do not help the operator.
const maxErrors = 50

// errorf records a problem located at n (which may be nil).
func (d *decoder) errorf(n *yaml.Node, where, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errorAt(line, where, format, args...)
}

// errorAt records a problem at a line (0: none in particular).
func (d *decoder) errorAt(line int, where, format string, args ...any) {
	switch {
	case len(d.errs) > maxErrors:
		return
	case len(d.errs) == maxErrors:
		d.errs = append(d.errs, &Error{File: d.file, Msg: "too many errors"})
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Where: where, Msg: fmt.Sprintf(format, args...)})
}

// node follows aliases and charges the visit against the budget.
func (d *decoder) node(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.budget--
	return n
}

// exhausted reports (once) that the node budget ran out.
func (d *decoder) exhausted(n *yaml.Node) bool {
	if d.budget > 0 {
		return false
	}
	if d.budget == 0 {
		d.errorf(n, "", "document too large after alias expansion")
		d.budget = -1
	}
	return true
}

// entry is one key of a mapping.
type entry struct {
	key  string
	k, v *yaml.Node
}

// entries lists the keys of mapping n in order, expanding YAML merge keys
// (<<: *defaults) with explicit keys winning, and rejecting duplicate keys,
// which yaml.Node would otherwise keep silently.
func (d *decoder) entries(n *yaml.Node, where string) []entry {
	if d.exhausted(n) {
		return nil
	}
	explicit := map[string]*yaml.Node{}
	var out, merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.node(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, where, "keys must be plain strings, got %s", describe(k))
		case k.ShortTag() == "!!merge":
			merged = append(merged, d.mergeSources(v, where)...)
		case explicit[k.Value] != nil:
			d.errorf(k, where, "duplicate key %q (first at line %d)", k.Value, explicit[k.Value].Line)
		default:
			explicit[k.Value] = k
			out = append(out, entry{k.Value, k, v})
		}
	}
	for _, e := range merged {
		if explicit[e.key] == nil {
			explicit[e.key] = e.k
			out = append(out, e)
		}
	}
	return out
}

// mergeSources returns the entries a merge key brings in: one mapping, or a
// list of mappings where earlier ones take precedence.
func (d *decoder) mergeSources(v *yaml.Node, where string) []entry {
	v = d.node(v)
	switch v.Kind {
	case yaml.MappingNode:
		return d.entries(v, where)
	case yaml.SequenceNode:
		seen := map[string]bool{}
		var out []entry
		for _, item := range d.items(v) {
			if item.Kind != yaml.MappingNode {
				d.errorf(item, where, "merge (<<) expects mappings, got %s", describe(item))
				continue
			}
			for _, e := range d.entries(item, where) {
				if !seen[e.key] {
					seen[e.key] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	d.errorf(v, where, "merge (<<) expects a mapping, got %s", describe(v))
	return nil
}

// items lists the elements of sequence n with aliases followed.
func (d *decoder) items(n *yaml.Node) []*yaml.Node {
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if d.exhausted(n) {
			return nil
		}
		out = append(out, d.node(c))
	}
	return out
}

// mapping resolves n and checks it is a mapping; null counts as empty.
func (d *decoder) mapping(n *yaml.Node, where string) ([]entry, bool) {
	n = d.node(n)
	switch {
	case isNull(n):
		return nil, true
	case n.Kind != yaml.MappingNode:
		d.errorf(n, where, "expected a mapping, got %s", describe(n))
		return nil, false
	}
	return d.entries(n, where), true
}

// str decodes a string. Any scalar is taken as written, so that
// "branch: 1.10" stays "1.10"; null is the empty string. ${X} and
// ${X:-default} are expanded from the environment (see expandEnv).
func (d *decoder) str(n *yaml.Node, where string) (string, bool) {
	n = d.node(n)
	switch {
	case n.Kind != yaml.ScalarNode:
		d.errorf(n, where, "expected a string, got %s", describe(n))
		return "", false
	case isNull(n):
		return "", true
	}
	v, err := expandEnv(n.Value, os.Getenv)
	if err != nil {
		d.errorf(n, where, "%v", err)
		return "", false
	}
	return v, true
}

// integer decodes an integer; strings such as "22" are refused so that a
// quoting mistake is noticed rather than guessed at.
func (d *decoder) integer(n *yaml.Node, where string) (int, bool) {
	n = d.node(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.errorf(n, where, "expected an integer, got %s", describe(n))
		return 0, false
	}
	var i int
	if err := n.Decode(&i); err != nil {
		d.errorf(n, where, "integer %s out of range", n.Value)
		return 0, false
	}
	return i, true
}

// boolean decodes true/false, also accepting YAML 1.1's yes/no/on/off
// because Ruby-era files use them.
func (d *decoder) boolean(n *yaml.Node, where string) (bool, bool) {
	n = d.node(n)
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	}
	d.errorf(n, where, "expected true or false, got %s", describe(n))
	return false, false
}

// strList decodes a list of strings; null is the empty list.
func (d *decoder) strList(n *yaml.Node, where string) ([]string, bool) {
	n = d.node(n)
	switch {
	case isNull(n):
		return []string{}, true
	case n.Kind != yaml.SequenceNode:
		d.errorf(n, where, "expected a list of strings, got %s", describe(n))
		return nil, false
	}
	out := []string{}
	ok := true
	for i, item := range d.items(n) {
		s, good := d.str(item, fmt.Sprintf("%s[%d]", where, i))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// duration decodes a Go duration ("10s", "1m30s") or an integer of seconds.
func (d *decoder) duration(n *yaml.Node, where string) (time.Duration, bool) {
	n = d.node(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var secs int64
		if err := n.Decode(&secs); err == nil && secs >= 0 && secs <= int64(time.Duration(1<<62)/time.Second) {
			return time.Duration(secs) * time.Second, true
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if v, err := time.ParseDuration(n.Value); err == nil && v >= 0 {
			return v, true
		}
	}
	d.errorf(n, where, "expected a duration such as 10s or 1m30s, or a whole number of seconds, got %s", describe(n))
	return 0, false
}

// isNull reports whether n is an explicit or implied YAML null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!int":
			return "integer " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		case "!!float":
			return "number " + n.Value
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "an unexpected YAML node"
}
