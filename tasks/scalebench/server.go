package scalebench

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/murderfleet/murder/internal/bencode"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/murderfleet/murder/dist/torrentcheck"
)

// Counters are what the simulated fleet saw of the controller. All
// fields are totals since the last reset.
type Counters struct {
	Conns    int64            `json:"conns"`    // SSH connections accepted (handshake done)
	Sessions int64            `json:"sessions"` // session channels opened
	Execs    int64            `json:"execs"`    // exec requests
	SFTP     int64            `json:"sftp"`     // sftp subsystems
	RxBytes  int64            `json:"rx_bytes"` // TCP bytes received from the controller (SSH framing and crypto included)
	TxBytes  int64            `json:"tx_bytes"` // TCP bytes sent to the controller
	PutBytes int64            `json:"put_bytes"`
	Kinds    map[string]int64 `json:"kinds"` // execs by command kind
	// First and Last are when each kind of command was first and last
	// answered (Unix nanoseconds): the phases of a task as the hosts saw
	// them.
	First map[string]int64 `json:"first"`
	Last  map[string]int64 `json:"last"`
}

// counters is the live form of Counters.
type counters struct {
	conns, sessions, execs, sftp, rx, tx, put atomic.Int64
	mu                                        sync.Mutex
	kinds                                     map[Kind]int64
	first, last                               map[Kind]int64
}

func (c *counters) kind(k Kind) {
	now := time.Now().UnixNano()
	c.mu.Lock()
	c.kinds[k]++
	if _, ok := c.first[k]; !ok {
		c.first[k] = now
	}
	c.last[k] = now
	c.mu.Unlock()
}

// snapshot returns the totals and, with reset, starts them again.
func (c *counters) snapshot(reset bool) Counters {
	get := func(v *atomic.Int64) int64 {
		if reset {
			return v.Swap(0)
		}
		return v.Load()
	}
	s := Counters{Conns: get(&c.conns), Sessions: get(&c.sessions), Execs: get(&c.execs), SFTP: get(&c.sftp),
		RxBytes: get(&c.rx), TxBytes: get(&c.tx), PutBytes: get(&c.put),
		Kinds: map[string]int64{}, First: map[string]int64{}, Last: map[string]int64{}}
	c.mu.Lock()
	for k, n := range c.kinds {
		s.Kinds[string(k)] = n
		s.First[string(k)], s.Last[string(k)] = c.first[k], c.last[k]
	}
	if reset {
		c.kinds, c.first, c.last = map[Kind]int64{}, map[Kind]int64{}, map[Kind]int64{}
	}
	c.mu.Unlock()
	return s
}

// Fleet is a set of simulated hosts, each an SSH server on its own
// loopback address sharing one host key.
type Fleet struct {
	cfg   *ssh.ServerConfig
	model Model
	c     counters
	lns   []net.Listener
	wg    sync.WaitGroup
}

// StartFleet listens on every address of ips at port and serves SSH:
// clientPub (wire format) is the only key accepted, hostKey is every
// host's key.
func StartFleet(ctx context.Context, ips []string, port int, hostKey ssh.Signer, clientPub []byte, m Model) (*Fleet, error) {
	f := &Fleet{model: m, c: counters{kinds: map[Kind]int64{}, first: map[Kind]int64{}, last: map[Kind]int64{}}}
	f.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if subtle.ConstantTimeCompare(key.Marshal(), clientPub) == 1 {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("key not authorized")
		},
		ServerVersion: "SSH-2.0-murder-scalebench",
	}
	f.cfg.AddHostKey(hostKey)
	var lc net.ListenConfig
	for _, ip := range ips {
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("simulated host %s: %w", ip, err)
		}
		f.lns = append(f.lns, ln)
		h := &simHost{f: f, agent: NewAgent(m, nil), files: map[string][]byte{}}
		f.wg.Add(1)
		go func() { defer f.wg.Done(); h.accept(ln) }()
	}
	return f, nil
}

// Snapshot returns the counters, resetting them with reset.
func (f *Fleet) Snapshot(reset bool) Counters { return f.c.snapshot(reset) }

func (f *Fleet) stats() (Counters, error) { return f.Snapshot(true), nil }
func (f *Fleet) cpu() float64             { return 0 }
func (f *Fleet) stop()                    { f.Close() }

// Close stops listening. Open connections end with the process.
func (f *Fleet) Close() {
	for _, ln := range f.lns {
		_ = ln.Close()
	}
}

// simHost is one simulated host: its agent and the small files (the
// .torrent of make-torrent) it serves over SFTP.
type simHost struct {
	f     *Fleet
	agent *Agent
	mu    sync.Mutex
	files map[string][]byte
}

// countConn counts the bytes a connection carries.
type countConn struct {
	net.Conn
	c *counters
}

func (c countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.rx.Add(int64(n))
	return n, err
}

func (c countConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.c.tx.Add(int64(n))
	return n, err
}

func (h *simHost) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// EMFILE and the like: wait, as net/http does, rather than
			// leave the host dead.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go h.serveConn(countConn{c, &h.f.c})
	}
}

