package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// stagingPrefix names the private directories Extract unpacks into, beside
// the destination. Each has a lock file, its name plus lockSuffix, that
// its extraction holds (flock) from before the directory exists until
// after it is gone: a staging directory whose lock nobody holds is the
// leftover of an extraction that was killed, and the next extraction into
// the same parent removes it.
const (
	stagingPrefix = ".murder-extract-"
	lockSuffix    = ".lock"
)

// newStaging removes stale staging directories in parent, then creates a
// fresh one, locked. release removes the lock; call it after the
// directory is gone.
func newStaging(parent string) (dir string, release func(), err error) {
	removeStale(parent)
	for range 3 {
		lf, err := os.CreateTemp(parent, stagingPrefix+"*"+lockSuffix)
		if err != nil {
			return "", nil, err
		}
		// A cleaner may lock or remove the new file before we lock it:
		// then it is theirs to remove, and we take another name.
		if unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil || !stillNamed(lf) {
			lf.Close()
			continue
		}
		dir := strings.TrimSuffix(lf.Name(), lockSuffix)
		if err := os.Mkdir(dir, 0o700); err != nil {
			os.Remove(lf.Name())
			lf.Close()
			return "", nil, err
		}
		return dir, func() { os.Remove(lf.Name()); lf.Close() }, nil
	}
	return "", nil, fmt.Errorf("could not lock a staging directory in %s", parent)
}

// stillNamed reports whether f's path still names the file f is open on.
func stillNamed(f *os.File) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(f.Name())
	return err == nil && os.SameFile(a, b)
}

// removeStale removes the staging directories and lock files in parent
// that no running extraction holds. Failures are ignored: a leftover only
// costs space, and the extraction itself does not depend on it.
func removeStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, stagingPrefix) {
			continue
		}
		if strings.HasSuffix(name, lockSuffix) {
			// With its directory, handled below; else an orphan lock.
			dir := filepath.Join(parent, strings.TrimSuffix(name, lockSuffix))
			if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
				removeIfUnlocked(filepath.Join(parent, name), "")
			}
			continue
		}
		if e.IsDir() {
			removeIfUnlocked(filepath.Join(parent, name+lockSuffix), filepath.Join(parent, name))
		}
	}
}

// removeIfUnlocked removes dir (if not "") and then the lock file, unless
// an extraction holds the lock. A directory without a lock file is stale:
// an extraction creates its lock first and removes it last.
func removeIfUnlocked(lock, dir string) {
	f, err := os.OpenFile(lock, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if dir != "" {
			_ = removeTree(dir)
		}
		return
	}
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil || !stillNamed(f) {
		return // a live extraction, or already cleaned by another
	}
	if dir != "" {
		if removeTree(dir) != nil {
			return
		}
	}
	os.Remove(lock)
}
