package remote_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/remote"
	"github.com/murderfleet/murder/tasks/testfleet"
)

// BenchmarkUploadRTT uploads an agent-sized file (13 MiB) over SSH to a
// test-fleet host through a loopback proxy that delays every byte by
// half the round-trip time each way, as a distant host's link would.
func BenchmarkUploadRTT(b *testing.B) {
	f := testfleet.ForTest(b, 1, testfleet.Options{})
	h := f.Hosts[0]
	src := filepath.Join(b.TempDir(), "agent")
	data := make([]byte, 13<<20)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o600); err != nil {
		b.Fatal(err)
	}
	// The proxy's address is not in the fleet's known_hosts.
	d, err := remote.NewDialer(remote.Config{User: "root", IdentityFiles: []string{f.IdentityFile()}, HostKeyChecking: "off"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for _, rtt := range []time.Duration{0, 2 * time.Millisecond, 20 * time.Millisecond} {
		b.Run("rtt="+rtt.String(), func(b *testing.B) {
			port := delayProxy(b, net.JoinHostPort(h.IP, "22"), rtt/2)
			c, err := d.Dial(ctx, remote.Target{Name: h.Name, Host: "127.0.0.1", Port: port})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(data)))
			i := 0
			for b.Loop() {
				i++
				if err := c.Upload(ctx, src, fmt.Sprintf("/tmp/up%d", i), 0o600); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// delayProxy forwards one connection on a loopback port to addr, each
// byte delay later in either direction, and returns the port.
func delayProxy(b *testing.B, addr string, delay time.Duration) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", addr)
		if err != nil {
			in.Close()
			return
		}
		b.Cleanup(func() { in.Close(); out.Close() })
		go delayCopy(out, in, delay)
		go delayCopy(in, out, delay)
	}()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	port, _ := strconv.Atoi(p)
	return port
}

func delayCopy(dst io.Writer, src io.Reader, delay time.Duration) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{buf[:n], time.Now().Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			return
		}
	}
}
