package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// Dialer opens a connection to a host. The real one goes over SSH
// (NewSSHDialer); tests pass fakes (package taskstest).
type Dialer interface {
	Dial(ctx context.Context, h *roles.Host) (remote.Conn, error)
}

type lazyConn struct {
	once sync.Once
	conn remote.Conn
	err  error
}

// conn returns the host's connection, dialing it on first use: every
// task of a run shares one connection per host.
func (r *run) conn(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	r.connMu.Lock()
	if r.conns == nil {
		r.conns = map[*roles.Host]*lazyConn{}
	}
	lc := r.conns[h]
	if lc == nil {
		lc = &lazyConn{}
		r.conns[h] = lc
	}
	r.connMu.Unlock()
	lc.once.Do(func() { lc.conn, lc.err = r.dialer.Dial(ctx, h) })
	return lc.conn, lc.err
}

// remote runs op on h's connection holding one of ssh.max_hosts slots:
// max_hosts bounds the remote operations in flight across the run, never
// how many hosts a task follows. A timeout starts once the slot is held:
// waiting for one is not the host's fault.
func (r *run) remote(ctx context.Context, h *roles.Host, timeout time.Duration, op func(context.Context, remote.Conn) error) error {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.slots }()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w: no answer within %v", ErrTimeout, timeout))
		defer cancel()
	}
	c, err := r.conn(ctx, h)
	if err == nil {
		err = op(ctx, c)
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrTimeout) {
		return cause
	}
	if errors.Is(err, io.EOF) {
		// The keepalive closed a connection the host stopped answering:
		// "new session: EOF" alone does not say so.
		return fmt.Errorf("connection lost (the host stopped answering): %w", err)
	}
	return err
}

// ErrTimeout is the error of a command that ran past Host.Timeout.
var ErrTimeout = errors.New("timed out")

// close closes every connection.
func (r *run) close() error {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	var errs []error
	for _, lc := range r.conns {
		if lc.conn != nil {
			errs = append(errs, lc.conn.Close())
		}
	}
	r.conns = nil
	if c, ok := r.dialer.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// sshDialer dials hosts as murder.yaml's ssh: section says. Keys and
// known_hosts are loaded at the first dial, so that a dry run or a run
// refused by validation needs neither.
type sshDialer struct {
	cfg  remote.Config
	once sync.Once
	d    *remote.Dialer
	err  error
}

// NewSSHDialer returns the real Dialer.
func NewSSHDialer(s roles.SSH) Dialer {
	cfg := remote.Config{
		User: s.User, IdentityFiles: s.IdentityFiles, KnownHosts: s.KnownHosts,
		HostKeyChecking: string(s.HostKeyChecking), Timeout: s.Timeout, Keepalive: s.Keepalive,
	}
	if s.Gateway != nil {
		cfg.Gateway = &remote.Target{Name: "gateway " + s.Gateway.String(), Host: s.Gateway.Name, Port: s.Gateway.Port, User: s.Gateway.User}
	}
	return &sshDialer{cfg: cfg}
}

func (s *sshDialer) Dial(ctx context.Context, h *roles.Host) (remote.Conn, error) {
	s.once.Do(func() { s.d, s.err = remote.NewDialer(s.cfg) })
	if s.err != nil {
		return nil, s.err
	}
	c, err := s.d.Dial(ctx, remote.Target{Name: h.String(), Host: h.Name, Port: h.Port, User: h.User})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return c, nil
}

// Close closes the gateway connection, if one was made.
func (s *sshDialer) Close() error {
	if s.d != nil {
		return s.d.Close()
	}
	return nil
}
