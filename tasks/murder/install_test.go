package murder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallCmdRuns runs the install lines for real in a directory with
// a hostile name: an upload on stdin and a fetch over HTTP install the
// agent only when its SHA-256 is the build's, never leave a partial file
// at murder-agent nor a temporary one, and empty the directory but run/.
func TestInstallCmdRuns(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum")
	}
	agentBytes := []byte("#!/bin/sh\necho new agent\n")
	h := sha256.Sum256(agentBytes)
	sum := hex.EncodeToString(h[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/murder-agent/" + sum:
			_, _ = w.Write(agentBytes)
		case "/murder-agent/corrupt":
			_, _ = w.Write([]byte("#!/bin/sh\necho evil\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, name := range []string{"my app", "it's", "$(touch pwned)", "a;touch pwned", "-rf", "a\nb"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			root := t.TempDir()
			s := normalSettings()
			s.MurderPath = filepath.Join(root, name)
			for _, f := range []string{"murder-agent", "stale", "run/serve-agent.pid"} {
				writeFile(t, filepath.Join(s.MurderPath, f), "old")
			}
			sh := func(line string, stdin []byte) (string, int) {
				cmd := exec.Command("/bin/sh", "-c", line)
				cmd.Dir, cmd.Stdin = root, bytes.NewReader(stdin)
				out, err := cmd.Output()
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					return string(out), ee.ExitCode()
				}
				if err != nil {
					t.Fatal(err)
				}
				return string(out), 0
			}
			check := func(what, want string) {
				t.Helper()
				if b, _ := os.ReadFile(s.agent()); string(b) != want {
					t.Errorf("%s: murder-agent holds %q, want %q", what, b, want)
				}
				if m, _ := filepath.Glob(filepath.Join(s.MurderPath, ".murder-agent.new.*")); len(m) > 0 {
					t.Errorf("%s: temporary files left: %q", what, m)
				}
			}
			if _, code := sh(s.installCmd(install{sum: sum}), []byte("truncated")); code != exitChecksum {
				t.Errorf("upload of other bytes: exit %d, want %d", code, exitChecksum)
			}
			check("failed upload", "old")
			if _, code := sh(s.installCmd(install{url: srv.URL + "/murder-agent/corrupt", sum: sum}), nil); code != exitChecksum {
				t.Errorf("fetch of other bytes: exit %d, want %d", code, exitChecksum)
			}
			check("corrupt fetch", "old")
			if _, code := sh(s.installCmd(install{url: srv.URL + "/murder-agent/gone", sum: sum}), nil); code != exitDownload {
				t.Errorf("fetch of a 404: exit %d, want %d", code, exitDownload)
			}
			check("failed fetch", "old")
			out, code := sh(s.installCmd(install{sum: sum, empty: true}), agentBytes)
			if ok, _ := installed(strings.TrimSpace(out)); code != 0 || !ok {
				t.Fatalf("upload: exit %d, %q", code, out)
			}
			check("upload", string(agentBytes))
			if fi, err := os.Stat(s.agent()); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("murder-agent: %v, %v; want mode 0755", fi, err)
			}
			if _, err := os.Stat(filepath.Join(s.MurderPath, "stale")); !os.IsNotExist(err) {
				t.Errorf("stale entry survived emptying: %v", err)
			}
			if _, err := os.Stat(filepath.Join(s.MurderPath, "run/serve-agent.pid")); err != nil {
				t.Errorf("run/ did not survive emptying: %v", err)
			}
			writeFile(t, s.agent(), "old")
			out, code = sh(s.installCmd(install{url: srv.URL + "/murder-agent/" + sum, sum: sum}), nil)
			if ok, _ := installed(strings.TrimSpace(out)); code != 0 || !ok {
				t.Fatalf("fetch: exit %d, %q", code, out)
			}
			check("fetch", string(agentBytes))
			if entries, _ := os.ReadDir(root); len(entries) != 1 {
				t.Errorf("root holds %v, want only %q (injected code ran?)", entries, name)
			}
		})
	}
}

// TestInstallCmdNoFetcher: without curl or wget the fetch fails with its
// own status, which the controller takes as no fault of the source.
func TestInstallCmdNoFetcher(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"rm", "mv", "chmod", "sha256sum", "cat"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("no %s", tool)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	s := normalSettings()
	s.MurderPath = t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", s.installCmd(install{url: "http://127.0.0.1:9/murder-agent/x", sum: "x"}))
	cmd.Env = []string{"PATH=" + bin}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNoFetcher || !strings.Contains(string(out), "neither curl nor wget") {
		t.Errorf("install without curl or wget: %v, %q; want exit %d", err, out, exitNoFetcher)
	}
}

func TestInstalled(t *testing.T) {
	for out, want := range map[string][2]any{
		"installed": {true, 0},
		"installed\nserving murder-agent sha256:0af on port 41234 (pid 7)": {true, 41234},
		"installed\nmurder: serve-agent did not start":                     {true, 0},
		"serving murder-agent sha256:0af on port 41234 (pid 7)":            {false, 0},
		"": {false, 0},
	} {
		ok, port := installed(out)
		if ok != want[0] || port != want[1] {
			t.Errorf("installed(%q) = %v, %d; want %v, %d", out, ok, port, want[0], want[1])
		}
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}
