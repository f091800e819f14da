package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/murderfleet/murder/dist/archive"
	"golang.org/x/sys/unix"
)

// replaceDir puts the archive's content at dest in place of what is there
// (unsafe_please_delete): it is extracted beside dest first, so the old
// content goes only once the new content is complete.
//
// Replacements of one dest hold a lock beside it, and each first repairs
// what a killed one left: the new content staged beside dest is removed,
// and the old content moved aside is put back if dest is missing (killed
// between the two renames), else removed.
func replaceDir(ctx context.Context, extract func(dest string) error, dest string) error {
	parent, base := filepath.Dir(dest), filepath.Base(dest)
	unlock, err := lockReplace(parent, base)
	if err != nil {
		return err
	}
	defer unlock()
	prefix := "." + base + ".murder-new-"
	repairReplace(parent, prefix, dest)
	staged, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return err
	}
	os.Remove(staged) // Extract wants to create it
	if err := extract(staged); err != nil {
		archive.RemoveTree(staged)
		return err
	}
	return swapIn(staged, dest)
}

// swapIn renames staged to dest, moving dest's content aside first and
// removing it once the new content is in place.
func swapIn(staged, dest string) error {
	old := ""
	if _, err := os.Lstat(dest); err == nil {
		old = staged + ".old"
		if err := os.Rename(dest, old); err != nil {
			archive.RemoveTree(staged)
			return err
		}
	}
	if err := os.Rename(staged, dest); err != nil {
		if old != "" {
			_ = os.Rename(old, dest)
		}
		archive.RemoveTree(staged)
		return err
	}
	if old != "" {
		return archive.RemoveTree(old)
	}
	return nil
}

// lockReplace takes the lock of replacements of parent/base, waiting for
// one running. unlock removes the lock file while still holding it; a
// waiter that then finds its file gone from the name starts over, so two
// processes never hold locks on different files of the same name.
func lockReplace(parent, base string) (unlock func(), err error) {
	p := filepath.Join(parent, "."+base+".murder-replace.lock")
	for {
		f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, fmt.Errorf("replace lock: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("replace lock %s: %w", p, err)
		}
		if sameInode(f, p) {
			return func() { os.Remove(p); f.Close() }, nil
		}
		f.Close()
	}
}

// sameInode reports whether path still names the file f is open on.
func sameInode(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

// repairReplace cleans up after a replacement of dest that was killed,
// under the lock: nothing else uses these names meanwhile. Failures are
// left for the next attempt; they do not stop this one.
func repairReplace(parent, prefix, dest string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	_, derr := os.Lstat(dest)
	destMissing := errors.Is(derr, fs.ErrNotExist)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if destMissing && e.IsDir() && strings.HasSuffix(e.Name(), ".old") {
			if os.Rename(p, dest) == nil {
				destMissing = false
				continue
			}
		}
		_ = archive.RemoveTree(p)
	}
}
