package localfleet

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func TestExec(t *testing.T) {
	f := startFleet(t, 3)
	hosts := f.Hosts()
	for _, tc := range []struct {
		name       string
		host       int
		cmd        string
		stdin      string
		wantOut    string // "{dir}" stands for the host's directory
		wantErr    string
		wantStatus int
		wantSignal string
	}{
		{name: "status and streams", cmd: "echo hi; echo err >&2; exit 3",
			wantOut: "hi\n", wantErr: "err\n", wantStatus: 3},
		{name: "stdin", host: 1, cmd: "cat; echo done", stdin: "line 1\nline 2\n",
			wantOut: "line 1\nline 2\ndone\n"},
		{name: "environment and cwd", host: 2, cmd: `echo "$MURDER_LOCALFLEET_HOST $HOME"; pwd`,
			wantOut: "w03 {dir}\n{dir}\n"},
		{name: "killed by signal", cmd: "kill -TERM $$", wantSignal: "TERM"},
		{name: "large output", cmd: "head -c 300000 /dev/zero | tr '\\0' x; echo",
			wantOut: strings.Repeat("x", 300000) + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hosts[tc.host]
			s, err := dial(t, f, h).NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var stdout, stderr bytes.Buffer
			s.Stdout, s.Stderr = &stdout, &stderr
			s.Stdin = strings.NewReader(tc.stdin)
			err = s.Run(tc.cmd)

			status, signal := 0, ""
			var ee *ssh.ExitError
			if errors.As(err, &ee) {
				status, signal = ee.ExitStatus(), ee.Signal()
			} else if err != nil {
				t.Fatalf("run: %v", err)
			}
			if signal != tc.wantSignal || (signal == "" && status != tc.wantStatus) {
				t.Errorf("exit status %d signal %q, want %d %q", status, signal, tc.wantStatus, tc.wantSignal)
			}
			if want := strings.ReplaceAll(tc.wantOut, "{dir}", h.Dir); stdout.String() != want {
				t.Errorf("stdout %.100q, want %.100q", stdout.String(), want)
			}
			if stderr.String() != tc.wantErr {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.wantErr)
			}
		})
	}
}

func TestSignalForwarded(t *testing.T) {
	f := startFleet(t, 1)
	// exec, not a fork: dash blocks signals while it forks, and a group
	// signal arriving then reaches only the shell, never the child.
	s, _ := startAndReadPID(t, dial(t, f, f.Hosts()[0]), "echo $$; exec sleep 60")
	if err := s.Signal(ssh.SIGINT); err != nil {
		t.Fatal(err)
	}
	var ee *ssh.ExitError
	if err := s.Wait(); !errors.As(err, &ee) || ee.Signal() != "INT" {
		t.Fatalf("wait: %v, want killed by INT", err)
	}
}

// TestClientGoneKillsCommand checks that neither a closed channel nor a
// dropped connection leaves the command's processes behind, even once the
// shell has exited while a child of it still holds the output open.
func TestClientGoneKillsCommand(t *testing.T) {
	f := startFleet(t, 2)
	closeSession := func(_ *ssh.Client, s *ssh.Session) error { return s.Close() }
	closeClient := func(c *ssh.Client, _ *ssh.Session) error { return c.Close() }
	for _, tc := range []struct {
		name  string
		cmd   string // prints its process group id first
		leave func(c *ssh.Client, s *ssh.Session) error
	}{
		// The sleep is a child in the shell's group, not the shell itself.
		{"session closed", "echo $$; sleep 60; echo never", closeSession},
		{"client disconnected", "echo $$; sleep 60; echo never", closeClient},
		{"shell exited, child holds stdout", "echo $$; sleep 60 &", closeSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, f, f.Hosts()[1])
			s, pgid := startAndReadPID(t, c, tc.cmd)
			if !eventually(time.Second, func() bool { return groupAlive(pgid) }) {
				t.Fatalf("process group %d not running", pgid)
			}
			if err := tc.leave(c, s); err != nil {
				t.Fatal(err)
			}
			if !eventually(5*time.Second, func() bool { return !groupAlive(pgid) }) {
				t.Fatalf("process group %d still running after the client left", pgid)
			}
		})
	}
}

func TestDetachedChildSurvives(t *testing.T) {
	f := startFleet(t, 1)
	c := dial(t, f, f.Hosts()[0])
	// $! is the setsid'd sleep: setsid execs it in the forked child.
	s, pid := startAndReadPID(t, c, "setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $!; sleep 60")
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if !eventually(5*time.Second, func() bool { _, pgrp, _ := procStat(pid); return pgrp == pid }) {
		t.Fatalf("pid %d did not become its own group leader", pid)
	}
	s.Close()
	time.Sleep(300 * time.Millisecond) // let the group kill happen
	if !alive(pid) {
		t.Fatal("detached child was killed with the session")
	}
}

func TestSFTP(t *testing.T) {
	f := startFleet(t, 2)
	h := f.Hosts()[1]
	fc, err := sftp.NewClient(dial(t, f, h))
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	defer fc.Close()
	payload := bytes.Repeat([]byte("murder "), 50000)

	// Relative paths resolve against the host directory.
	for _, remote := range []string{"up.bin", filepath.Join(h.Dir, "abs.bin")} {
		w, err := fc.Create(remote)
		if err != nil {
			t.Fatalf("create %s: %v", remote, err)
		}
		if _, err := w.Write(payload); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"up.bin", "abs.bin"} {
		if got, err := os.ReadFile(filepath.Join(h.Dir, name)); err != nil || !bytes.Equal(got, payload) {
			t.Errorf("uploaded %s: %d bytes, %v", name, len(got), err)
		}
	}

	if err := os.WriteFile(filepath.Join(h.Dir, "down.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := fc.Open(filepath.Join(h.Dir, "down.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := io.ReadAll(r); err != nil || string(got) != "from the host\n" {
		t.Errorf("download: %q, %v", got, err)
	}
}
