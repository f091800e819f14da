//go:build !linux

package agent

import (
	"context"
	"time"

	"github.com/murderfleet/murder/internal/ctxio"
)

// dirWatch only sleeps where the agent has no inotify: status --wait
// then learns of a result at its next poll.
type dirWatch struct{}

func watchDir(string) *dirWatch { return &dirWatch{} }

func (*dirWatch) wait(ctx context.Context, d time.Duration) { ctxio.Sleep(ctx, d) }

func (*dirWatch) close() {}
