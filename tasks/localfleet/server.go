package localfleet

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshakeTimeout bounds how long a connection may take to authenticate,
// so a client that connects and stalls cannot hold a goroutine forever.
const handshakeTimeout = 30 * time.Second

// host is one SSH server of the fleet.
type host struct {
	Host
	signer ssh.Signer
	cfg    *ssh.ServerConfig
	log    *log.Logger

	// wg counts every goroutine serving this host; stop waits for it.
	wg sync.WaitGroup

	mu    sync.Mutex
	ln    net.Listener // nil while the host is down
	conns map[net.Conn]struct{}
}

func newHost(i int, dir string, port int, clientPub []byte, logger *log.Logger) (*host, error) {
	name := fmt.Sprintf("w%02d", i+1)
	h := &host{
		Host: Host{
			Name: name,
			IP:   fmt.Sprintf("127.0.0.%d", i+2),
			Port: port,
			Dir:  filepath.Join(dir, name),
		},
		log:   logger,
		conns: make(map[net.Conn]struct{}),
	}
	if err := os.MkdirAll(h.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	signer, err := newHostKey()
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	h.signer = signer
	h.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if subtle.ConstantTimeCompare(key.Marshal(), clientPub) == 1 {
				return &ssh.Permissions{}, nil
			}
			return nil, fmt.Errorf("host %s: user %q: key %s not authorized", name, meta.User(), ssh.FingerprintSHA256(key))
		},
		ServerVersion: "SSH-2.0-murder-localfleet",
	}
	h.cfg.AddHostKey(signer)
	return h, nil
}

// spawn runs fn in a goroutine counted by h.wg.
func (h *host) spawn(fn func()) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		fn()
	}()
}

// start listens on the host's address (its fixed port once one was
// chosen) and serves connections until stop.
func (h *host) start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(h.IP, strconv.Itoa(h.Port)))
	if err != nil {
		return fmt.Errorf("host %s: listen: %w", h.Name, err)
	}
	// Fix the port the kernel chose, so a restart comes back on the address
	// known_hosts names. Only the first start writes, before Start returns,
	// so Hosts can read these fields without locking.
	if h.Addr == "" {
		h.Port = ln.Addr().(*net.TCPAddr).Port
		h.Addr = net.JoinHostPort(h.IP, strconv.Itoa(h.Port))
	}
	h.mu.Lock()
	h.ln = ln
	h.mu.Unlock()
	h.log.Printf("%s: listening on %s, dir %s", h.Name, h.Addr, h.Dir)
	h.spawn(func() { h.accept(ln) })
	return nil
}

// stop closes the listener and every connection, then waits for the
// host's goroutines; sessions kill their commands as their channels close.
func (h *host) stop() {
	h.mu.Lock()
	ln := h.ln
	h.ln = nil
	conns := make([]net.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	if ln == nil {
		return
	}
	_ = ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	h.wg.Wait()
	h.log.Printf("%s: stopped", h.Name)
}

func (h *host) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				h.log.Printf("%s: accept: %v", h.Name, err)
			}
			return
		}
		h.mu.Lock()
		if h.ln != ln { // stop ran between Accept and here
			h.mu.Unlock()
			_ = c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.mu.Unlock()
		h.spawn(func() { h.serveConn(c) })
	}
}

func (h *host) serveConn(c net.Conn) {
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		_ = c.Close()
	}()
	remote := c.RemoteAddr()
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c, h.cfg)
	if err != nil {
		h.log.Printf("%s: %s: handshake: %v", h.Name, remote, err)
		return
	}
	_ = c.SetDeadline(time.Time{})
	h.log.Printf("%s: %s: user %q connected", h.Name, remote, sc.User())
	h.spawn(func() { replyGlobal(reqs) })
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		h.spawn(func() { h.serveSession(nc) })
	}
	// chans is closed once the connection is gone.
	h.log.Printf("%s: %s: disconnected", h.Name, remote)
}

// replyGlobal refuses every global request, as OpenSSH's sshd does for
// the ones it does not implement: keepalive@openssh.com gets a failure
// reply, which is all a client's keepalive needs to see the server alive.
func replyGlobal(reqs <-chan *ssh.Request) {
	for req := range reqs {
		if req.WantReply {
			_ = req.Reply(false, nil)
		}
	}
}
