package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/murderfleet/murder/dist/torrentcheck"
	"github.com/murderfleet/murder/internal/ctxio"
)

// archiveSums are the SHA-256 digests an archive must have, each with where
// it came from. Checking them while extracting costs no pass over the file
// of its own: the archive is hashed as the extractor reads it.
type archiveSums struct {
	file  string
	wants []sumWant
	// unpacked is the unpacked size the torrent records, -1 if none.
	unpacked int64
}

// sumWant is one expected digest and how an error names it.
type sumWant struct{ hex, desc string }

// expectedSums collects the digests that --torrent and --sha256 ask for; a
// torrent without murder's SHA-256 is an error, not a skipped check.
func expectedSums(file, torrentPath, sum string) (archiveSums, error) {
	s := archiveSums{file: file, unpacked: -1}
	if torrentPath != "" {
		tf, err := loadTorrent(torrentPath)
		if err != nil {
			return s, err
		}
		if s, err = torrentSums(file, tf); err != nil {
			return s, err
		}
	}
	if sum != "" {
		canon, err := torrentcheck.ParseDigest(sum)
		if err != nil {
			return s, usagef("--sha256: %v", err)
		}
		s.wants = append(s.wants, sumWant{canon, "the expected " + canon})
	}
	return s, nil
}

// torrentSums are the digests the loaded torrent tf records for file.
func torrentSums(file string, tf *torrentFile) (archiveSums, error) {
	s := archiveSums{file: file, unpacked: -1}
	if tf.ext.SHA256 == "" {
		return s, fmt.Errorf("torrent %s records no SHA-256 (not made by murder's make-torrent)", tf.path)
	}
	s.wants = append(s.wants, sumWant{tf.ext.SHA256, tf.ext.SHA256 + " recorded in " + tf.path})
	s.unpacked = tf.ext.Unpacked
	return s, nil
}

// checkFile hashes the whole file and compares.
func (s archiveSums) checkFile(ctx context.Context) error {
	if len(s.wants) == 0 {
		return nil
	}
	got, err := ctxio.FileSHA256(ctx, s.file)
	if err != nil {
		return err
	}
	return s.compare(got)
}

// tee returns a reader of f that hashes what it reads, and a verify func
// that hashes the rest of f (anything past the end of the gzip stream) and
// compares. verify reports the same result when called again.
func (s archiveSums) tee(f io.Reader) (io.Reader, func() error) {
	if len(s.wants) == 0 {
		return f, func() error { return nil }
	}
	h := sha256.New()
	var done bool
	var result error
	verify := func() error {
		if !done {
			done = true
			result = s.finish(h, f)
		}
		return result
	}
	return io.TeeReader(f, h), verify
}

func (s archiveSums) finish(h hash.Hash, rest io.Reader) error {
	if _, err := io.Copy(h, rest); err != nil {
		return fmt.Errorf("%s: %w", s.file, err)
	}
	return s.compare(hex.EncodeToString(h.Sum(nil)))
}

func (s archiveSums) compare(got string) error {
	for _, w := range s.wants {
		if got != w.hex { // both canonical (torrentcheck.ParseDigest)
			return fmt.Errorf("%s: SHA-256 %s differs from %s; not extracting", s.file, got, w.desc)
		}
	}
	return nil
}
