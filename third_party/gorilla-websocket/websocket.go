// Package websocket stands in for github.com/gorilla/websocket in murder's
// own builds; see ../README.md. anacrolix/torrent dials WebSocket trackers
// only for WebTorrent, which murder's agent turns off; Dial always fails.
package websocket

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"
)

// The message types anacrolix/torrent sends.
const (
	TextMessage = 1
	PingMessage = 9
)

var errNoWebSocket = errors.New("WebSocket is not built into murder's agent")

// Dialer dials WebSocket servers; this one never connects.
type Dialer struct {
	Proxy            func(*http.Request) (*url.URL, error)
	NetDialContext   func(ctx context.Context, network, addr string) (net.Conn, error)
	HandshakeTimeout time.Duration
}

// DefaultDialer is a Dialer with the real package's handshake timeout.
var DefaultDialer = &Dialer{HandshakeTimeout: 45 * time.Second}

// Dial fails.
func (d *Dialer) Dial(urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	return nil, nil, errNoWebSocket
}

// Conn is a WebSocket connection; none can be made.
type Conn struct{}

// Close does nothing.
func (c *Conn) Close() error { return nil }

// WriteMessage fails.
func (c *Conn) WriteMessage(messageType int, data []byte) error { return errNoWebSocket }

// ReadMessage fails.
func (c *Conn) ReadMessage() (messageType int, p []byte, err error) { return 0, nil, errNoWebSocket }
