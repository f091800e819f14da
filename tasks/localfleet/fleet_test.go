package localfleet

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestStartValidates(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"no hosts", Options{Hosts: 0, Dir: dir}},
		{"too many hosts", Options{Hosts: MaxHosts + 1, Dir: dir}},
		{"no dir", Options{Hosts: 1}},
		{"negative port", Options{Hosts: 1, Dir: dir, Port: -1}},
		{"port too big", Options{Hosts: 1, Dir: dir, Port: 65536}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f, err := Start(context.Background(), tc.o); err == nil {
				_ = f.Close()
				t.Fatal("Start succeeded")
			}
		})
	}
}

func TestStartFailureStopsStartedHosts(t *testing.T) {
	// Occupy host 1's address so Start fails after host 0 is up.
	ln, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Options{Hosts: 2, Dir: t.TempDir(), Port: port})
	if err == nil || !strings.Contains(err.Error(), "host w02") {
		t.Fatalf("Start = %v, want a w02 listen error", err)
	}
	// Host 0's listener must be gone again.
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(port)), time.Second); err == nil {
		c.Close()
		t.Fatal("host w01 still listening after failed Start")
	}
}

func TestFiles(t *testing.T) {
	f := startFleet(t, 3)
	hosts := f.Hosts()
	for i, h := range hosts {
		wantIP := "127.0.0." + strconv.Itoa(i+2)
		if h.IP != wantIP || h.Addr != net.JoinHostPort(wantIP, strconv.Itoa(h.Port)) || h.Port == 0 {
			t.Errorf("host %d = %+v, want IP %s", i, h, wantIP)
		}
		if st, err := os.Stat(h.Dir); err != nil || !st.IsDir() {
			t.Errorf("host %s dir: %v", h.Name, err)
		}
	}
	if hosts[0].Name != "w01" || hosts[2].Name != "w03" {
		t.Errorf("names %s..%s, want w01..w03", hosts[0].Name, hosts[2].Name)
	}
	kh, err := os.ReadFile(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(kh)), "\n")
	if len(lines) != 3 {
		t.Fatalf("known_hosts has %d lines, want 3:\n%s", len(lines), kh)
	}
	for i, h := range hosts {
		want := "[" + h.IP + "]:" + strconv.Itoa(h.Port) + " ssh-ed25519 "
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("known_hosts line %d = %q, want prefix %q", i, lines[i], want)
		}
	}
	st, err := os.Stat(f.IdentityPath())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("identity mode %v, want 0600", st.Mode().Perm())
	}
	pub, err := os.ReadFile(f.IdentityPath() + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pub), "ssh-ed25519 ") {
		t.Errorf("identity.pub = %q", pub)
	}
	identity(t, f) // parses
}

func TestFixedPort(t *testing.T) {
	// Find a port that is free on 127.0.0.1; other loopback addresses are
	// almost surely free on it too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	f, err := Start(context.Background(), Options{Hosts: 2, Dir: t.TempDir(), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	for _, h := range f.Hosts() {
		if h.Port != port {
			t.Errorf("%s port %d, want %d", h.Name, h.Port, port)
		}
		dial(t, f, h)
	}
}

func TestAuth(t *testing.T) {
	f := startFleet(t, 3)
	h := f.Hosts()[0]
	cfg := clientConfig(t, f.KnownHostsPath(), newSigner(t))
	if c, err := ssh.Dial("tcp", h.Addr, cfg); err == nil {
		c.Close()
		t.Fatal("a foreign client key was accepted")
	} else if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("dial with foreign key: %v, want an authentication failure", err)
	}
	dial(t, f, h) // the fleet's own key is accepted
}

func TestHostKeyChecking(t *testing.T) {
	f := startFleet(t, 3)
	hosts := f.Hosts()
	kh, err := os.ReadFile(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(kh)), "\n")
	// Give host 0's address host 1's key.
	swapped := strings.Fields(lines[0])[0] + " " + strings.SplitN(lines[1], " ", 2)[1]
	for _, tc := range []struct {
		name      string
		knownHost string
		wantWant  bool // the KeyError lists the expected keys: a mismatch
	}{
		{"mismatch", swapped + "\n" + lines[1] + "\n", true},
		{"unknown", lines[1] + "\n" + lines[2] + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(path, []byte(tc.knownHost), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := ssh.Dial("tcp", hosts[0].Addr, clientConfig(t, path, identity(t, f)))
			if err == nil {
				c.Close()
				t.Fatal("connected despite a bad known_hosts")
			}
			var ke *knownhosts.KeyError
			if !errors.As(err, &ke) || (len(ke.Want) > 0) != tc.wantWant {
				t.Fatalf("dial: %v, want a knownhosts.KeyError (mismatch %v)", err, tc.wantWant)
			}
		})
	}
}

