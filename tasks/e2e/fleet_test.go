package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	_ "github.com/murderfleet/murder/tasks/deploy" // registers deploy:*
	"github.com/murderfleet/murder/tasks/murder"
	"github.com/murderfleet/murder/tasks/testfleet"
	"github.com/murderfleet/murder/tasks/treecmp"
)

// agents is built once for all tests of the package.
var (
	agentsOnce sync.Once
	agents     *murder.GoBuilder
)

func builder(t *testing.T) *murder.GoBuilder {
	agentsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "murder-e2e-bin-")
		if err != nil {
			t.Fatal(err)
		}
		agents = &murder.GoBuilder{Dir: dir}
	})
	return agents
}

// mageCache is a fresh MAGEFILE_CACHE for this test binary: mage keys its
// compiled binary by the magefiles alone, so a cache from an earlier build
// of the tasks would run stale code.
var mageCache string

// mageCmd is `go tool mage args...` run from the repository root with
// config as murder.yaml and this test binary's fresh mage cache.
func mageCmd(config string, args ...string) *exec.Cmd {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", append([]string{"tool", "mage"}, args...)...)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	cmd.Env = append(os.Environ(), "MURDER_CONFIG="+config, "MAGEFILE_CACHE="+mageCache)
	return cmd
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "murder-e2e-mage-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mageCache = dir
	code := m.Run()
	os.RemoveAll(mageCache)
	if agents != nil {
		os.RemoveAll(agents.Dir)
	}
	os.Exit(code)
}

// deployment is a fleet with a murder.yaml: h01 tracker, h02 seeder, the
// rest peers; every host keeps murder's files in its private /tmp.
type deployment struct {
	t      *testing.T
	fleet  *testfleet.Fleet
	dir    string // shared work dir (not /tmp: hosts have their own /tmp)
	sample string
	cfg    *roles.Config
	local  string // this machine's temp_path
	// extraSet is added to murder.yaml's set: section.
	extraSet string
	// sshLines replace the default max_hosts and timeout of the ssh: section.
	sshLines string
}

func newDeployment(t *testing.T, hosts int, extra string) *deployment {
	d := newBareDeployment(t, testfleet.Options{Hosts: hosts, TmpSize: "256m"}, "murder-e2e-")
	writeSample(t, d.sample)
	d.writeConfig(extra)
	t.Cleanup(d.stopEverything)
	return d
}

// newBareDeployment builds the fleet and a shared work directory (not /tmp:
// hosts have their own /tmp) with the sample and local temp paths; the
// caller writes the sample and murder.yaml.
func newBareDeployment(t *testing.T, o testfleet.Options, prefix string) *deployment {
	f := testfleet.ForTest(t, o.Hosts, o)
	dir, err := os.MkdirTemp("/var/tmp", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &deployment{t: t, fleet: f, dir: dir, sample: filepath.Join(dir, "sample"), local: filepath.Join(dir, "local")}
	if err := os.MkdirAll(d.local, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *deployment) writeConfig(extra string) {
	d.writeConfigWith(extra, func(h *testfleet.Host) string { return h.IP })
}

// writeConfigWith writes murder.yaml with each host written as spec says.
func (d *deployment) writeConfigWith(extra string, spec func(h *testfleet.Host) string) {
	d.writeConfigOf(d.fleet.Hosts, extra, spec)
}

// sshSection is murder.yaml's ssh: section for the fleet, lines given as
// they are (default: max_hosts 4, timeout 5s).
func (d *deployment) sshSection(lines string) string {
	if lines == "" {
		lines = "  max_hosts: 4\n  timeout: 5s\n"
	}
	return fmt.Sprintf("ssh:\n  user: root\n  identity_files: [%q]\n  known_hosts: %q\n%s",
		d.fleet.IdentityFile(), d.fleet.KnownHostsFile(), lines)
}

// writeConfigOf writes murder.yaml with hosts in its roles (the first the
// tracker, the second the seeder, the rest peers), each written as spec
// says, and loads it.
func (d *deployment) writeConfigOf(hosts []*testfleet.Host, extra string, spec func(h *testfleet.Host) string) {
	var b strings.Builder
	fmt.Fprintf(&b, "set:\n  remote_murder_path: /tmp/murder\n  default_temp_path: /tmp\n%s", d.extraSet)
	b.WriteString(d.sshSection(d.sshLines))
	b.WriteString("roles:\n")
	for i, h := range hosts {
		switch i {
		case 0:
			b.WriteString("  tracker:\n")
		case 1:
			b.WriteString("  seeder:\n")
		case 2:
			b.WriteString("  peer:\n")
		}
		fmt.Fprintf(&b, "    - %s\n", spec(h))
	}
	b.WriteString(extra)
	path := filepath.Join(d.dir, "murder.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		d.t.Fatal(err)
	}
	cfg, err := roles.Load(path)
	if err != nil {
		d.t.Fatal(err)
	}
	d.cfg = cfg
}

// runTask runs one task on the fleet, as `go tool mage` would, with the
// agent built once for the whole suite and the local .torrent in d.local.
func (d *deployment) runTask(ctx context.Context, out io.Writer, task string, words ...string) error {
	words = append(slices.Clone(words), "local_temp_path="+d.local)
	return tasks.Run(murder.WithAgents(ctx, builder(d.t)), task, words, tasks.Options{
		Stdout: out, Config: d.cfg, Getenv: func(string) string { return "" },
	})
}

// run runs one task and returns its output and error.
func (d *deployment) run(task string, words ...string) (string, error) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := d.runTask(ctx, &out, task, words...)
	d.t.Logf("$ mage %s %s\n%s", task, strings.Join(words, " "), out.String())
	return out.String(), err
}

func (d *deployment) mustRun(task string, words ...string) string {
	d.t.Helper()
	out, err := d.run(task, words...)
	if err != nil {
		d.t.Fatalf("%s: %v", task, err)
	}
	return out
}

// stopEverything stops every agent process, also after a failed test,
// before the fleet goes away.
func (d *deployment) stopEverything() {
	for _, h := range d.fleet.Hosts {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		for _, kind := range []string{"peer", "seeder", "tracker", "serve-agent"} {
			_, _ = h.Exec(ctx, "/tmp/murder/murder-agent", "stop", "--all", "--grace", "2s", "--run-dir", "/tmp/murder/run", kind)
		}
		cancel()
	}
}

func (d *deployment) peers() []*testfleet.Host { return d.fleet.Hosts[2:] }

// verify checks every peer's copy of the sample at path.
func (d *deployment) verify(path string, hosts ...*testfleet.Host) {
	d.t.Helper()
	if len(hosts) == 0 {
		hosts = d.peers()
	}
	for _, h := range hosts {
		if err := treecmp.Equal(d.sample, h.Path(path), gitNames); err != nil {
			d.t.Errorf("host %s: %s differs from the sample:\n%v", h.Name, path, err)
		}
	}
}

func gitNames(name string) bool { return strings.HasPrefix(name, ".git") }

func writeSample(t *testing.T, dir string) {
	files := map[string]string{
		"index.html":          "<h1>release</h1>\n",
		"bin/run":             "#!/bin/sh\nexec true\n",
		"a/b/c/deep.txt":      "deep\n",
		"it's a \"name\".txt": "quotes\n",
		".git/HEAD":           "ref\n",
		".gitignore":          "*.o\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "bin/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b/c/deep.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB, several pieces
	for i := range big {
		big[i] ^= byte(i * 7 >> 3)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o640); err != nil {
		t.Fatal(err)
	}
}
