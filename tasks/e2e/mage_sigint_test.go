package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestMageSIGINT: ^C to `go tool mage murder:peer` itself (SIGINT to its
// process group, as a terminal sends it) stops the remote agents it
// started, removes their temporary files and exits non-zero.
func TestMageSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the magefile")
	}
	d := newFaultDeployment(t, faultSetup{hosts: 4, rate: faultRate, size: faultSize})
	tag := fmt.Sprintf("Sig%d", os.Getpid())
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag="+tag, "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag="+tag)
	// mage reads murder.yaml, whose default_temp_path (/tmp) is also where
	// this machine keeps the .torrent and the transfer's key.
	for _, name := range []string{tag + ".tgz.torrent", tag + ".tgz.key"} {
		b, err := os.ReadFile(filepath.Join(d.local, name))
		if err != nil {
			t.Fatal(err)
		}
		local := filepath.Join("/tmp", name)
		if err := os.WriteFile(local, b, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(local) })
	}

	cmd := mageCmd(filepath.Join(d.dir, "murder.yaml"), "murder:peer", "tag="+tag, "destination_path=/tmp/dest")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waitHave(t, d.peers()[0], tag, 0, 60*time.Second)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("mage did not exit after SIGINT:\n%s", out.String())
	}
	t.Logf("%s", out.String())
	if err == nil {
		t.Error("mage exited 0 after SIGINT")
	}
	for _, h := range d.peers() {
		if peerRunning(h) {
			t.Errorf("host %s: a peer still runs after SIGINT", h.Name)
		}
		if m, _ := filepath.Glob(h.Path("/tmp/" + tag + ".tgz*")); len(m) > 0 {
			t.Errorf("host %s: temporary files left: %v", h.Name, m)
		}
		checkNothingExtracted(t, h, "/tmp/dest/"+tag)
	}
}
