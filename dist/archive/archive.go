// Package archive packs a directory into a gzip-compressed tarball and
// extracts such tarballs safely, replacing the `tar -c -z` and `tar xf`
// shell commands of the original Murder.
//
// Everything happens in-process, so no user-supplied value ever reaches a
// shell. The output of Pack is an ordinary .tgz that GNU tar reads, with
// member names like `./a/b` as `tar -C dir .` writes them. Extract accepts
// GNU tar archives too, but treats every archive as hostile: it refuses
// entries that could escape the destination (absolute names, `..`, links
// pointing outside, writes through links), hard links and special files, and
// it works in a private staging directory so that the destination is either
// fully updated or untouched.
package archive

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ValidateName checks the name of an archive entry: it must not be empty,
// absolute, contain a NUL byte or have a `..` component. The archive root
// ("." or "./", which GNU tar writes first) is valid; Extract accepts it only
// as a directory.
func ValidateName(name string) error {
	_, err := cleanName(name)
	return err
}

// cleanName validates name and returns it cleaned ("./a//b/" -> "a/b",
// "./" -> ".").
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("empty name")
	case strings.IndexByte(name, 0) >= 0:
		return "", errors.New("name contains a NUL byte")
	case strings.HasPrefix(name, "/"):
		return "", errors.New("absolute name")
	}
	// Refuse ".." anywhere, even where cleaning would remove it ("a/../b"):
	// a well-formed archive never needs it.
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", errors.New("name has a .. component")
		}
	}
	return path.Clean(name), nil
}

// checkLinkTarget checks that the symlink at the cleaned entry name, pointing
// to target, stays inside the archive root.
//
// Lexical evaluation is only sound if every directory walked through is a
// real directory. The link's own parents are (Extract guarantees it), so
// leading ".." components are fine as long as they do not climb above the
// root. A ".." after a normal component ("x/../..") could instead climb out of
// a directory reached through another symlink, so such non-canonical targets
// are refused.
func checkLinkTarget(name, target string) error {
	switch {
	case target == "":
		return errors.New("empty symlink target")
	case strings.IndexByte(target, 0) >= 0:
		return errors.New("symlink target contains a NUL byte")
	case strings.HasPrefix(target, "/"):
		return errors.New("symlink target " + target + " is absolute")
	}
	depth := strings.Count(name, "/") // depth of the link's directory
	normal := false
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if normal {
				return errors.New("symlink target " + target + " has .. after a normal component")
			}
			depth--
			if depth < 0 {
				return errors.New("symlink target " + target + " points outside the destination")
			}
		default:
			normal = true
		}
	}
	return nil
}

// onlyWriter hides an *os.File's ReadFrom so io.CopyBuffer uses our buffer
// instead of allocating its own for every file.
type onlyWriter struct{ io.Writer }

// copyBufSize is the copy buffer size; large enough to keep syscalls cheap.
const copyBufSize = 256 << 10

// RemoveTree removes p like os.RemoveAll, first making directories
// writable if needed: an extracted tree has the archive's modes, which may
// make directories read-only.
func RemoveTree(p string) error { return removeTree(p) }

// removeTree removes p like os.RemoveAll, first making directories writable
// if needed (Extract may already have applied read-only modes).
func removeTree(p string) error {
	if err := os.RemoveAll(p); err == nil {
		return nil
	}
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}
