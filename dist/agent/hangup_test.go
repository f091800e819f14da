package agent

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestCancelOnHangup(t *testing.T) {
	t.Run("pipe", func(t *testing.T) {
		r, w := mustPipe(t)
		ctx, release := cancelOnHangup(context.Background(), w)
		defer release()
		expectAlive(t, ctx)
		r.Close()
		expectGone(t, ctx)
	})
	t.Run("pipe already closed", func(t *testing.T) {
		r, w := mustPipe(t)
		r.Close()
		ctx, release := cancelOnHangup(context.Background(), w)
		defer release()
		if !errors.Is(context.Cause(ctx), errSessionGone) { // at once, not after a poll
			t.Fatalf("cause %v, want errSessionGone at once", context.Cause(ctx))
		}
	})
	t.Run("socket", func(t *testing.T) {
		ours, theirs := mustSocketpair(t)
		ctx, release := cancelOnHangup(context.Background(), ours)
		defer release()
		// The controller done with stdin half-closes the session: not gone.
		if err := syscall.Shutdown(int(theirs.Fd()), syscall.SHUT_WR); err != nil {
			t.Fatal(err)
		}
		expectAlive(t, ctx)
		theirs.Close()
		expectGone(t, ctx)
	})
	t.Run("not a pipe", func(t *testing.T) {
		for _, w := range []io.Writer{&bytes.Buffer{}, mustTempFile(t)} {
			ctx, release := cancelOnHangup(context.Background(), w)
			expectAlive(t, ctx)
			release()
			if !errors.Is(context.Cause(ctx), context.Canceled) {
				t.Errorf("%T: cause %v after release, want context.Canceled", w, context.Cause(ctx))
			}
		}
	})
}

func mustPipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func mustSocketpair(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func mustTempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func expectAlive(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
		t.Fatalf("cancelled (%v) while the reader is there", context.Cause(ctx))
	case <-time.After(2 * hangupPoll):
	}
}

func expectGone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), errSessionGone) {
			t.Fatalf("cause %v, want errSessionGone", context.Cause(ctx))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not cancelled 5 s after the reader left")
	}
}
