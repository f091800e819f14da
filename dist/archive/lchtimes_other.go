//go:build !linux

package archive

import "time"

// lchtimes is a no-op here: symlink mtimes are cosmetic and the portable
// os.Chtimes would follow the link.
func lchtimes(string, time.Time) error { return nil }
