// Package remote is murder's narrow SSH seam: run a command, upload a file,
// download a file, on one host. Connections are made with
// golang.org/x/crypto/ssh (net.Dialer.DialContext + ssh.NewClientConn, so
// cancellation and timeouts reach the socket, and jump hosts work) and
// wrapped in a goph client for file transfer over SFTP.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Conn is what the task runner needs of a host.
type Conn interface {
	// Run runs the command line cmd (quote its words with Command), feeds
	// it stdin (nil: nothing) and streams its output. A non-zero exit is an
	// *ExitError.
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
	// Upload copies the local file to remotePath atomically, with mode.
	Upload(ctx context.Context, local, remotePath string, mode uint32) error
	// Download copies remotePath to the local file atomically.
	Download(ctx context.Context, remotePath, local string) error
	// Close ends the connection.
	Close() error
}

// ExitError is a remote command that ran and exited non-zero.
type ExitError struct {
	Code   int
	Signal string
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return fmt.Sprintf("killed by signal %s", e.Signal)
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// IsExit reports whether err is a remote command's non-zero exit, as
// opposed to a connection failure.
func IsExit(err error) bool {
	var e *ExitError
	return errors.As(err, &e)
}
