package localfleet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/melbahja/goph"
	"golang.org/x/crypto/ssh"
)

// gophClient connects to h the way murder's task runner does.
func gophClient(t *testing.T, f *Fleet, h Host) *goph.Client {
	t.Helper()
	auth, err := goph.Key(f.IdentityPath(), "")
	if err != nil {
		t.Fatalf("goph.Key: %v", err)
	}
	cb, err := goph.KnownHosts(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	c, err := goph.NewConn(&goph.Config{
		User:     "murder",
		Addr:     h.IP,
		Port:     uint(h.Port),
		Auth:     auth,
		Callback: cb,
		Timeout:  5 * time.Second,
	})
	if err != nil {
		t.Fatalf("goph.NewConn %s: %v", h.Name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestGoph(t *testing.T) {
	f := startFleet(t, 3)
	h := f.Hosts()[2]
	c := gophClient(t, f, h)

	out, err := c.Run("echo $MURDER_LOCALFLEET_HOST; exit 4")
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 4 || string(out) != "w03\n" {
		t.Errorf("Run = %q, %v; want \"w03\\n\", exit status 4", out, err)
	}

	local := t.TempDir()
	src := filepath.Join(local, "src.tgz")
	payload := []byte(strings.Repeat("payload\n", 40000))
	if err := os.WriteFile(src, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	remote := filepath.Join(h.Dir, "deploy.tgz")
	if err := c.Upload(src, remote); err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if out, err := c.Run("wc -c < deploy.tgz"); err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(len(payload)) {
		t.Errorf("remote size %q, %v; want %d", out, err, len(payload))
	}
	dst := filepath.Join(local, "dst.tgz")
	if err := c.Download(remote, dst); err != nil {
		t.Fatalf("Download: %v", err)
	}
	if got, err := os.ReadFile(dst); err != nil || string(got) != string(payload) {
		t.Errorf("downloaded %d bytes, %v; want %d", len(got), err, len(payload))
	}
}

// TestGophCancel checks that a cancelled RunContext, which sends SIGINT and
// abandons the session, leaves no process behind. The command execs sleep
// for the reason given in TestSignalForwarded.
func TestGophCancel(t *testing.T) {
	f := startFleet(t, 1)
	h := f.Hosts()[0]
	c := gophClient(t, f, h)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.RunContext(ctx, "echo $$ > pgid; exec sleep 60"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunContext = %v, want deadline exceeded", err)
	}
	b, err := os.ReadFile(filepath.Join(h.Dir, "pgid"))
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, func() bool { return !groupAlive(pgid) }) {
		t.Fatal("command survived the cancelled RunContext")
	}
}
