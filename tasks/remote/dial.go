package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/melbahja/goph"
	"golang.org/x/crypto/ssh"
)

// Config says how to reach hosts.
type Config struct {
	User            string   // default login user
	IdentityFiles   []string // private keys; empty: ssh-agent, else ~/.ssh defaults
	KnownHosts      string   // known_hosts file
	HostKeyChecking string   // "strict" (default), "accept-new" or "off"
	Gateway         *Target  // jump host, optional
	Timeout         time.Duration
	Keepalive       time.Duration
}

// Target is one host to connect to.
type Target struct {
	Name string // for messages, e.g. "w03"
	Host string
	Port int
	User string // overrides Config.User
}

// Addr is host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// Dialer connects to hosts with one set of keys, host keys and gateway.
// It is safe for concurrent use.
type Dialer struct {
	cfg   Config
	auth  []ssh.AuthMethod
	hosts *hostKeys

	gwOnce sync.Once
	gw     *ssh.Client
	gwErr  error
}

// NewDialer loads the keys and the known_hosts file once for all hosts.
func NewDialer(cfg Config) (*Dialer, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	auth, err := authMethods(cfg.IdentityFiles)
	if err != nil {
		return nil, err
	}
	hk, err := newHostKeys(cfg.KnownHosts, cfg.HostKeyChecking)
	if err != nil {
		return nil, err
	}
	return &Dialer{cfg: cfg, auth: auth, hosts: hk}, nil
}

// Dial connects to t and returns a Conn backed by goph.
func (d *Dialer) Dial(ctx context.Context, t Target) (*Client, error) {
	var dial func(ctx context.Context, addr string) (net.Conn, error)
	if d.cfg.Gateway != nil {
		gw, err := d.gateway(ctx)
		if err != nil {
			return nil, err
		}
		dial = func(ctx context.Context, addr string) (net.Conn, error) { return gw.DialContext(ctx, "tcp", addr) }
	}
	c, err := d.connect(ctx, t, dial)
	if err != nil {
		return nil, err
	}
	cl := &Client{goph: &goph.Client{Client: c}, name: t.Name, stop: make(chan struct{})}
	if d.cfg.Keepalive > 0 {
		go cl.keepalive(d.cfg.Keepalive)
	}
	return cl, nil
}

// Close closes the gateway connection, if any.
func (d *Dialer) Close() error {
	if d.gw != nil {
		return d.gw.Close()
	}
	return nil
}

func (d *Dialer) gateway(ctx context.Context) (*ssh.Client, error) {
	d.gwOnce.Do(func() {
		d.gw, d.gwErr = d.connect(ctx, *d.cfg.Gateway, nil)
		if d.gwErr != nil {
			d.gwErr = fmt.Errorf("gateway %s: %w", d.cfg.Gateway.Name, d.gwErr)
		}
	})
	return d.gw, d.gwErr
}

// connect dials and completes the SSH handshake within the timeout, with
// ctx reaching the socket throughout.
func (d *Dialer) connect(ctx context.Context, t Target, dial func(context.Context, string) (net.Conn, error)) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	if dial == nil {
		nd := &net.Dialer{KeepAlive: 30 * time.Second}
		dial = func(ctx context.Context, addr string) (net.Conn, error) { return nd.DialContext(ctx, "tcp", addr) }
	}
	addr := t.Addr()
	// Per dial, from known_hosts as it is now (accept-new may add to it).
	hostKeyAlgs := d.hosts.algorithms(addr)
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, classifyDial(addr, d.cfg.Timeout, err)
	}
	// NewClientConn takes no context: a deadline and a watcher that closes
	// the socket bound the handshake instead.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	user := t.User
	if user == "" {
		user = d.cfg.User
	}
	cfg := &ssh.ClientConfig{
		User:              user,
		Auth:              d.auth,
		HostKeyCallback:   d.hosts.callback(),
		HostKeyAlgorithms: hostKeyAlgs,
		Timeout:           d.cfg.Timeout,
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	interrupted := !stop()
	if err != nil {
		conn.Close()
		if interrupted && ctx.Err() != nil {
			return nil, classifyDial(addr, d.cfg.Timeout, ctx.Err())
		}
		return nil, classifyHandshake(addr, user, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// DialError is a failure to reach or log in to a host, with the cause in
// words an operator can act on.
type DialError struct {
	Kind string // unreachable, timeout, auth, hostkey-changed, hostkey-unknown, handshake
	Addr string
	Msg  string
	Err  error
}

func (e *DialError) Error() string { return e.Msg }
func (e *DialError) Unwrap() error { return e.Err }

func classifyDial(addr string, timeout time.Duration, err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &DialError{"timeout", addr, fmt.Sprintf("connect %s: timed out after %v", addr, timeout), err}
	case errors.Is(err, context.Canceled):
		return &DialError{"timeout", addr, fmt.Sprintf("connect %s: interrupted", addr), err}
	case errors.As(err, &dnsErr):
		return &DialError{"unreachable", addr, fmt.Sprintf("connect %s: cannot resolve host name: %v", addr, dnsErr.Err), err}
	}
	return &DialError{"unreachable", addr, fmt.Sprintf("connect %s: host unreachable: %v", addr, rootCause(err)), err}
}

func classifyHandshake(addr, user string, err error) error {
	var hk *HostKeyError
	switch {
	case errors.As(err, &hk):
		return &DialError{hk.kind(), addr, hk.Error(), err}
	case isTimeout(err):
		return &DialError{"timeout", addr, fmt.Sprintf("connect %s: SSH handshake timed out", addr), err}
	case containsAny(err.Error(), "unable to authenticate", "no supported methods remain"):
		return &DialError{"auth", addr, fmt.Sprintf("connect %s: authentication refused for user %q (check ssh.identity_files, the ssh-agent and the host's authorized_keys)", addr, user), err}
	}
	return &DialError{"handshake", addr, fmt.Sprintf("connect %s: SSH handshake failed: %v", addr, err), err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
