package agent

import (
	"os"

	"golang.org/x/sys/unix"
)

// fallocate reserves size bytes of disk for f.
func fallocate(f *os.File, size int64) error {
	return unix.Fallocate(int(f.Fd()), 0, 0, size)
}
