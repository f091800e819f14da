package agent

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebacker starts the writeback of one file's dirty pages.
type writebacker struct {
	path string
	f    *os.File
}

// kick starts writing the file's dirty pages (sync_file_range without the
// wait flags: the call queues the writes and returns). The file is opened
// at the first kick that finds it and kept open: a rename leaves the
// descriptor on the same file.
func (w *writebacker) kick() {
	if w.f == nil {
		f, err := os.Open(w.path)
		if err != nil {
			return
		}
		w.f = f
	}
	_ = unix.SyncFileRange(int(w.f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}

func (w *writebacker) close() {
	if w.f != nil {
		w.f.Close()
	}
}
