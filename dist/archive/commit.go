package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// replace gives the staging directory its final modes and renames it to
// dest, which must not exist or be an empty directory.
func (x *extractor) replace(dest string) error {
	if err := x.applyMeta(x.root, x.sortedDirs(nil)); err != nil {
		return err
	}
	// syscall.Rename, not os.Rename: os.Rename refuses an existing
	// directory, while rename(2) atomically replaces an empty one and fails
	// if it has been filled in the meantime.
	err := syscall.Rename(x.root, dest)
	if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		return notEmptyError{dest}
	}
	if err != nil {
		return fmt.Errorf("rename staging directory: %w", err)
	}
	return nil
}

// move is one step of a merge: rename staging/rel to dest/rel, removing the
// file or symlink there first if a directory takes its place.
type move struct {
	rel         string
	isDir       bool
	removeFirst bool
}

// merge moves the staged entries into the non-empty dest. All conflicts are
// found before anything is moved, so a refused merge leaves dest untouched.
// Directories present on both sides are merged recursively and keep dest's
// mode and ownership.
func (x *extractor) merge(dest string) error {
	var moves []move
	shared := map[string]bool{".": true}
	if err := x.planMerge(dest, ".", &moves, shared); err != nil {
		return err
	}
	// Directories inside moved subtrees get their final mode now. The
	// moved directories themselves must stay writable until renamed (a
	// directory changing parent needs write permission for its ".." entry).
	top := map[string]bool{}
	for _, m := range moves {
		top[m.rel] = m.isDir
	}
	inside := x.sortedDirs(func(d string) bool { return !shared[d] && !top[d] })
	if err := x.applyMeta(x.root, inside); err != nil {
		return err
	}
	for _, m := range moves {
		d := filepath.Join(dest, filepath.FromSlash(m.rel))
		if m.removeFirst {
			if err := os.Remove(d); err != nil {
				return err
			}
		}
		if err := os.Rename(filepath.Join(x.root, filepath.FromSlash(m.rel)), d); err != nil {
			return err
		}
	}
	return x.applyMeta(dest, x.sortedDirs(func(d string) bool { return top[d] }))
}

// planMerge compares staging/rel with dest/rel, which are both directories.
func (x *extractor) planMerge(dest, rel string, moves *[]move, shared map[string]bool) error {
	entries, err := os.ReadDir(filepath.Join(x.root, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := path.Join(rel, e.Name())
		d := filepath.Join(dest, filepath.FromSlash(r))
		fi, err := os.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			*moves = append(*moves, move{rel: r, isDir: e.IsDir()})
		case err != nil:
			return err
		case fi.IsDir() && e.IsDir():
			shared[r] = true
			if err := x.planMerge(dest, r, moves, shared); err != nil {
				return err
			}
		case fi.IsDir():
			return fmt.Errorf("entry %q: would replace directory %s", r, d)
		default:
			// A file or symlink in dest: replaced, never followed.
			*moves = append(*moves, move{rel: r, isDir: e.IsDir(), removeFirst: e.IsDir()})
		}
	}
	return nil
}

// sortedDirs returns the recorded directories accepted by keep (all if nil),
// deepest first, so a read-only parent is set after its children.
func (x *extractor) sortedDirs(keep func(string) bool) []string {
	var dirs []string
	for d := range x.dirs {
		if keep == nil || keep(d) {
			dirs = append(dirs, d)
		}
	}
	sort.Slice(dirs, func(i, j int) bool {
		di, dj := depth(dirs[i]), depth(dirs[j])
		if di != dj {
			return di > dj
		}
		return dirs[i] < dirs[j]
	})
	return dirs
}

func depth(name string) int {
	if name == "." {
		return -1
	}
	return strings.Count(name, "/")
}

// applyMeta sets the recorded mode and mtime of each directory under base.
func (x *extractor) applyMeta(base string, dirs []string) error {
	for _, d := range dirs {
		m := x.dirs[d]
		p := filepath.Join(base, filepath.FromSlash(d))
		if err := os.Chmod(p, m.mode); err != nil {
			return err
		}
		if !m.mtime.IsZero() {
			if err := os.Chtimes(p, time.Time{}, m.mtime); err != nil {
				return err
			}
		}
	}
	return nil
}
