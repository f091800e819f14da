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

	cmd := mageCmd(filepath.Join(d.dir, "murder.yaml"), "murder:peer", "tag="+tag, "destination_path=/tmp/dest",
		"local_temp_path="+d.local) // where create_torrent left the .torrent and the key
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
