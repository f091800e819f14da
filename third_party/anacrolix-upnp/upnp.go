// Package upnp stands in for github.com/anacrolix/upnp in murder's own
// builds; see ../README.md. Discover finds nothing, so an agent can never
// open a port on a router, whatever its configuration says.
package upnp

import (
	"net"
	"time"

	"github.com/anacrolix/log"
)

// Protocol is TCP or UDP.
type Protocol string

// The protocols a mapping can be for.
const (
	TCP Protocol = "TCP"
	UDP Protocol = "UDP"
)

// Device is an Internet gateway.
type Device interface {
	GetLocalIPAddress() net.IP
	AddPortMapping(protocol Protocol, internalPort, externalPort int, description string, duration time.Duration) (int, error)
	DeletePortMapping(protocol Protocol, externalPort int) error
}

// Discover returns no devices, at once.
func Discover(renewal, timeout time.Duration, logger log.Logger) []Device { return nil }
