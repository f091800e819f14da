package agent

import (
	"os"
	"runtime/debug"
)

// A peer or seeder allocates steadily while it moves data (messages,
// request bookkeeping), and with Go's default GOGC=100 its small heap is
// collected over and over. Letting the heap grow to three times what is
// live trades some tens of MiB for a few percent of a transfer's CPU; the
// memory limit makes the collector work harder again long before a host
// could miss the memory.
const (
	transferGCPercent   = 200
	transferMemoryLimit = 256 << 20
)

// tuneGC sets the collector for a process that moves data, unless the
// operator chose with GOGC or GOMEMLIMIT.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(transferGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(transferMemoryLimit)
	}
}
