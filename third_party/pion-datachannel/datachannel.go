// Package datachannel stands in for github.com/pion/datachannel in murder's
// own builds; see ../README.md. Only the type anacrolix/torrent names is
// declared.
package datachannel

import "io"

// ReadWriteCloser is a detached data channel.
type ReadWriteCloser interface {
	io.Reader
	io.Writer
	io.Closer
}
