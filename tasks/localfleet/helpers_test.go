package localfleet

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// startFleet starts a fleet of n hosts that is closed when the test ends.
func startFleet(t *testing.T, n int) *Fleet {
	t.Helper()
	f, err := Start(context.Background(), Options{Hosts: n, Dir: t.TempDir(), Log: testLog{t}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// testLog sends the fleet's log to t.Log, so it shows only on failure.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// identity returns the fleet's client key as a signer.
func identity(t *testing.T, f *Fleet) ssh.Signer {
	t.Helper()
	pem, err := os.ReadFile(f.IdentityPath())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatalf("parse identity: %v", err)
	}
	return s
}

// clientConfig is a strict client configuration: known_hosts from path,
// key auth with signer.
func clientConfig(t *testing.T, knownHostsPath string, signer ssh.Signer) *ssh.ClientConfig {
	t.Helper()
	cb, err := knownhosts.New(knownHostsPath)
	if err != nil {
		t.Fatalf("knownhosts.New: %v", err)
	}
	return &ssh.ClientConfig{
		User:            "murder",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: cb,
		Timeout:         5 * time.Second,
	}
}

// dial connects to h as a strict client with the fleet's identity; the
// connection is closed when the test ends.
func dial(t *testing.T, f *Fleet, h Host) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", h.Addr, clientConfig(t, f.KnownHostsPath(), identity(t, f)))
	if err != nil {
		t.Fatalf("dial %s: %v", h.Name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startAndReadPID starts cmd on a new session of c; cmd must print a pid
// as its first line. It returns the session and that pid.
func startAndReadPID(t *testing.T, c *ssh.Client, cmd string) (*ssh.Session, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(cmd); err != nil {
		t.Fatalf("start %q: %v", cmd, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("pid line %q: %v", line, err)
	}
	return s, pid
}

// procStat returns the state and process group of pid, ok=false if there
// is no such process.
func procStat(pid int) (state byte, pgrp int, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) S ppid pgrp ...": comm may contain spaces and parens.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	fields := strings.Fields(rest)
	pgrp, _ = strconv.Atoi(fields[2])
	return fields[0][0], pgrp, true
}

// alive reports whether pid runs. Zombies count as dead: orphans are
// reparented to PID 1, which in a container may never reap them.
func alive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z'
}

// groupAlive reports whether any live process is in process group pgid.
func groupAlive(pgid int) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, pgrp, ok := procStat(pid); ok && pgrp == pgid && state != 'Z' {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
