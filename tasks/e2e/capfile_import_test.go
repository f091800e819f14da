package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// TestImportedCapistranoProject carries a multistage Capistrano 3 project
// over (testdata/cap3shop: Capfile, config/deploy.rb, the production and
// staging stages, a restart and a migrate task in lib/capistrano/tasks)
// with `go tool mage murder:import_capfile`, and deploys it to the test
// fleet with a magefile made of the generated Go and the one-line import
// of murder's targets: migrations once on the primary db server after
// deploy:updated, the restart on every app server, one at a time, after
// deploy:publishing, the linked log directory, servers from ${APPn}.
func TestImportedCapistranoProject(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the generated magefile")
	}
	d := newBareDeployment(t, testfleet.Options{Hosts: 5, TmpSize: "64m"}, "murder-import-")
	t.Cleanup(d.stopEverything)
	tracker, seeder, app := d.fleet.Hosts[0], d.fleet.Hosts[1], d.fleet.Hosts[2:]
	primary := app[0] // APP1: roles app and db, primary: true

	// The project is the application's repository, as a Capistrano
	// project is: Capfile and config/ beside bin/ and public/.
	project := filepath.Join(d.dir, "shop")
	if err := os.CopyFS(project, os.DirFS(filepath.Join("testdata", "cap3shop"))); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, project, map[string]string{
		"bin/rake":          "#!/bin/sh\necho \"RAILS_ENV=$RAILS_ENV $*\" >> /tmp/migrations.log\n",
		"public/index.html": "<h1>shop</h1>\n",
	})
	env := []string{"REPO_URL=" + project, "APP1=" + app[0].IP, "APP2=" + app[1].IP, "APP3=" + app[2].IP}

	// The magefile's directory must be inside this module for
	// github.com/murderfleet/murder to resolve; testdata is left out of ./...
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp(testdata, "import-work-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	cfg := filepath.Join(work, "murder.yaml")
	generated := filepath.Join(work, "magefiles", "capistrano_tasks.go")

	// The import runs from the repository root, as mageCmd does, spelled
	// as the README spells it.
	importCmd := func(args ...string) (string, error) {
		start := time.Now()
		cmd := mageCmd(filepath.Join(work, "absent.yaml"), append([]string{"murder:import_capfile", "capfile=" + project}, args...)...)
		b, err := cmd.CombinedOutput()
		t.Logf("$ go tool mage murder:import_capfile capfile=%s %s (%v)\n%s", project, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), b)
		return string(b), err
	}
	out, err := importCmd("output="+cfg, "tasks_output="+generated)
	if err == nil || !strings.Contains(out, "project has stages: production, staging; give stage=NAME") {
		t.Errorf("import without stage=: err = %v, want a failure listing production, staging", err)
	}
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Errorf("import without stage= left %s (%v)", cfg, err)
	}

	// Outside work: a mage file there would be compiled with the magefiles.
	staging := filepath.Join(d.dir, "staging")
	if _, err := importCmd("stage=staging", "output="+staging+".yaml", "tasks_output="+staging+".go"); err != nil {
		t.Fatalf("import stage=staging: %v", err)
	}
	if b, _ := os.ReadFile(staging + ".yaml"); !strings.Contains(string(b), "host: ${STAGING_HOST}") || !strings.Contains(string(b), "rails_env: staging") || strings.Contains(string(b), "${APP1}") {
		t.Errorf("stage=staging did not read config/deploy/staging.rb:\n%s", b)
	}

	if _, err := importCmd("stage=production", "output="+cfg, "tasks_output="+generated); err != nil {
		t.Fatalf("import stage=production: %v", err)
	}
	src, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %s:\n%s", generated, src)
	for _, want := range []string{
		`tasks.Register("deploy:restart", CapDeploy{}.Restart)`,
		`tasks.Register("deploy:migrate", CapDeploy{}.Migrate)`,
		`tasks.After("deploy:updated", "deploy:migrate")`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated Go lacks %s", want)
		}
	}

	// What the fleet needs and the project cannot say: murder's hosts,
	// the peers to deploy to, how to reach them, the documented hooks.
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(b)
	t.Logf("generated %s:\n%s", cfg, yaml)
	for _, section := range []string{"\nset:\n", "\nroles:\n"} {
		if strings.Count(yaml, section) != 1 {
			t.Fatalf("generated murder.yaml has %d %q sections", strings.Count(yaml, section), section)
		}
	}
	for _, section := range []string{"\nssh:", "\nhooks:"} {
		if strings.Contains(yaml, section) {
			t.Fatalf("generated murder.yaml has a %q section of its own", section)
		}
	}
	yaml = strings.Replace(yaml, "\nset:\n", "\nset:\n  remote_murder_path: /tmp/murder\n", 1)
	yaml = strings.Replace(yaml, "\nroles:\n", "\nroles:\n  tracker: ["+tracker.IP+"]\n  seeder: ["+seeder.IP+"]\n  peer:\n    - host: ${APP1}\n    - host: ${APP2}\n    - host: ${APP3}\n", 1)
	yaml += d.sshSection("  timeout: 5s\n") + deployHooks
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	magefile := "//go:build mage\n\npackage main\n\nimport (\n\t//mage:import\n\t_ \"github.com/murderfleet/murder/tasks/targets\"\n)\n"
	if err := os.WriteFile(filepath.Join(work, "magefiles", "magefile.go"), []byte(magefile), 0o644); err != nil {
		t.Fatal(err)
	}

	mage := func(args ...string) string {
		t.Helper()
		start := time.Now()
		cmd := exec.Command("go", append([]string{"tool", "mage"}, args...)...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), append(env, "MURDER_CONFIG="+cfg, "MAGEFILE_CACHE="+mageCache)...)
		b, err := cmd.CombinedOutput()
		t.Logf("$ go tool mage %s (%v)\n%s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), b)
		if err != nil {
			t.Fatalf("go tool mage %s: %v", strings.Join(args, " "), err)
		}
		return string(b)
	}
	mage("deploy:setup")
	out = mage("deploy")

	for _, want := range []string{"executing `deploy:updated'\n  * executing `deploy:migrate'", "executing `deploy:publishing'\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy output lacks %q", want)
		}
	}
	pub, restart := strings.Index(out, "executing `deploy:publishing'"), strings.Index(out, "executing `deploy:restart'")
	if restart < 0 || restart < pub {
		t.Errorf("deploy:restart not run after deploy:publishing (at %d, publishing at %d)", restart, pub)
	}
	// Capistrano 3's flow has no restart of its own, hence the project's
	// `after :publishing, :restart`; murder's flow runs deploy:restart
	// after deploy:publishing already: the servers restart once, as with cap.
	if n := strings.Count(out, "executing `deploy:restart'"); n != 1 {
		t.Errorf("deploy:restart ran %d times, want once", n)
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
	rel := current(t, app[0])
	var restarted []time.Time
	for _, h := range app {
		if got := current(t, h); got != rel {
			t.Errorf("host %s: current is %s, want %s", h.Name, got, rel)
		}
		live := h.Path("/tmp/app/releases/" + rel)
		if rev, err := os.ReadFile(filepath.Join(live, "REVISION")); err != nil || len(strings.TrimSpace(string(rev))) == 0 {
			t.Errorf("host %s: REVISION = %q, %v", h.Name, rev, err)
		}
		if b, err := os.ReadFile(filepath.Join(live, "public/index.html")); err != nil || string(b) != "<h1>shop</h1>\n" {
			t.Errorf("host %s: public/index.html = %q, %v", h.Name, b, err)
		}
		if target, err := os.Readlink(filepath.Join(live, "log")); err != nil || target != "/tmp/app/shared/log" {
			t.Errorf("host %s: linked dir log -> %q, %v; want /tmp/app/shared/log", h.Name, target, err)
		}
		fi, err := os.Stat(filepath.Join(live, "tmp/restart.txt"))
		if err != nil {
			t.Errorf("host %s: not restarted: %v", h.Name, err)
			continue
		}
		restarted = append(restarted, fi.ModTime())
	}
	// in: :sequence, wait: 1: one host after the other, a second apart.
	for i := 1; i < len(restarted); i++ {
		if gap := restarted[i].Sub(restarted[i-1]); gap < 900*time.Millisecond {
			t.Errorf("%s restarted %v after %s: want one at a time, 1 s apart", app[i].Name, gap, app[i-1].Name)
		}
	}
	for _, h := range []*testfleet.Host{tracker, seeder} {
		if _, err := os.Lstat(h.Path("/tmp/app/current")); !os.IsNotExist(err) {
			t.Errorf("host %s (not a peer) got a release: %v", h.Name, err)
		}
	}
}
