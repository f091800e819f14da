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

// ErrNotEmpty matches (with errors.Is) the error Extract returns when dest
// has content and Options.Merge is off.
var ErrNotEmpty = errors.New("destination is not empty")

// notEmptyError names the directory while matching ErrNotEmpty.
type notEmptyError struct{ dir string }

func (e notEmptyError) Error() string        { return "destination " + e.dir + " is not empty" }
func (e notEmptyError) Is(target error) bool { return target == ErrNotEmpty }

// Options tunes Extract.
type Options struct {
	// Merge allows a destination that already has content (murder's
	// no_tag_directory): the archive's entries are moved into it, replacing
	// same-named files and symlinks and merging into same-named directories.
	// Conflicts (an entry that would replace a directory) are detected
	// before anything is moved, but the moves themselves are not one atomic
	// step. Without Merge a non-empty destination is an error (ErrNotEmpty),
	// reported before r is read.
	Merge bool
	// Verify, when set, is called once the whole archive has been read and
	// before anything is moved into dest; its error aborts the extraction
	// with dest untouched. It lets a caller check a checksum of the bytes
	// it fed through r without a second pass over the file.
	Verify func() error
	// LimitBytes makes Extract fail, as soon as an entry's header says so
	// and before writing it, when the regular files would add up to more
	// than MaxBytes: an archive that unpacks to more than its torrent
	// recorded (a decompression bomb) never fills the disk.
	LimitBytes bool
	MaxBytes   int64
}

// Extract unpacks the gzip-compressed tarball r into the directory dest.
//
// It refuses, naming the entry: absolute names, names with a ".." component,
// hard links, sparse files, device, fifo and other special entries, symlinks
// whose target is absolute or points outside dest, and any entry that would
// be written through a symlink or replace a directory. Later duplicates of an
// entry win.
//
// Permission bits are applied as stored, except that setuid and setgid are
// always dropped (and sticky on files); ownership is not restored, files
// belong to the caller. Modification times are restored.
//
// The archive is unpacked into a private staging directory beside dest,
// which is then renamed to dest (dest must not exist or be an empty
// directory) or, with Merge and a non-empty dest, moved into dest entry by
// entry after checking that nothing would replace a directory. On any error,
// including cancellation and a corrupt or truncated archive, the staging
// directory is removed and dest is left untouched. Staging directories
// left by an extraction that was killed are removed by the next one into
// the same parent (see newStaging). dest must not be a
// symlink.
func Extract(ctx context.Context, r io.Reader, dest string, opts Options) error {
	if err := extract(ctx, r, dest, opts); err != nil {
		return fmt.Errorf("archive: extract into %s: %w", dest, err)
	}
	return nil
}

func extract(ctx context.Context, r io.Reader, dest string, opts Options) (err error) {
	dest, err = filepath.Abs(dest)
	if err != nil {
		return err
	}
	if filepath.Dir(dest) == dest {
		return errors.New("destination is the filesystem root")
	}
	st, err := inspectDest(dest)
	if err != nil {
		return err
	}
	if st.exists && !st.empty && !opts.Merge {
		return notEmptyError{dest}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	// The staging directory is 0700: nobody else can reach into it while
	// we check and create paths, which is what makes the Lstat checks sound.
	staging, release, err := newStaging(parent)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := removeTree(staging); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("remove staging directory: %w", rerr)
		}
		release()
	}()
	x := &extractor{root: staging, dirs: map[string]dirMeta{}, buf: make([]byte, copyBufSize), limit: opts.LimitBytes, max: opts.MaxBytes}
	if err := x.readAll(ctx, r); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if opts.Verify != nil {
		if err := opts.Verify(); err != nil {
			return err
		}
	}
	if st.exists && !st.empty {
		return x.merge(dest)
	}
	if _, ok := x.dirs["."]; !ok {
		x.dirs["."] = dirMeta{mode: st.mode}
	}
	return x.replace(dest)
}

// destState describes the destination before extraction.
type destState struct {
	exists, empty bool
	mode          fs.FileMode // of an existing directory, else the default
}

func inspectDest(dest string) (destState, error) {
	st := destState{mode: 0o755}
	fi, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return st, fmt.Errorf("destination %s is a symlink", dest)
	case !fi.IsDir():
		return st, fmt.Errorf("destination %s is not a directory", dest)
	}
	st.exists, st.mode = true, fi.Mode()&(fs.ModePerm|fs.ModeSticky)
	f, err := os.Open(dest)
	if err != nil {
		return st, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if err == io.EOF {
		st.empty = true
		return st, nil
	}
	return st, err
}

// dirMeta is the mode and mtime to give a directory once everything inside it
// has been written (a read-only directory could not be filled, and writing
// into it changes its mtime).
type dirMeta struct {
	mode  fs.FileMode
	mtime time.Time // zero: leave as is
}

// extractor unpacks entries under root, the staging directory.
type extractor struct {
	root string
	// dirs holds every directory created under root, by cleaned name ("."
	// is root). Directories are never removed or replaced once created, so
	// a name in dirs is known to be a real directory without an Lstat.
	dirs map[string]dirMeta
	buf  []byte
	// limit, max and written enforce Options.LimitBytes.
	limit        bool
	max, written int64
}