func (h *simHost) serveConn(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, h.f.cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	_ = c.SetDeadline(time.Time{})
	h.f.c.conns.Add(1)
	go func() {
		for req := range reqs {
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		h.f.c.sessions.Add(1)
		go h.serveSession(nc)
	}
}

func (h *simHost) serveSession(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	started := false
	for req := range reqs {
		switch {
		case req.Type == "exec" && !started:
			var p struct{ Command string }
			if ssh.Unmarshal(req.Payload, &p) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			started = true
			_ = req.Reply(true, nil)
			go h.exec(ch, p.Command)
		case req.Type == "subsystem" && !started:
			var p struct{ Name string }
			if ssh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			started = true
			_ = req.Reply(true, nil)
			h.f.c.sftp.Add(1)
			go h.serveSFTP(ch)
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
}

// exec answers one command with the simulated agent: the commands that
// take their standard input ("-" as a file) get it whole first, the
// others have theirs drained.
func (h *simHost) exec(ch ssh.Channel, line string) {
	h.f.c.execs.Add(1)
	var stdin []byte
	if strings.Contains(line, " - ") || strings.HasSuffix(line, " -") || strings.Contains(line, installStdin) {
		stdin, _ = io.ReadAll(ch)
	} else {
		go func() { _, _ = io.Copy(io.Discard, ch) }()
	}
	kind, r := h.agent.Handle(line, stdin)
	h.f.c.kind(kind)
	if kind == KUpload {
		h.f.c.put.Add(int64(len(stdin))) // file data, as an SFTP upload's
	}
	if kind == KMakeTorrent && r.Status == 0 {
		b, err := fakeTorrent(line, h.f.model)
		if err != nil {
			r = Reply{Stdout: "error: " + err.Error() + "\n", Status: 1}
		} else {
			h.mu.Lock()
			h.files[r.TorrentPath] = b
			h.mu.Unlock()
		}
	}
	if r.Wait > 0 {
		t := time.NewTimer(r.Wait)
		<-t.C
	}
	if r.Stdout != "" {
		_, _ = io.WriteString(ch, r.Stdout)
	}
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(r.Status)}))
	_ = ch.CloseWrite()
	_ = ch.Close()
}

// fakeTorrent is the .torrent make-torrent would write: one file of the
// model's size, zero piece hashes, announcing at the tracker of the
// command line, with murder's record (a made-up SHA-256).
func fakeTorrent(line string, m Model) ([]byte, error) {
	argv, err := SplitWords(line)
	if err != nil {
		return nil, err
	}
	pos := positional(argv[2:], map[string]bool{"--run-dir": true, "--token-file": true, "--unpacked-size": true})
	pl := torrentcheck.PieceLength(m.Size)
	n := (m.Size + pl - 1) / pl
	info := map[string]any{"name": path.Base(pos[0]), "length": m.Size, "piece length": pl, "pieces": make([]byte, 20*n)}
	top := map[string]any{
		"announce": "http://" + pos[1] + "/announce",
		"info":     info,
		"murder":   map[string]any{"sha256": strings.Repeat("ab", 32), "unpacked": m.Size},
	}
	return bencode.Marshal(top)
}

// serveSFTP serves the host's files from memory: uploads are counted and
// discarded, downloads read what make-torrent left.
func (h *simHost) serveSFTP(ch ssh.Channel) {
	fs := &memFS{h: h}
	srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: fs, FilePut: fs, FileCmd: fs, FileList: fs})
	status := 0
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		status = 1
	}
	_ = srv.Close()
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
	_ = ch.Close()
}

type memFS struct{ h *simHost }

func (m *memFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	m.h.mu.Lock()
	b, ok := m.h.files[r.Filepath]
	m.h.mu.Unlock()
	if !ok {
		return nil, os.ErrNotExist
	}
	return bytes.NewReader(b), nil
}

// Filewrite counts the bytes and keeps none.
func (m *memFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return discardAt{&m.h.f.c.put}, nil
}

type discardAt struct{ n *atomic.Int64 }

func (d discardAt) WriteAt(p []byte, _ int64) (int, error) {
	d.n.Add(int64(len(p)))
	return len(p), nil
}

func (m *memFS) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Rename":
		m.h.mu.Lock()
		if b, ok := m.h.files[r.Filepath]; ok {
			m.h.files[r.Target] = b
			delete(m.h.files, r.Filepath)
		}
		m.h.mu.Unlock()
	case "Remove":
		m.h.mu.Lock()
		delete(m.h.files, r.Filepath)
		m.h.mu.Unlock()
	}
	return nil
}

func (m *memFS) PosixRename(r *sftp.Request) error {
	r.Method = "Rename"
	return m.Filecmd(r)
}

func (m *memFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	m.h.mu.Lock()
	b, ok := m.h.files[r.Filepath]
	m.h.mu.Unlock()
	if !ok {
		return nil, os.ErrNotExist
	}
	return listerAt{memInfo{name: path.Base(r.Filepath), size: int64(len(b))}}, nil
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(ls []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[off:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() os.FileMode  { return 0o600 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
