package localfleet

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// A process started with SIGINT or SIGHUP ignored (a background job of a
// non-interactive shell, nohup) passes that to every child: the Go runtime
// keeps an inherited SIG_IGN for these two and exec preserves it. Commands
// would then shrug off the SIGINT that goph sends when a client cancels,
// unlike under a real sshd, whose children start with default dispositions.
//
// Notify installs the Go handler instead, and the runtime resets handled
// signals to the default in children it forks. Nobody reads the channel,
// so for this process the signals stay as good as ignored. The state is
// shared by all fleets, hence the reference count; the last Close restores
// the original disposition.
var defaultSignals struct {
	mu      sync.Mutex
	checked bool
	// ignored is what was ignored at the first acquire. Remembered, as
	// signal.Ignored no longer reports a signal that signal.Stop handed
	// back to its inherited SIG_IGN.
	ignored []os.Signal
	users   int
	ch      chan os.Signal // non-nil while we hold the ignored signals
}

// acquireDefaultSignals makes commands started from now on begin with
// SIGINT and SIGHUP at their default disposition. Release with
// releaseDefaultSignals.
func acquireDefaultSignals() {
	s := &defaultSignals
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users++
	if s.users > 1 {
		return
	}
	if !s.checked {
		s.checked = true
		for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGHUP} {
			if signal.Ignored(sig) {
				s.ignored = append(s.ignored, sig)
			}
		}
	}
	if len(s.ignored) > 0 {
		s.ch = make(chan os.Signal, 1)
		signal.Notify(s.ch, s.ignored...)
	}
}

func releaseDefaultSignals() {
	s := &defaultSignals
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users--
	if s.users == 0 && s.ch != nil {
		signal.Stop(s.ch)
		s.ch = nil
	}
}
