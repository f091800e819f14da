package agent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer the server's goroutine and the test
// share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeAgent: serve-agent serves its own executable's exact bytes at
// the path naming their SHA-256, 404 for anything else, and exits by
// itself once idle, removing its pid file.
func TestServeAgent(t *testing.T) {
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Skipf("no /proc/self/exe: %v", err)
	}
	sum := sha256.Sum256(self)
	runDir := filepath.Join(t.TempDir(), "run")
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServeAgent(t.Context(), &runEnv{stdout: &out, stderr: io.Discard},
			[]string{"--run-dir", runDir, "--port", "0", "--address", "127.0.0.1", "--idle-exit", "700ms"})
	}()
	re := regexp.MustCompile(`serving murder-agent sha256:([0-9a-f]{64}) on port (\d+)`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; time.Sleep(20 * time.Millisecond) {
		if m = re.FindStringSubmatch(out.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("no port reported: %q", out.String())
		}
	}
	if m[1] != hex.EncodeToString(sum[:]) {
		t.Errorf("reported sha256:%s, want %x", m[1], sum)
	}
	if _, err := os.Stat(filepath.Join(runDir, "serve-agent.pid")); err != nil {
		t.Errorf("no pid file while serving: %v", err)
	}
	base := "http://127.0.0.1:" + m[2]
	get := func(method, path string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := get("GET", fmt.Sprintf("/murder-agent/%x", sum)); code != 200 || !bytes.Equal(b, self) {
		t.Errorf("GET the agent: %d, %d bytes; want 200 and the %d bytes of the executable", code, len(b), len(self))
	}
	for _, p := range []string{"/", "/murder-agent/" + hex.EncodeToString(make([]byte, 32)), "/murder-agent", fmt.Sprintf("/murder-agent/%x/x", sum)} {
		if code, _ := get("GET", p); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
	if code, _ := get("POST", fmt.Sprintf("/murder-agent/%x", sum)); code != 404 {
		t.Errorf("POST the agent: %d, want 404", code)
	}
	start := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve-agent: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve-agent still runs 10 s after its last request (--idle-exit 700ms)")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("exited %v after the last request, before --idle-exit", d)
	}
	if _, err := os.Stat(filepath.Join(runDir, "serve-agent.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
}

// TestServeAgentMaxTime: --max-time ends a server that is never idle long
// enough.
func TestServeAgentMaxTime(t *testing.T) {
	start := time.Now()
	err := runServeAgent(t.Context(), &runEnv{stdout: io.Discard, stderr: io.Discard},
		[]string{"--run-dir", t.TempDir(), "--address", "127.0.0.1", "--idle-exit", "1h", "--max-time", "300ms"})
	if err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("serve-agent = %v after %v, want nil after about 300ms", err, time.Since(start))
	}
}
