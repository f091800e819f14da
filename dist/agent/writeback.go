package agent

import (
	"context"
	"time"
)

// anacrolix syncs a downloaded file to disk when its last piece is
// verified, before it renames FILE.part to FILE; a peer's download and its
// result wait for that. With the kernel's default dirty ratios (a tenth of
// memory before background writeback starts) little of the file has been
// written by then, so the last piece is followed by the whole file's
// writes, on every host at about the same moment. The peer asks the kernel
// to write the pieces out as they arrive instead, so that the final sync
// finds little left to do.

// writebackEvery is how often the peer hands what arrived to the disk.
const writebackEvery = time.Second

// startWriteback starts writing path's new data to disk every interval,
// without waiting for it, until ctx ends or the returned stop is called.
// A path that does not exist yet is looked for again at the next tick.
// Where the system has no way to start writeback without waiting for it,
// it does nothing.
func startWriteback(ctx context.Context, path string, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := writebacker{path: path}
		defer w.close()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				w.kick()
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
