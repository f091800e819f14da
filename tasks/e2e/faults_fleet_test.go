package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// faultSetup describes the fleet of a fault test.
type faultSetup struct {
	hosts int
	rate  string // tc rate of every link, "" for none
	size  int64  // bytes of random (incompressible) data in the sample
	ssh   string // extra lines of murder.yaml's ssh: section
}

// newFaultDeployment is a deployment (h01 tracker, h02 seeder, the rest
// peers) with a random sample of the given size, whose agents are copied
// straight into each host's /tmp/murder: distribute_files has its own
// tests, and on shaped links its upload would cost the most time.
func newFaultDeployment(t *testing.T, fs faultSetup) *deployment {
	d := newBareDeployment(t, testfleet.Options{Hosts: fs.hosts, TmpSize: "256m", Rate: fs.rate}, "murder-faults-")
	writeRandomSample(t, d.sample, fs.size)
	d.writeFaultConfig(fs.ssh)
	t.Cleanup(d.stopEverything)
	d.installAgents()
	return d
}

// writeFaultConfig writes murder.yaml with ssh lines of the test's own.
func (d *deployment) writeFaultConfig(ssh string) {
	d.sshLines = "  max_hosts: 8\n" + ssh
	d.writeConfig("")
}

// installAgents copies the agent into every host's remote_murder_path.
func (d *deployment) installAgents() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, _, err := builder(d.t).Build(ctx, "linux", runtime.GOARCH)
	if err != nil {
		d.t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, h := range d.fleet.Hosts {
		if err := os.MkdirAll(h.Path("/tmp/murder"), 0o755); err != nil {
			d.t.Fatal(err)
		}
		if err := os.WriteFile(h.Path("/tmp/murder/murder-agent"), data, 0o755); err != nil {
			d.t.Fatal(err)
		}
	}
}

// writeRandomSample writes a directory with size random bytes in one file
// and a small text file.
func writeRandomSample(t *testing.T, dir string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "README"), []byte("fault test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "random.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		t.Fatal(err)
	}
}

// background is a task run in a goroutine.
type background struct {
	done chan struct{}
	out  string
	err  error
	end  time.Time
}

// start runs task in the background under ctx.
func (d *deployment) start(ctx context.Context, task string, words ...string) *background {
	b := &background{done: make(chan struct{})}
	go func() {
		defer close(b.done)
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		var out bytes.Buffer
		b.err = d.runTask(ctx, &out, task, words...)
		b.out, b.end = out.String(), time.Now()
	}()
	return b
}

// wait waits for the background task and logs its output.
func (b *background) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		t.Fatalf("task still running after %v", timeout)
	}
	t.Logf("background task output:\n%s", b.out)
}

// peerStatus is the peer worker's latest report on h for tag.
func peerStatus(h *testfleet.Host, tag string) string {
	b, _ := os.ReadFile(h.Path("/tmp/murder/run/peer-" + tag + ".status"))
	return strings.TrimSpace(string(b))
}

// statusField reads name=N from a status line.
func statusField(line, name string) int64 {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// waitHave waits until the peer on h holds at least frac of the file.
func waitHave(t *testing.T, h *testfleet.Host, tag string, frac float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		line := peerStatus(h, tag)
		have, total := statusField(line, "have"), statusField(line, "total")
		if total > 0 && float64(have) >= frac*float64(total) && have > 0 {
			t.Logf("host %s: %s", h.Name, line)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("host %s: peer of %s has not reached %.0f%% after %v (status %q)", h.Name, tag, frac*100, timeout, line)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkNothingExtracted fails if h has anything at the destination dest.
func checkNothingExtracted(t *testing.T, h *testfleet.Host, dest string) {
	t.Helper()
	if _, err := os.Lstat(h.Path(dest)); !os.IsNotExist(err) {
		t.Errorf("host %s: %s exists (%v); a failed peer must extract nothing", h.Name, dest, err)
	}
	if m, _ := filepath.Glob(h.Path(filepath.Join(filepath.Dir(dest), ".murder-*"))); len(m) > 0 {
		t.Errorf("host %s: staging left beside %s: %v", h.Name, dest, m)
	}
}
