package remote

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/murderfleet/murder/tasks/localfleet"
)

// startFleet runs n in-process SSH hosts on loopback for the test.
func startFleet(t *testing.T, n int) *localfleet.Fleet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f, err := localfleet.Start(ctx, localfleet.Options{Hosts: n, Dir: t.TempDir()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = f.Close()
		cancel()
	})
	return f
}

func target(h localfleet.Host) Target { return Target{Name: h.Name, Host: h.IP, Port: h.Port} }

// fleetConfig is a Config that reaches f's hosts with strict checking.
func fleetConfig(f *localfleet.Fleet) Config {
	return Config{
		User: "deploy", IdentityFiles: []string{f.IdentityPath()}, KnownHosts: f.KnownHostsPath(),
		HostKeyChecking: "strict", Timeout: 5 * time.Second,
	}
}

func newDialer(t *testing.T, cfg Config) *Dialer {
	t.Helper()
	d, err := NewDialer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func dial(t *testing.T, d *Dialer, tg Target) *Client {
	t.Helper()
	c, err := d.Dial(context.Background(), tg)
	if err != nil {
		t.Fatalf("Dial %s: %v", tg.Addr(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRun(t *testing.T) {
	f := startFleet(t, 1)
	cfg := fleetConfig(f)
	cfg.Keepalive = 50 * time.Millisecond // exercised while the commands run
	c := dial(t, newDialer(t, cfg), target(f.Hosts()[0]))
	tests := []struct {
		cmd            string
		stdout, stderr string
		code           int    // -1: no error
		signal         string // expected signal name
	}{
		{"true", "", "", -1, ""},
		{"echo out; echo err >&2; exit 3", "out\n", "err\n", 3, ""},
		{"exit 255", "", "", 255, ""},
		{Command("printf", "%s|", "a b", "it's", "$(id)", ""), "a b|it's|$(id)||", "", -1, ""},
		{"pwd", f.Hosts()[0].Dir + "\n", "", -1, ""},
		{"kill -KILL $$", "", "", 0, "KILL"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := c.Run(context.Background(), tt.cmd, nil, &stdout, &stderr)
		if stdout.String() != tt.stdout || stderr.String() != tt.stderr {
			t.Errorf("%s: stdout %q stderr %q, want %q %q", tt.cmd, stdout.String(), stderr.String(), tt.stdout, tt.stderr)
		}
		var ee *ExitError
		switch {
		case tt.code < 0 && err != nil:
			t.Errorf("%s: %v, want success", tt.cmd, err)
		case tt.code >= 0 && !errors.As(err, &ee):
			t.Errorf("%s: %v, want an *ExitError", tt.cmd, err)
		case tt.code >= 0 && (ee.Signal != tt.signal || (tt.signal == "" && ee.Code != tt.code)):
			t.Errorf("%s: %+v, want code %d signal %q", tt.cmd, ee, tt.code, tt.signal)
		}
	}
	time.Sleep(200 * time.Millisecond) // several keepalives while idle
	if err := c.Run(context.Background(), "true", nil, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("after idling with keepalives: %v", err)
	}
	// stdin reaches the command; one that exits without reading it all
	// still answers with its exit status.
	var out bytes.Buffer
	if err := c.Run(context.Background(), "cat", strings.NewReader("secret\n"), &out, &bytes.Buffer{}); err != nil || out.String() != "secret\n" {
		t.Errorf("cat with stdin: %q, %v", out.String(), err)
	}
	big := strings.NewReader(strings.Repeat("x", 8<<20))
	if err := c.Run(context.Background(), "exit 0", big, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("a command that reads none of 8 MiB of stdin: %v", err)
	}
}

func TestRunCancel(t *testing.T) {
	f := startFleet(t, 1)
	c := dial(t, newDialer(t, fleetConfig(f)), target(f.Hosts()[0]))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Run(ctx, "sleep 30", nil, &bytes.Buffer{}, &bytes.Buffer{})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run returned %v after cancellation, want promptly", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want context.DeadlineExceeded", err)
	}
	// The connection stays usable for the next command.
	if err := c.Run(context.Background(), "true", nil, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("Run after a cancelled one: %v", err)
	}
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestUpload(t *testing.T) {
	f := startFleet(t, 1)
	h := f.Hosts()[0]
	c := dial(t, newDialer(t, fleetConfig(f)), target(h))
	local := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(local, []byte("new agent"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(h.Dir, "murder dir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	remotePath := filepath.Join(dir, "murder-agent")
	if err := os.WriteFile(remotePath, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Upload(ctx, local, remotePath, 0o750); err != nil {
		t.Fatalf("Upload: %v", err)
	}
	b, err := os.ReadFile(remotePath)
	if err != nil || string(b) != "new agent" {
		t.Errorf("remote file = %q, %v; want the new content", b, err)
	}
	if fi, err := os.Stat(remotePath); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("remote mode = %v, %v; want 0750", fi.Mode(), err)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("upload left %q, want only murder-agent", names)
	}
	// Many packets, written concurrently: every byte lands where it belongs.
	big := make([]byte, 3<<20+7)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, big, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, local, remotePath, 0o750); err != nil {
		t.Fatalf("Upload of %d bytes: %v", len(big), err)
	}
	if b, err := os.ReadFile(remotePath); err != nil || !bytes.Equal(b, big) {
		t.Errorf("remote file after a %d-byte upload: %d bytes, %v; want the same bytes", len(big), len(b), err)
	}

	// Failures leave nothing behind and say which path.
	err = c.Upload(ctx, local, filepath.Join(h.Dir, "missing", "x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "missing/x") {
		t.Errorf("Upload into a missing directory = %v", err)
	}
	if err := c.Upload(ctx, filepath.Join(t.TempDir(), "nonesuch"), remotePath, 0o644); err == nil {
		t.Error("Upload of a missing local file succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Upload(cancelled, local, filepath.Join(dir, "other"), 0o644); !errors.Is(err, context.Canceled) {
		t.Errorf("Upload with a cancelled context = %v", err)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("failed uploads left %q", names)
	}
}

func TestDownload(t *testing.T) {
	f := startFleet(t, 1)
	h := f.Hosts()[0]
	c := dial(t, newDialer(t, fleetConfig(f)), target(h))
	remotePath := filepath.Join(h.Dir, "Deploy1.tgz.torrent")
	if err := os.WriteFile(remotePath, []byte("d8:announce...e"), 0o600); err != nil {
		t.Fatal(err)
	}
	localDir := t.TempDir()
	local := filepath.Join(localDir, "Deploy1.tgz.torrent")
	if err := os.WriteFile(local, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Download(ctx, remotePath, local); err != nil {
		t.Fatalf("Download: %v", err)
	}
	if b, err := os.ReadFile(local); err != nil || string(b) != "d8:announce...e" {
		t.Errorf("local file = %q, %v", b, err)
	}
	if fi, err := os.Stat(local); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("local mode = %v, %v; want 0600 (owner-only)", fi.Mode(), err)
	}
	err := c.Download(ctx, filepath.Join(h.Dir, "nonesuch"), local)
	if err == nil || !strings.Contains(err.Error(), "download "+filepath.Join(h.Dir, "nonesuch")) {
		t.Errorf("Download of a missing file = %v", err)
	}
	if b, _ := os.ReadFile(local); string(b) != "d8:announce...e" {
		t.Errorf("a failed download changed the local file to %q", b)
	}
	if names := listDir(t, localDir); len(names) != 1 {
		t.Errorf("downloads left %q", names)
	}
}

// writeKey writes a new ed25519 private key file, optionally encrypted,
// and returns its path and public key.
func writeKey(t *testing.T, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p, sshPub
}

func dialErr(t *testing.T, d *Dialer, tg Target) *DialError {
	t.Helper()
	c, err := d.Dial(context.Background(), tg)
	if err == nil {
		c.Close()
		t.Fatalf("Dial %s succeeded, want an error", tg.Addr())
	}
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("Dial error %T %v is not a *DialError", err, err)
	}
	if de.Addr != tg.Addr() || de.Error() != de.Msg {
		t.Errorf("DialError %+v: Addr or message wrong", de)
	}
	return de
}

func TestDialErrors(t *testing.T) {
	f := startFleet(t, 2)
	h0, h1 := f.Hosts()[0], f.Hosts()[1]
	otherKey, otherPub := writeKey(t, "")
	tmp := t.TempDir()
	changed := filepath.Join(tmp, "known_hosts_changed")
	line := knownhosts.Line([]string{knownhosts.Normalize(h0.Addr)}, otherPub)
	if err := os.WriteFile(changed, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A known_hosts that knows host 1 only.
	onlyH1 := filepath.Join(tmp, "known_hosts_h1")
	all, err := os.ReadFile(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	var h1Lines []string
	for _, l := range strings.Split(string(all), "\n") {
		if strings.Contains(l, h1.IP) {
			h1Lines = append(h1Lines, l)
		}
	}
	if err := os.WriteFile(onlyH1, []byte(strings.Join(h1Lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Stop(1); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		config func(*Config)
		target localfleet.Host
		kind   string
		msg    []string
	}{
		{"connection refused", nil, h1, "unreachable", []string{"connect " + h1.Addr + ": host unreachable", "refused"}},
		{"wrong key", func(c *Config) { c.IdentityFiles = []string{otherKey} }, h0, "auth", []string{"connect " + h0.Addr, `authentication refused for user "deploy"`}},
		{"changed host key", func(c *Config) { c.KnownHosts = changed }, h0, "hostkey-changed", []string{"CHANGED", changed + " line 1", "ssh-keygen -R"}},
		{"changed host key with accept-new", func(c *Config) { c.KnownHosts, c.HostKeyChecking = changed, "accept-new" }, h0, "hostkey-changed", []string{"CHANGED"}},
		{"changed host key with off", func(c *Config) { c.KnownHosts, c.HostKeyChecking = changed, "off" }, h0, "hostkey-changed", []string{"CHANGED"}},
		{"unknown host", func(c *Config) { c.KnownHosts = onlyH1 }, h0, "hostkey-unknown", []string{"is unknown", "not in " + onlyH1, "accept-new"}},
		{"no known_hosts file", func(c *Config) { c.KnownHosts = filepath.Join(tmp, "nonesuch") }, h0, "hostkey-unknown", []string{"is unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fleetConfig(f)
			if tt.config != nil {
				tt.config(&cfg)
			}
			de := dialErr(t, newDialer(t, cfg), target(tt.target))
			if de.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q (%v)", de.Kind, tt.kind, de)
			}
			for _, m := range tt.msg {
				if !strings.Contains(de.Msg, m) {
					t.Errorf("message %q does not mention %q", de.Msg, m)
				}
			}
		})
	}
	if b, _ := os.ReadFile(changed); string(b) != line+"\n" {
		t.Errorf("a changed key was recorded: %s", b)
	}
}

func TestHostKeyAcceptNewAndOff(t *testing.T) {
	f := startFleet(t, 1)
	tg := target(f.Hosts()[0])
	known := filepath.Join(t.TempDir(), "ssh", "known_hosts") // directory created on demand

	off := fleetConfig(f)
	off.KnownHosts, off.HostKeyChecking = known, "off"
	dial(t, newDialer(t, off), tg)
	if _, err := os.Stat(known); !os.IsNotExist(err) {
		t.Errorf("host_key_checking off recorded a key (%v)", err)
	}

	cfg := fleetConfig(f)
	cfg.KnownHosts, cfg.HostKeyChecking = known, "accept-new"
	d := newDialer(t, cfg)
	dial(t, d, tg)
	dial(t, d, tg) // the recorded key is accepted, not appended again
	b, err := os.ReadFile(known)
	if err != nil {
		t.Fatalf("accept-new recorded nothing: %v", err)
	}
	if n := strings.Count(string(b), "\n"); n != 1 || !strings.Contains(string(b), "["+tg.Host+"]:") {
		t.Errorf("known_hosts after accept-new:\n%s", b)
	}
	// The recorded key now satisfies strict checking.
	cfg.HostKeyChecking = "strict"
	c := dial(t, newDialer(t, cfg), tg)
	if err := c.Run(context.Background(), "true", nil, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("Run over the accepted key: %v", err)
	}
}

// silentListener accepts TCP connections and never speaks SSH.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestDialTimeout(t *testing.T) {
	f := startFleet(t, 1)
	addr := silentListener(t)
	host, port, _ := net.SplitHostPort(addr)
	portNum, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{Name: "silent", Host: host, Port: portNum}
	cfg := fleetConfig(f)
	cfg.Timeout = 500 * time.Millisecond
	start := time.Now()
	de := dialErr(t, newDialer(t, cfg), tg)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Dial took %v with a 500ms timeout", took)
	}
	if de.Kind != "timeout" || !strings.Contains(de.Msg, addr) {
		t.Errorf("DialError = %+v, want Kind timeout naming %s", de, addr)
	}

	// Cancelling the caller's context ends the handshake just as promptly.
	cfg.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = newDialer(t, cfg).Dial(ctx, tg)
	if took := time.Since(start); err == nil || took > 3*time.Second {
		t.Errorf("Dial with a cancelled context = %v after %v", err, took)
	}
}

func TestNewDialerErrors(t *testing.T) {
	encrypted, _ := writeKey(t, "secret")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"passphrase", Config{IdentityFiles: []string{encrypted}}, "protected by a passphrase"},
		{"missing key", Config{IdentityFiles: []string{filepath.Join(t.TempDir(), "nonesuch")}}, "identity file"},
		{"bad policy", Config{IdentityFiles: []string{mustKey(t)}, HostKeyChecking: "yes"}, `host_key_checking "yes"`},
	}
	for _, tt := range tests {
		if _, err := NewDialer(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewDialer = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

func mustKey(t *testing.T) string {
	p, _ := writeKey(t, "")
	return p
}

// TestGatewayUnreachable: a down jump host fails every dial with an error
// naming the gateway, and is dialed once, not once per host.
func TestGatewayUnreachable(t *testing.T) {
	f := startFleet(t, 2)
	gw := f.Hosts()[1]
	if err := f.Stop(1); err != nil {
		t.Fatal(err)
	}
	cfg := fleetConfig(f)
	cfg.Gateway = &Target{Name: "bastion", Host: gw.IP, Port: gw.Port}
	d := newDialer(t, cfg)
	for range 2 {
		_, err := d.Dial(context.Background(), target(f.Hosts()[0]))
		var de *DialError
		if !errors.As(err, &de) || de.Kind != "unreachable" || de.Addr != gw.Addr {
			t.Fatalf("Dial via a down gateway = %v, want an unreachable DialError for %s", err, gw.Addr)
		}
		if !strings.HasPrefix(err.Error(), "gateway bastion: connect "+gw.Addr) {
			t.Errorf("error %q does not name the gateway first", err)
		}
	}
}
