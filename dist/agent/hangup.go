package agent

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// errSessionGone ends a start whose caller stopped reading: the SSH
// session that ran it was closed (an operator's ^C on the controller).
var errSessionGone = errors.New("the session that started it is gone")

// hangupPoll is how long one poll of the caller's descriptor waits before
// looking at ctx again.
const hangupPoll = 250 * time.Millisecond

// cancelOnHangup cancels ctx with errSessionGone once nobody reads w any
// more, and returns the context and its release. A start is a command run
// over SSH: when the controller closes the session, sshd closes its end of
// the command's stdout, but a process that is not writing does not notice,
// and the remote command outlives the session (goph's cancel does not
// reach it). A start cut short that way must not leave its worker behind,
// nor spawn one after the controller's stop has looked for it. w that is
// not a pipe or a socket (a file, a terminal, a buffer) is never watched.
func cancelOnHangup(ctx context.Context, w io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	release := func() { cancel(context.Canceled) }
	fd, ok := watchableFD(w)
	if !ok {
		return ctx, release
	}
	if gone, _ := hungUpWithin(fd, 0); gone { // already: start nothing
		cancel(errSessionGone)
		return ctx, release
	}
	go func() {
		for ctx.Err() == nil {
			gone, err := hungUpWithin(fd, hangupPoll)
			if gone {
				cancel(errSessionGone)
			}
			if gone || (err != nil && err != unix.EINTR) {
				return
			}
		}
	}()
	return ctx, release
}

// watchableFD returns w's descriptor when w is a pipe or a socket.
func watchableFD(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return 0, false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	fd := -1
	if rc.Control(func(u uintptr) { fd = int(u) }) != nil || fd < 0 {
		return 0, false
	}
	return fd, true
}

// hungUpWithin waits up to d for fd's reader to go away. poll reports
// POLLERR on a pipe whose read end is closed and POLLHUP on a socket whose
// peer is gone, whatever events were asked for; asking for none keeps a
// half-closed socket (the controller done writing stdin) from counting.
func hungUpWithin(fd int, d time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd)}}
	n, err := unix.Poll(fds, int(d.Milliseconds()))
	if err != nil || n == 0 {
		return false, err
	}
	if fds[0].Revents&unix.POLLNVAL != 0 { // not ours to watch any more
		return false, unix.EBADF
	}
	return fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0, nil
}
