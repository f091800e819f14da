package agent

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/murderfleet/murder/internal/ctxio"
)

// dirWatch wakes a waiter when a file in a directory is written or renamed
// into it (inotify): status --wait learns of a worker's result the moment
// the worker writes it, not at its next poll.
type dirWatch struct {
	f   *os.File // the inotify descriptor, in the runtime's poller
	buf []byte
}

// watchDir watches dir; without a watch (inotify refused: too many
// watches, say) wait only sleeps.
func watchDir(dir string) *dirWatch {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return &dirWatch{}
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return &dirWatch{}
	}
	return &dirWatch{f: os.NewFile(uintptr(fd), "inotify"), buf: make([]byte, 4096)}
}

// wait returns when something in the directory changed, after d, or
// when ctx ends, whichever comes first.
func (w *dirWatch) wait(ctx context.Context, d time.Duration) {
	if w.f == nil {
		ctxio.Sleep(ctx, d)
		return
	}
	// The deadline first: a ctx already done then moves it to now.
	_ = w.f.SetReadDeadline(time.Now().Add(d))
	stop := context.AfterFunc(ctx, func() { _ = w.f.SetReadDeadline(time.Now()) })
	defer stop()
	_, _ = w.f.Read(w.buf) // events, a deadline or an error: the caller looks again
}

func (w *dirWatch) close() {
	if w.f != nil {
		w.f.Close()
	}
}
