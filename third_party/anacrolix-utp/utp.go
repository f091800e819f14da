// Package utp stands in for github.com/anacrolix/utp in murder's own
// builds; see ../README.md. murder's peers speak TCP only (uTP yields to
// other traffic on home links and only costs CPU in a datacenter), so
// NewSocket always fails.
package utp

import (
	"context"
	"errors"
	"net"
	"time"
)

var errNoUTP = errors.New("uTP is not built into murder's agent")

// Socket is a uTP socket; none can be made.
type Socket struct{}

// NewSocket fails.
func NewSocket(network, addr string) (*Socket, error) { return nil, errNoUTP }

// The methods of a socket, for the interface anacrolix/torrent expects.
func (*Socket) ReadFrom([]byte) (int, net.Addr, error)                        { return 0, nil, errNoUTP }
func (*Socket) WriteTo([]byte, net.Addr) (int, error)                         { return 0, errNoUTP }
func (*Socket) Close() error                                                  { return nil }
func (*Socket) LocalAddr() net.Addr                                           { return nil }
func (*Socket) SetDeadline(time.Time) error                                   { return errNoUTP }
func (*Socket) SetReadDeadline(time.Time) error                               { return errNoUTP }
func (*Socket) SetWriteDeadline(time.Time) error                              { return errNoUTP }
func (*Socket) Accept() (net.Conn, error)                                     { return nil, errNoUTP }
func (*Socket) Addr() net.Addr                                                { return nil }
func (*Socket) DialContext(context.Context, string, string) (net.Conn, error) { return nil, errNoUTP }
