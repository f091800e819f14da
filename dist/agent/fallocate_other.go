//go:build !linux

package agent

import (
	"os"

	"golang.org/x/sys/unix"
)

// fallocate: without fallocate(2) the file is made sparse (the caller
// truncates it to size).
func fallocate(*os.File, int64) error { return unix.ENOSYS }
