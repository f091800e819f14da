package murder

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/murderfleet/murder/roles"
)

// TestImportCapfile: murder:import_capfile writes a murder.yaml that murder
// loads, lists untranslated lines on stderr, and keeps an existing file.
func TestImportCapfile(t *testing.T) {
	dir := t.TempDir()
	capfile := filepath.Join(dir, "Capfile")
	src := `require 'murder'
set :application, "shop"
set :deploy_via, :murder
role :app, "w01.example.com", "w02.example.com"
role :db, "db1.example.com", :no_release => true
after 'deploy:setup', 'murder:distribute_files'
before 'murder:start_seeding', 'murder:start_tracker'
after 'murder:stop_seeding', 'murder:stop_tracker'
task :custom do
  run "echo hi"
end
`
	if err := os.WriteFile(capfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "murder.yaml")
	var stdout, stderr bytes.Buffer
	opts := ImportOptions{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	goOut := filepath.Join(dir, "magefiles", "capistrano_tasks.go")
	if err := ImportCapfile([]string{"capfile=" + capfile, "output=" + out, "tasks_output=" + goOut}, opts); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	cfg, err := roles.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.Roles["peer"]); got != 2 {
		t.Errorf("peer role has %d hosts, want 2 (db1 is no_release)", got)
	}
	if b, err := os.ReadFile(goOut); err != nil || !strings.Contains(string(b), `h.Run(ctx, "echo hi")`) {
		t.Errorf("the custom task did not become Go in %s: %v\n%s", goOut, err, b)
	}
	if err := ImportCapfile([]string{"capfile=" + capfile, "output=" + out, "tasks_output=" + goOut}, opts); err == nil || !strings.Contains(err.Error(), "force=1") {
		t.Errorf("existing murder.yaml overwritten without force=1: %v", err)
	}
	if err := ImportCapfile(nil, opts); err == nil || !strings.Contains(err.Error(), "capfile=") {
		t.Errorf("missing capfile=: %v", err)
	}
}
