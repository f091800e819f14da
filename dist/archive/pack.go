package archive

import (
	"github.com/murderfleet/murder/internal/ctxio"

	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/pgzip"
)

// Pack writes a gzip-compressed tarball of the contents of dir to w, like
// `tar -c -z -C dir --exclude PATTERN... .`: member names are "./", "./a/",
// "./a/b", in sorted depth-first order, so the same tree always gives the
// same bytes.
//
// Each exclude pattern (path.Match syntax, e.g. ".git*") is matched against
// the base name of every entry, or against its path relative to dir (without
// "./") if the pattern contains a slash; an excluded directory is skipped
// whole.
//
// Regular files (hard links become independent copies), directories and
// symlinks are stored with their modes and modification times; symlink
// targets are stored unchanged. Sockets, devices and fifos are refused, and
// so are symlinks that Extract would refuse (absolute or pointing outside
// dir), so that a bad tree fails on the seeder rather than on every peer.
func Pack(ctx context.Context, w io.Writer, dir string, exclude []string) error {
	_, err := PackSize(ctx, w, dir, exclude)
	return err
}

// PackSize is Pack that also returns the archive's unpacked size: the
// total of its regular files' sizes, what Options.MaxBytes bounds.
func PackSize(ctx context.Context, w io.Writer, dir string, exclude []string) (int64, error) {
	n, err := pack(ctx, w, dir, exclude)
	if err != nil {
		return 0, fmt.Errorf("archive: pack %s: %w", dir, err)
	}
	return n, nil
}

func pack(ctx context.Context, w io.Writer, dir string, exclude []string) (int64, error) {
	for _, p := range exclude {
		if _, err := path.Match(p, ""); err != nil {
			return 0, fmt.Errorf("exclude pattern %q: %w", p, err)
		}
	}
	// Stat, not Lstat: like tar -C, a symlink to the directory is fine.
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	if !fi.IsDir() {
		return 0, errors.New("not a directory")
	}
	zw := pgzip.NewWriter(w)
	p := &packer{
		tw:      tar.NewWriter(zw),
		root:    dir,
		exclude: exclude,
		buf:     make([]byte, copyBufSize),
	}
	err = p.header(".", fi, "")
	if err == nil {
		err = p.walk(ctx, ".")
	}
	if err == nil {
		err = p.tw.Close() // writes the end-of-archive marker
	}
	// Always close the gzip writer: it stops its compression goroutines.
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	return p.size, err
}

type packer struct {
	tw      *tar.Writer
	root    string
	exclude []string
	buf     []byte
	size    int64 // regular file bytes written so far
}

// walk adds the entries of the directory rel (relative to p.root, "." for the
// root) in sorted order, recursing into subdirectories.
func (p *packer) walk(ctx context.Context, rel string) error {
	entries, err := os.ReadDir(filepath.Join(p.root, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		child := path.Join(rel, e.Name())
		if p.excluded(child) {
			continue
		}
		if err := p.add(ctx, child, e); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(p.root, child), err)
		}
	}
	return nil
}

func (p *packer) add(ctx context.Context, rel string, e fs.DirEntry) error {
	fi, err := e.Info() // Lstat: symlinks are not followed
	if err != nil {
		return err
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		if err := p.header(rel, fi, ""); err != nil {
			return err
		}
		return p.walk(ctx, rel)
	case mode.IsRegular():
		return p.file(ctx, rel, fi)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(filepath.Join(p.root, rel))
		if err != nil {
			return err
		}
		if err := checkLinkTarget(rel, target); err != nil {
			return err
		}
		return p.header(rel, fi, target)
	default:
		return fmt.Errorf("unsupported file type %v (sockets, devices and fifos cannot be packed)", mode.Type())
	}
}

// file adds a regular file. It stats the opened file and checks it is the
// one that was listed, so a file swapped for a fifo or symlink meanwhile is
// not followed; a file that shrinks while being read is an error.
func (p *packer) file(ctx context.Context, rel string, listed fs.FileInfo) error {
	f, err := os.Open(filepath.Join(p.root, rel))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(fi, listed) {
		return errors.New("file changed while packing")
	}
	if err := p.header(rel, fi, ""); err != nil {
		return err
	}
	src := io.LimitReader(ctxio.Reader(ctx, f), fi.Size())
	n, err := io.CopyBuffer(p.tw, src, p.buf)
	if err != nil {
		return err
	}
	if n != fi.Size() {
		return fmt.Errorf("file shrank while packing (%d of %d bytes)", n, fi.Size())
	}
	p.size += n
	return nil
}

// header writes the tar header for rel with the name GNU tar would use.
func (p *packer) header(rel string, fi fs.FileInfo, link string) error {
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = "./" + rel
	if rel == "." {
		hdr.Name = "./"
	} else if fi.IsDir() {
		hdr.Name += "/"
	}
	// Access and change times vary between runs; leaving them out keeps the
	// output reproducible (modification times are kept, in whole seconds).
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	return p.tw.WriteHeader(hdr)
}

// excluded reports whether rel matches one of the exclude patterns.
func (p *packer) excluded(rel string) bool {
	base := path.Base(rel)
	for _, pat := range p.exclude {
		name := base
		if strings.Contains(pat, "/") {
			name = rel
		}
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// PackFile copies the regular file src to dst, keeping its permission bits
// (not setuid/setgid/sticky) and modification time: the path_is_file case of
// murder, on the seeder and on the peers. The copy is written to a temporary
// file beside dst, synced and renamed over dst, so dst is never seen half
// written. Copying a file onto itself does nothing.
func PackFile(ctx context.Context, dst, src string) error {
	if err := packFile(ctx, dst, src); err != nil {
		return fmt.Errorf("archive: copy %s to %s: %w", src, dst, err)
	}
	return nil
}

func packFile(ctx context.Context, dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if dfi, err := os.Stat(dst); err == nil && os.SameFile(fi, dfi) {
		return nil
	}
	return writeAtomic(ctx, dst, fi.Mode().Perm(), fi.ModTime(), func(w io.Writer) error {
		_, err := CopyTo(ctx, w, in)
		return err
	})
}
