package agent

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
)

// crypto/tls writes each record of a Write (at most 16 KiB of data) to the
// socket by itself: a syscall and, with TCP_NODELAY, a TCP push each.
// anacrolix writes whole piece messages (up to 1 MiB) at once, so a peer
// connection's Write gathers its records and sends them in one write.

// batchedTLS is a TLS connection whose large Writes reach the socket in
// one write.
type batchedTLS struct {
	*tls.Conn
	raw *recordBatcher

	framer    btFramer
	lowat     rcvLowat
	plainRead int64 // plaintext returned by Read
}

// newBatchedTLS wraps c in TLS: tls.Client or tls.Server as wrap says.
func newBatchedTLS(c net.Conn, cfg *tls.Config, wrap func(net.Conn, *tls.Config) *tls.Conn) *batchedTLS {
	raw := &recordBatcher{Conn: c}
	return &batchedTLS{Conn: wrap(raw, cfg), raw: raw, lowat: newRcvLowat(c)}
}

// Read reads plaintext, with the socket's low-water mark set for what
// remains of the message being read (rcvlowat.go).
func (t *batchedTLS) Read(p []byte) (int, error) {
	if !t.lowat.active() {
		return t.Conn.Read(p)
	}
	t.lowat.set(t.framer.bodyLeft() - (t.raw.read.Load() - t.plainRead))
	n, err := t.Conn.Read(p)
	t.plainRead += int64(n)
	t.framer.feed(p[:n])
	return n, err
}

// batchBelow is the size under which a Write is one record anyway.
const batchBelow = 16 << 10

// Write encrypts p and sends its records together. It completes the
// handshake first, as tls.Conn.Write would, but unbatched: a handshake
// message held back would wait for an answer that never comes.
func (t *batchedTLS) Write(p []byte) (int, error) {
	if len(p) < batchBelow {
		return t.Conn.Write(p)
	}
	if err := t.Handshake(); err != nil { // at once when done already
		return 0, err
	}
	t.raw.begin()
	n, err := t.Conn.Write(p)
	if ferr := t.raw.end(); err == nil && ferr != nil {
		return 0, ferr
	}
	return n, err
}

// recordBatcher is the socket under a batchedTLS. While a Write is in
// progress, what TLS writes (its records, and any alert another goroutine
// sends meanwhile) is gathered, in order, and sent as each Write ends;
// otherwise writes go straight through.
type recordBatcher struct {
	net.Conn
	// read counts the bytes read: by Read, or by a handshake that a
	// Write ran in another goroutine.
	read    atomic.Int64
	mu      sync.Mutex
	writers int // Writes in progress
	buf     *[]byte
}

var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

func (r *recordBatcher) begin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writers == 0 {
		r.buf = batchBufs.Get().(*[]byte)
	}
	r.writers++
}

func (r *recordBatcher) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.read.Add(int64(n))
	return n, err
}

func (r *recordBatcher) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writers > 0 {
		*r.buf = append(*r.buf, p...)
		return len(p), nil
	}
	return r.Conn.Write(p)
}

// end sends what was gathered so far; the last of overlapping Writes
// returns the buffer to the pool.
func (r *recordBatcher) end() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	if len(*r.buf) > 0 {
		_, err = r.Conn.Write(*r.buf)
		*r.buf = (*r.buf)[:0]
	}
	if r.writers--; r.writers == 0 {
		if cap(*r.buf) <= 2<<20 {
			batchBufs.Put(r.buf)
		}
		r.buf = nil
	}
	return err
}

// batchedListener accepts TLS peer connections as batchedTLS. The
// handshake runs lazily, on anacrolix's first read, in the connection's
// own goroutine: a slow or hostile peer never holds up Accept.
type batchedListener struct {
	net.Listener
	cfg *tls.Config
}

func (l batchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newBatchedTLS(c, l.cfg, tls.Server), nil
}
