package agent

import (
	"fmt"
	"io"
	"os"

	"github.com/murderfleet/murder/dist/archive"
	"github.com/murderfleet/murder/dist/seal"
)

// unpackedCounter works out the unpacked size make-torrent records: the
// bytes of regular files in a tgz, read by a goroutine from what the
// hashing pass writes to it, so the file is read once; the file's own size
// for anything that is not a tgz (a path_is_file payload, which a copy
// never makes larger); or the size given on the command line.
type unpackedCounter struct {
	pw    *io.PipeWriter
	done  chan struct{}
	size  int64 // fallback, then the result
	fixed bool  // size was given: nothing to read
}

// newUnpackedCounter starts counting for file (size bytes); given >= 0 is
// recorded as it is. An age-encrypted file cannot be read here, so it
// needs the size given.
func newUnpackedCounter(file string, size, given int64) (*unpackedCounter, error) {
	if given >= 0 {
		return &unpackedCounter{size: given, fixed: true}, nil
	}
	head := make([]byte, len(seal.Magic))
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("file to share: %w", err)
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	if seal.IsEncrypted(head[:n]) {
		return nil, usagef("%s is encrypted: give --unpacked-size (pack prints it)", file)
	}
	if n < 2 || head[0] != 0x1f || head[1] != 0x8b {
		// Not gzip, so not a tgz: its own size, and no pipe to feed.
		return &unpackedCounter{size: size, fixed: true}, nil
	}
	pr, pw := io.Pipe()
	c := &unpackedCounter{pw: pw, done: make(chan struct{}), size: size}
	go func() {
		defer close(c.done)
		if n, err := archive.UnpackedSize(pr); err == nil {
			c.size = n
		}
		// Not a tgz, or stopped early: drain, so the hashing never blocks.
		_, _ = io.Copy(io.Discard, pr)
	}()
	return c, nil
}

// Write feeds the file's bytes, in order.
func (c *unpackedCounter) Write(p []byte) (int, error) {
	if c.fixed {
		return len(p), nil
	}
	// The reader drains until the end, so this only fails once closed.
	return c.pw.Write(p)
}

// result ends the input and returns the size.
func (c *unpackedCounter) result() int64 {
	if c.fixed {
		return c.size
	}
	c.pw.Close()
	<-c.done
	return c.size
}
