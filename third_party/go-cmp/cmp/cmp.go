// Package cmp stands in for github.com/google/go-cmp/cmp in murder's own
// builds; see ../../README.md. anacrolix/torrent calls Diff only to print
// a debugging message when two of its indexes disagree.
package cmp

import "fmt"

// Option configures a comparison; this package has none.
type Option interface{}

// Diff returns x and y as Go values, not a diff.
func Diff(x, y any, opts ...Option) string {
	return fmt.Sprintf("-%#v\n+%#v", x, y)
}
