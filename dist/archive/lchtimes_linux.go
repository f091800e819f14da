package archive

import (
	"time"

	"golang.org/x/sys/unix"
)

// lchtimes sets the modification time of p without following a final
// symlink, leaving the access time alone.
func lchtimes(p string, mtime time.Time) error {
	ts := []unix.Timespec{
		{Nsec: unix.UTIME_OMIT},
		unix.NsecToTimespec(mtime.UnixNano()),
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}
