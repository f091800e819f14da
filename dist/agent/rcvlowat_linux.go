package agent

import "syscall"

// rcvLowat sets a socket's SO_RCVLOWAT when it changes.
type rcvLowat struct {
	rc     syscall.RawConn
	cur    int // the mark now (the kernel's default is 1)
	rcvbuf int // SO_RCVBUF when last asked; it only grows
	off    bool
}

func newRcvLowat(c any) rcvLowat {
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			return rcvLowat{rc: rc, cur: 1}
		}
	}
	return rcvLowat{off: true}
}

// set makes the mark the largest level within want and an eighth of the
// receive buffer (below all: 1). The buffer is asked for as a message
// begins (the mark is 1) while it is too small for the level wanted.
func (l *rcvLowat) set(want int64) {
	if l.off {
		return
	}
	ideal := lowatLevel(want, -1)
	ask := ideal > 1 && l.cur == 1 && ideal*lowatRcvbufShare > l.rcvbuf
	v := lowatLevel(want, l.rcvbuf)
	if !ask && v == l.cur {
		return
	}
	err := l.rc.Control(func(fd uintptr) {
		if ask {
			buf, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
			if err != nil {
				l.off = true
				return
			}
			l.rcvbuf = buf
			if v = lowatLevel(want, buf); v == l.cur {
				return
			}
		}
		if err := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, v); err != nil {
			l.off = true
			return
		}
		l.cur = v
	})
	if err != nil {
		l.off = true
	}
}

// active reports whether the mark can still be set: the connection is a
// socket and no setsockopt has failed.
func (l *rcvLowat) active() bool { return !l.off }
