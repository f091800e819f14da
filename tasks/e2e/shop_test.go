package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// TestShopExample deploys with the README's example magefile
// (examples/shop): its own tasks hooked into the deploy flow run on the
// real fleet through the real `go tool mage`, migrations once on the
// primary db, restarts in groups of two with the wait between them, output
// prefixed per host, and a failing host named with a non-zero exit.
func TestShopExample(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the example's magefile")
	}
	d := newBareDeployment(t, testfleet.Options{Hosts: 6, TmpSize: "64m"}, "murder-shop-")
	t.Cleanup(d.stopEverything)
	repo := filepath.Join(d.dir, "shop")
	writeFiles(t, repo, map[string]string{
		"bin/rake":        "#!/bin/sh\necho \"RAILS_ENV=$RAILS_ENV $*\" >> /tmp/migrations.log\n",
		"public/app.html": "<h1>shop</h1>\n",
	})
	cfg := d.writeShopConfig(repo)
	app, primary := d.fleet.Hosts[2:], d.fleet.Hosts[5]

	out := shop(t, cfg, "deploy:setup")
	out = shop(t, cfg, "deploy")
	for _, want := range []string{"executing `deploy:updated'\n  * executing `app:migrate'", "executing `deploy:publishing'", "executing `app:restart'"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy output lacks %q", want)
		}
	}
	for _, h := range d.fleet.Hosts {
		log, _ := os.ReadFile(h.Path("/tmp/migrations.log"))
		want := ""
		if h == primary {
			want = "RAILS_ENV=production db:migrate\n"
		}
		if string(log) != want {
			t.Errorf("host %s: migrations.log = %q, want %q", h.Name, log, want)
		}
	}
	live := func(h *testfleet.Host, name string) string {
		return h.Path("/tmp/app/releases/" + current(t, h) + "/" + name)
	}
	rev, err := os.ReadFile(live(app[0], "REVISION"))
	if err != nil {
		t.Fatal(err)
	}
	restarted := map[*testfleet.Host]time.Time{}
	for _, h := range app {
		fi, err := os.Stat(live(h, "tmp/restart.txt"))
		if err != nil {
			t.Fatalf("host %s: not restarted: %v", h.Name, err)
		}
		restarted[h] = fi.ModTime()
		if line := fmt.Sprintf(" ** [info :: %s] restarting shop at %s", h.IP, strings.TrimSpace(string(rev))); !strings.Contains(out, line) {
			t.Errorf("output lacks %q", line)
		}
	}
	// Two at a time, 5 s apart: the second group started after the wait.
	for _, first := range app[:2] {
		for _, second := range app[2:] {
			if gap := restarted[second].Sub(restarted[first]); gap < 4*time.Second {
				t.Errorf("%s restarted %v after %s: the 5 s wait between groups was not observed", second.Name, gap, first.Name)
			}
		}
	}

	// A host in maintenance is skipped; an argument reaches the task.
	if err := os.WriteFile(app[1].Path("/tmp/app/shared/maintenance"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out = shop(t, cfg, "app:restart", "service=cart")
	if strings.Contains(out, "[info :: "+app[1].IP+"]") || !strings.Contains(out, "[info :: "+app[0].IP+"] restarting cart at") {
		t.Errorf("maintenance or service= not honoured:\n%s", out)
	}

	// A failing host is named, and the exit status says so.
	if err := os.Remove(app[2].Path("/tmp/app/current")); err != nil {
		t.Fatal(err)
	}
	cmd := shopCmd(cfg, "app:restart")
	b, err := cmd.CombinedOutput()
	if want := "host " + app[2].IP + ": app:restart: within: directory /tmp/app/current does not exist"; err == nil || !strings.Contains(string(b), want) {
		t.Errorf("err = %v, want a failure naming %q:\n%s", err, want, b)
	}
}

// writeShopConfig writes the example's murder.yaml for the test fleet:
// h01 tracker, h02 seeder, h03-h06 app, db h03 and h06 (primary).
func (d *deployment) writeShopConfig(repo string) string {
	ip := func(i int) string { return d.fleet.Hosts[i].IP }
	var b strings.Builder
	fmt.Fprintf(&b, "set:\n  remote_murder_path: /tmp/murder\n  deploy_to: /tmp/app\n  repository: %s\n  rails_env: production\n", repo)
	b.WriteString(d.sshSection("  timeout: 5s\n"))
	fmt.Fprintf(&b, "roles:\n  tracker: [%s]\n  seeder: [%s]\n  app: [%s, %s, %s, %s]\n  db:\n    - %s\n    - {host: %s, primary: true}\n  peer: [%s, %s, %s, %s]\n",
		ip(0), ip(1), ip(2), ip(3), ip(4), ip(5), ip(2), ip(5), ip(2), ip(3), ip(4), ip(5))
	b.WriteString(deployHooks)
	path := filepath.Join(d.dir, "murder.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		d.t.Fatal(err)
	}
	return path
}

// shopCmd is `go tool mage ARGS` in examples/shop.
func shopCmd(config string, args ...string) *exec.Cmd {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", append([]string{"tool", "mage"}, args...)...)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..", "examples", "shop")
	cmd.Env = append(os.Environ(), "MURDER_CONFIG="+config, "MAGEFILE_CACHE="+mageCache)
	return cmd
}

func shop(t *testing.T, config string, args ...string) string {
	t.Helper()
	b, err := shopCmd(config, args...).CombinedOutput()
	t.Logf("$ go tool mage %s\n%s", strings.Join(args, " "), b)
	if err != nil {
		t.Fatalf("go tool mage %s: %v", strings.Join(args, " "), err)
	}
	return string(b)
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