func (x *extractor) readAll(ctx context.Context, r io.Reader) error {
	zr, err := pgzip.NewReader(ctxio.Reader(ctx, r))
	if err != nil {
		return fmt.Errorf("read archive: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		if err := x.entry(ctx, hdr, tr); err != nil {
			return fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
	}
	// tar stops at its end-of-archive marker; reading on to the end makes
	// gzip verify its checksum and length trailer, so a truncated or corrupt
	// tail is noticed.
	if _, err := io.CopyBuffer(io.Discard, zr, x.buf); err != nil {
		return fmt.Errorf("read archive trailer: %w", err)
	}
	return nil
}

func (x *extractor) entry(ctx context.Context, hdr *tar.Header, r io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // PAX global metadata (git archive writes one), no file
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(name, hdr)
	case tar.TypeReg:
		if isSparse(hdr) {
			// tar.Reader would expand the holes into zeros: a tiny archive
			// could make us write any amount of data.
			return errors.New("sparse files are not supported")
		}
		return x.file(ctx, name, hdr, r)
	case tar.TypeGNUSparse:
		return errors.New("sparse files are not supported")
	case tar.TypeSymlink:
		return x.symlink(name, hdr)
	case tar.TypeLink:
		return fmt.Errorf("hard link to %q: hard links are not supported", hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		return errors.New("device nodes are not allowed")
	case tar.TypeFifo:
		return errors.New("fifos are not allowed")
	default:
		return fmt.Errorf("unsupported entry type %q", hdr.Typeflag)
	}
}

// isSparse reports whether hdr carries PAX GNU sparse records.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func (x *extractor) dir(name string, hdr *tar.Header) error {
	meta := dirMeta{mode: fs.FileMode(hdr.Mode) & fs.ModePerm, mtime: hdr.ModTime}
	if hdr.Mode&0o1000 != 0 {
		meta.mode |= fs.ModeSticky
	}
	if _, ok := x.dirs[name]; ok || name == "." {
		x.dirs[name] = meta
		return nil
	}
	p, err := x.prepare(name)
	if err != nil {
		return err
	}
	if err := os.Mkdir(p, 0o700); err != nil {
		return err
	}
	x.dirs[name] = meta
	return nil
}

func (x *extractor) file(ctx context.Context, name string, hdr *tar.Header, r io.Reader) (err error) {
	// tar.Reader yields exactly hdr.Size bytes of a (non-sparse) regular
	// file, so the header is enough to stop before writing.
	if x.limit && hdr.Size > x.max-x.written {
		return fmt.Errorf("the archive unpacks to more than %d bytes, the size recorded for it; refusing it", x.max)
	}
	x.written += hdr.Size
	p, err := x.prepare(name)
	if err != nil {
		return err
	}
	// O_EXCL: fails rather than following anything that appeared at p.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.CopyBuffer(onlyWriter{f}, ctxio.Reader(ctx, r), x.buf); err != nil {
		return err
	}
	if err := f.Chmod(fs.FileMode(hdr.Mode) & fs.ModePerm); err != nil {
		return err
	}
	if hdr.ModTime.IsZero() {
		return nil
	}
	return os.Chtimes(p, time.Time{}, hdr.ModTime) // p is our regular file
}

func (x *extractor) symlink(name string, hdr *tar.Header) error {
	if err := checkLinkTarget(name, hdr.Linkname); err != nil {
		return err
	}
	p, err := x.prepare(name)
	if err != nil {
		return err
	}
	if err := os.Symlink(hdr.Linkname, p); err != nil {
		return err
	}
	if hdr.ModTime.IsZero() {
		return nil
	}
	return lchtimes(p, hdr.ModTime)
}

// prepare makes sure every parent of the non-directory or new directory
// name is a real directory under root, creating missing ones, and removes a
// previous file or symlink called name (the later entry wins). It returns
// the path to create. It never replaces a directory.
func (x *extractor) prepare(name string) (string, error) {
	if name == "." {
		return "", errors.New("the archive root must be a directory")
	}
	if _, ok := x.dirs[name]; ok {
		return "", errors.New("would replace a directory of the same name")
	}
	if err := x.parents(path.Dir(name)); err != nil {
		return "", err
	}
	p := filepath.Join(x.root, filepath.FromSlash(name))
	if _, err := os.Lstat(p); err == nil {
		// Not in dirs, so a file or symlink: removing it follows nothing.
		if err := os.Remove(p); err != nil {
			return "", err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return p, nil
}

// parents makes dir and its parents real directories under root.
func (x *extractor) parents(dir string) error {
	if _, ok := x.dirs[dir]; ok || dir == "." {
		return nil
	}
	if err := x.parents(path.Dir(dir)); err != nil {
		return err
	}
	p := filepath.Join(x.root, filepath.FromSlash(dir))
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
		// Like tar, implied directories get a default mode, no mtime.
		x.dirs[dir] = dirMeta{mode: 0o755}
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("parent %s is a symlink; refusing to write through it", dir)
	default:
		return fmt.Errorf("parent %s is not a directory", dir)
	}
}
