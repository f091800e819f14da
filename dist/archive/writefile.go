package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/pgzip"
	"github.com/murderfleet/murder/internal/ctxio"
)

// WriteFile creates dst atomically: write fills a temporary file beside
// dst (created owner-only), which, once write has succeeded, is given mode
// perm whatever the umask, synced and renamed over dst. On any error,
// including cancellation, the temporary file is removed and dst is left
// untouched, so a reader never sees half a file and a failed decryption
// leaves the previous content in place.
func WriteFile(ctx context.Context, dst string, perm fs.FileMode, write func(w io.Writer) error) error {
	if err := writeAtomic(ctx, dst, perm, time.Time{}, write); err != nil {
		return fmt.Errorf("archive: write %s: %w", dst, err)
	}
	return nil
}

// writeAtomic is WriteFile that also sets the modification time unless
// mtime is zero.
func writeAtomic(ctx context.Context, dst string, perm fs.FileMode, mtime time.Time, write func(w io.Writer) error) (err error) {
	// CreateTemp makes the file 0600: nobody else can open it before the
	// final mode is set.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(ctxio.Writer(ctx, tmp)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(tmp.Name(), time.Time{}, mtime); err != nil {
			return err
		}
	}
	return os.Rename(tmp.Name(), dst)
}

// CopyTo copies r to w with a buffer of the size Extract uses, stopping
// when ctx is done.
func CopyTo(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	return io.CopyBuffer(onlyWriter{w}, ctxio.Reader(ctx, r), make([]byte, copyBufSize))
}

// UnpackedSize reads the gzip-compressed tarball r to its end and returns
// the total size of its regular files, what Extract would write and what
// Options.MaxBytes bounds. It fails on anything that is not a tgz.
func UnpackedSize(r io.Reader) (int64, error) {
	zr, err := pgzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("archive: not a gzip stream: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var n int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("archive: reading tar: %w", err)
		}
		if hdr.Typeflag == tar.TypeReg {
			n += hdr.Size
		}
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return 0, fmt.Errorf("archive: reading gzip trailer: %w", err)
	}
	return n, nil
}
