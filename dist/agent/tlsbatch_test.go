package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// batchedPair connects a batchedTLS client to a batchedListener server of
// one transfer over loopback TCP.
func batchedPair(t *testing.T) (cli *batchedTLS, under *countingConn, srv net.Conn) {
	t.Helper()
	cfg, err := peerTLSConfig(tlsTestTorrent(t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := batchedListener{ln, cfg}.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	raw, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	under = &countingConn{Conn: raw}
	cli = newBatchedTLS(under, cfg, tls.Client)
	srv = <-accepted
	if srv == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { cli.Close(); srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- srv.(*batchedTLS).HandshakeContext(ctx) }()
	if err := cli.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return cli, under, srv
}

// TestBatchedTLSWrite: a piece-sized Write reaches the socket in one
// write, not one per 16 KiB record, and arrives whole.
func TestBatchedTLSWrite(t *testing.T) {
	cli, under, srv := batchedPair(t)
	msg := make([]byte, 512<<10+13)
	rand.Read(msg)
	before := under.writes.Load()
	go cli.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(srv, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read %v; data equal: %v", err, bytes.Equal(got, msg))
	}
	if n := under.writes.Load() - before; n != 1 {
		t.Errorf("a 512 KiB Write took %d socket writes, want 1", n)
	}
}

// TestBatchedTLSConcurrent: writers of assorted sizes on both ends at once
// (as anacrolix writes while its reader answers) lose and reorder
// nothing: each direction carries exactly what was written, in order.
func TestBatchedTLSConcurrent(t *testing.T) {
	cli, _, srv := batchedPair(t)
	sizes := []int{1, 100, 16 << 10, 16<<10 + 1, 300 << 10, 7, 1 << 20, 5000}
	var wg sync.WaitGroup
	check := func(name string, w io.Writer, r io.Reader, seed byte) {
		var want []byte
		for i, n := range sizes {
			want = append(want, bytes.Repeat([]byte{seed + byte(i)}, n)...)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i, n := range sizes {
				if _, err := w.Write(bytes.Repeat([]byte{seed + byte(i)}, n)); err != nil {
					t.Errorf("%s: write: %v", name, err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			got := make([]byte, len(want))
			if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: read %v, data equal %v", name, err, bytes.Equal(got, want))
			}
		}()
	}
	check("client to server", cli, srv, 'a')
	check("server to client", srv, cli, 'A')
	wg.Wait()
}

// TestBatchedTLSWriteFirst: a large Write on a connection whose handshake
// has not run yet (an accepted one) completes the handshake and arrives.
func TestBatchedTLSWriteFirst(t *testing.T) {
	cfg, err := peerTLSConfig(tlsTestTorrent(t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv, cli := newBatchedTLS(a, cfg, tls.Server), newBatchedTLS(b, cfg, tls.Client)
	msg := bytes.Repeat([]byte("m"), 100<<10)
	errc := make(chan error, 1)
	go func() {
		_, err := srv.Write(msg)
		errc <- err
	}()
	got := make([]byte, len(msg))
	cli.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(cli, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
