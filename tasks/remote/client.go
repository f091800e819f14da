package remote

import (
	"github.com/murderfleet/murder/internal/ctxio"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/melbahja/goph"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Client is a connection to one host.
type Client struct {
	goph *goph.Client
	name string

	stopOnce sync.Once
	stop     chan struct{}
}

var _ Conn = (*Client)(nil)

// Run runs cmd in a new session. When ctx ends first, the remote process is
// sent SIGTERM and the session closed, and Run returns at once: goph's own
// context handling would leave the session open. A server that refuses the
// signal (OpenSSH often does) leaves the process to end at its next write.
func (c *Client) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := c.goph.NewSession()
	if err != nil {
		return fmt.Errorf("new session: %w", err)
	}
	defer s.Close()
	s.Stdout, s.Stderr = stdout, stderr
	var in io.WriteCloser
	if stdin != nil {
		// Fed by hand: a command may finish without reading all of its
		// input, and its exit status, not a write to its closed channel,
		// is the answer (ssh.Session.Wait would report the write's EOF).
		if in, err = s.StdinPipe(); err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
	}
	if err := s.Start(cmd); err != nil {
		return fmt.Errorf("start command: %w", err)
	}
	if in != nil {
		go func() {
			_, _ = io.Copy(in, stdin)
			_ = in.Close()
		}()
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Not waiting for the remote end: OpenSSH refuses signals in many
		// setups ("session signalling requires privilege separation", as
		// root on 9.2), so the process ends at its next write to the closed
		// channel (SIGPIPE) or by its own limit, not sooner for waiting.
		_ = s.Signal(ssh.SIGTERM)
		s.Close()
		return ctx.Err()
	}
	var ee *ssh.ExitError
	var me *ssh.ExitMissingError
	switch {
	case errors.As(err, &ee):
		return &ExitError{Code: ee.ExitStatus(), Signal: ee.Signal()}
	case errors.As(err, &me):
		return fmt.Errorf("connection lost before the command finished: %w", err)
	}
	return err
}

// Upload writes local to a temporary name beside remotePath, sets mode and
// renames it into place, so the remote path never holds half a file.
func (c *Client) Upload(ctx context.Context, local, remotePath string, mode uint32) error {
	src, err := os.Open(local)
	if err != nil {
		return err
	}
	defer src.Close()
	ftp, err := c.sftp(ctx)
	if err != nil {
		return err
	}
	defer ftp.Close()
	tmp := path.Join(path.Dir(remotePath), "."+path.Base(remotePath)+".upload-"+randHex())
	dst, err := ftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("upload %s: %w", remotePath, err)
	}
	// Many writes in flight, not one 32 KiB packet per round trip.
	_, err = dst.ReadFromWithConcurrency(ctxio.Reader(ctx, src), 0)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ftp.Chmod(tmp, os.FileMode(mode))
	}
	if err == nil {
		err = ftp.PosixRename(tmp, remotePath)
	}
	if err != nil {
		_ = ftp.Remove(tmp)
		return fmt.Errorf("upload %s: %w", remotePath, err)
	}
	return nil
}

// Download copies remotePath to a temporary file beside local, then
// renames. The copy is owner-only: what murder downloads (a .torrent
// with its transfer's token) is nobody else's to read.
func (c *Client) Download(ctx context.Context, remotePath, local string) error {
	ftp, err := c.sftp(ctx)
	if err != nil {
		return err
	}
	defer ftp.Close()
	src, err := ftp.Open(remotePath)
	if err != nil {
		return fmt.Errorf("download %s: %w", remotePath, err)
	}
	defer src.Close()
	dst, err := os.CreateTemp(filepath.Dir(local), "."+filepath.Base(local)+".*")
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, ctxio.Reader(ctx, src))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(dst.Name(), local)
	}
	if err != nil {
		os.Remove(dst.Name())
		return fmt.Errorf("download %s: %w", remotePath, err)
	}
	return nil
}

func (c *Client) sftp(ctx context.Context) (*sftp.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ftp, err := c.goph.NewSftp()
	if err != nil {
		return nil, fmt.Errorf("sftp: %w", err)
	}
	return ftp, nil
}

// Close ends the connection and its keepalive.
func (c *Client) Close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	return c.goph.Close()
}

// keepalive sends OpenSSH keepalive requests so that idle sessions (a long
// peer download prints little) survive NAT and firewall timeouts, and a
// dead host is noticed: three missed answers close the connection.
func (c *Client) keepalive(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		res := make(chan error, 1)
		go func() {
			_, _, err := c.goph.SendRequest("keepalive@openssh.com", true, nil)
			res <- err
		}()
		select {
		case err := <-res:
			if err != nil {
				c.goph.Close()
				return
			}
			missed = 0
		case <-time.After(every):
			if missed++; missed >= 3 {
				c.goph.Close()
				return
			}
		case <-c.stop:
			return
		}
	}
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