func TestGlobalAndRefusedRequests(t *testing.T) {
	f := startFleet(t, 1)
	c := dial(t, f, f.Hosts()[0])
	// OpenSSH answers keepalive@openssh.com with a failure reply.
	ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
	if err != nil || ok {
		t.Errorf("keepalive = %v, %v; want false, nil", ok, err)
	}
	for _, tc := range []struct {
		name string
		req  func(s *ssh.Session) error
	}{
		{"env", func(s *ssh.Session) error { return s.Setenv("FOO", "bar") }},
		{"pty-req", func(s *ssh.Session) error { return s.RequestPty("xterm", 24, 80, nil) }},
		{"shell", func(s *ssh.Session) error { return s.Shell() }},
		{"subsystem other than sftp", func(s *ssh.Session) error { return s.RequestSubsystem("netconf") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := tc.req(s); err == nil {
				t.Fatal("request accepted")
			}
		})
	}
	if _, _, err := c.OpenChannel("direct-tcpip", nil); err == nil {
		t.Error("direct-tcpip channel accepted")
	}
}

func TestStopRestart(t *testing.T) {
	f := startFleet(t, 3)
	ctx := context.Background()
	h := f.Hosts()[0]
	c := dial(t, f, h)
	s, pgid := startAndReadPID(t, c, "echo $$; sleep 60")

	if err := f.Stop(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(); err == nil {
		t.Error("session survived Stop")
	}
	if !eventually(5*time.Second, func() bool { return !groupAlive(pgid) }) {
		t.Error("command survived Stop")
	}
	if conn, err := net.DialTimeout("tcp", h.Addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("stopped host accepts connections")
	}
	dial(t, f, f.Hosts()[1]) // the others stay up
	if err := f.Stop(0); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	if err := f.Restart(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := f.Hosts()[0].Addr; got != h.Addr {
		t.Errorf("restarted on %s, want %s", got, h.Addr)
	}
	out, err := dial(t, f, h).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := out.Output("echo back"); err != nil || string(b) != "back\n" {
		t.Errorf("after restart: %q, %v", b, err)
	}
	// Restart of a running host also works (stop, then start).
	if err := f.Restart(ctx, 0); err != nil {
		t.Fatalf("restart running host: %v", err)
	}
	dial(t, f, h)
	if err := f.Stop(7); err == nil {
		t.Error("Stop(7) in a fleet of 3 succeeded")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Restart(ctx, 0); err == nil {
		t.Error("Restart after Close succeeded")
	}
}

func TestContextEndCloses(t *testing.T) {
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if f, err := Start(done, Options{Hosts: 1, Dir: t.TempDir()}); err == nil {
		_ = f.Close()
		t.Error("Start with a done context succeeded")
	}

	ctx, cancel := context.WithCancel(context.Background())
	f, err := Start(ctx, Options{Hosts: 1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	addr := f.Hosts()[0].Addr
	cancel()
	closed := eventually(5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if !closed {
		t.Fatal("fleet still listening after its context ended")
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	f, err := Start(context.Background(), Options{Hosts: 3, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var clients []*ssh.Client
	for _, h := range f.Hosts() {
		c, err := ssh.Dial("tcp", h.Addr, clientConfig(t, f.KnownHostsPath(), identity(t, f)))
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		s.Stdin = bytes.NewReader([]byte("x"))
		if b, err := s.Output("cat"); err != nil || string(b) != "x" {
			t.Fatalf("%s: cat = %q, %v", h.Name, b, err)
		}
	}
	// Leave a command running and its client connected: Close must kill it.
	_, pgid := startAndReadPID(t, clients[0], "echo $$; sleep 60")

	start := time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if !eventually(5*time.Second, func() bool { return !groupAlive(pgid) }) {
		t.Error("command survived Close")
	}
	for _, c := range clients {
		_ = c.Close()
	}
	var now int
	if !eventually(5*time.Second, func() bool { now = runtime.NumGoroutine(); return now <= before }) {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before Start, %d after Close:\n%s", before, now, buf[:runtime.Stack(buf, true)])
	}
}
