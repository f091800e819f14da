// Package treecmp compares two directory trees the way a deploy must be
// checked: same names, same bytes, same permission bits, same symlink
// targets.
package treecmp

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Equal returns nil when got holds exactly what want holds, else an error
// listing every difference. Names in skip (base names, e.g. ".git") are
// left out of want, as the packer leaves them out.
func Equal(want, got string, skip func(name string) bool) error {
	return EqualPlus(want, got, skip)
}

// EqualPlus is Equal where got may also hold the entries added (paths
// relative to got, such as a release's REVISION).
func EqualPlus(want, got string, skip func(name string) bool, added ...string) error {
	var errs []error
	seen := map[string]bool{}
	for _, a := range added {
		seen[filepath.Clean(a)] = true
	}
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		if rel != "." && skip != nil && skip(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		seen[rel] = true
		if e := same(p, filepath.Join(got, rel), rel); e != nil {
			errs = append(errs, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if rel, _ := filepath.Rel(got, p); !seen[rel] {
			errs = append(errs, fmt.Errorf("%s: unexpected extra entry", rel))
		}
		return nil
	})
	return errors.Join(errs...)
}

func same(a, b, rel string) error {
	fa, err := os.Lstat(a)
	if err != nil {
		return err
	}
	fb, err := os.Lstat(b)
	if err != nil {
		return fmt.Errorf("%s: missing: %v", rel, err)
	}
	if fa.Mode().Type() != fb.Mode().Type() {
		return fmt.Errorf("%s: type %v, want %v", rel, fb.Mode().Type(), fa.Mode().Type())
	}
	switch {
	case fa.Mode()&fs.ModeSymlink != 0:
		ta, _ := os.Readlink(a)
		tb, _ := os.Readlink(b)
		if ta != tb {
			return fmt.Errorf("%s: link to %q, want %q", rel, tb, ta)
		}
		return nil
	case rel != "." && fa.Mode().Perm() != fb.Mode().Perm():
		return fmt.Errorf("%s: mode %v, want %v", rel, fb.Mode().Perm(), fa.Mode().Perm())
	case fa.Mode().IsRegular():
		ba, err := os.ReadFile(a)
		if err != nil {
			return err
		}
		bb, err := os.ReadFile(b)
		if err != nil {
			return err
		}
		if !bytes.Equal(ba, bb) {
			return fmt.Errorf("%s: content differs (%d bytes, want %d)", rel, len(bb), len(ba))
		}
	}
	return nil
}
