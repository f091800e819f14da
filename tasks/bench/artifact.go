package bench

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/pgzip"
)

// chunk is the size of the artifact's files: a release is many files, and
// extraction should see more than one.
const chunk = 64 << 20

// makeArtifact writes size bytes of incompressible data into dir, as
// files of at most chunk bytes. ChaCha8 is random enough that no gzip
// level shrinks it and fast enough to make gigabytes in seconds.
func makeArtifact(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifact: %w", err)
	}
	var seed [32]byte
	copy(seed[:], "murder fleet benchmark artifact")
	src := rand.NewChaCha8(seed)
	for i := 0; size > 0; i++ {
		n := min(size, chunk)
		if err := writeRandom(filepath.Join(dir, fmt.Sprintf("part-%03d.bin", i)), src, n); err != nil {
			return fmt.Errorf("artifact: %w", err)
		}
		size -= n
	}
	return nil
}

func writeRandom(path string, src io.Reader, n int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, io.LimitReader(src, n))
	return errors.Join(err, f.Close())
}

// packTgz packs the regular files at the top of src into the gzipped tar
// dst (names relative to src, as murder's pack does) and returns dst's
// SHA-256.
func packTgz(src, dst string) (string, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", fmt.Errorf("pack: %w", err)
	}
	f, err := os.Create(dst)
	if err != nil {
		return "", fmt.Errorf("pack: %w", err)
	}
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	zw, err := pgzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err == nil {
		err = writeTar(zw, src, entries)
		err = errors.Join(err, zw.Close(), bw.Flush())
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return "", fmt.Errorf("pack %s: %w", dst, err)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

func writeTar(w io.Writer, src string, entries []os.DirEntry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		hdr := &tar.Header{Name: e.Name(), Mode: int64(info.Mode().Perm()), Size: info.Size(),
			ModTime: info.ModTime().Truncate(time.Second), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if err := copyFile(tw, filepath.Join(src, e.Name())); err != nil {
			return err
		}
	}
	return tw.Close()
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
