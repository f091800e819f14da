//go:build !linux

package agent

// rcvLowat does nothing here: the reasoning about the kernel's mark and
// receive window in rcvlowat.go is Linux's.
type rcvLowat struct{}

func newRcvLowat(any) rcvLowat { return rcvLowat{} }

func (*rcvLowat) set(int64) {}

func (*rcvLowat) active() bool { return false }
