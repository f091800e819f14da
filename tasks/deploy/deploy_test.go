package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks"
	_ "github.com/murderfleet/murder/tasks/deploy"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// fleet deploys a plain directory by copy to two hosts, with linked
// files and directories.
func fleet(t *testing.T) string {
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "index.html"), []byte("<h1>shop</h1>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return `
set:
  deploy_to: /srv/shop
  remote_murder_path: /opt/murder
  repository: ` + repo + `
  deploy_via: copy
  linked_files: [config/database.yml]
  linked_dirs: [log]
roles:
  app: [w01, w02]
ssh: { user: deploy }
`
}

var executing = regexp.MustCompile("executing `([^']+)'")

func order(out string) []string {
	var names []string
	for _, m := range executing.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	return names
}

func TestDeployFlow(t *testing.T) {
	tasks.Register("shop:after_update_code", func(context.Context) error { return nil })
	tasks.After("deploy:update_code", "shop:after_update_code") // Capistrano 2's name for deploy:updating
	f := taskstest.New(t)
	f.Script("", " release switch ", taskstest.Reply{Stdout: "previous 20250101000000\n"})
	out, err := f.Run(t, fleet(t), "deploy")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []string{"deploy:default", "deploy:starting", "deploy:check", "deploy:started", "deploy:updating", "shop:after_update_code",
		"deploy:updated", "deploy:publishing", "deploy:restart", "deploy:published", "deploy:finishing", "deploy:cleanup", "deploy:finished"}
	if got := order(out); !slices.Equal(got, want) {
		t.Errorf("flow ran\n %q\nwant\n %q", got, want)
	}
	ops := strings.Join(f.Ops("w01"), "\n")
	for _, w := range []string{
		"mkdir -p -- /srv/shop/shared/log && mkdir -p -- /srv/shop/shared/config", // deploy:check
		"test -e /srv/shop/shared/config/database.yml",
		"ln -s -- /srv/shop/shared/log /srv/shop/releases/", // linked into the release
		"ln -s -- /srv/shop/shared/config/database.yml /srv/shop/releases/",
		"> /srv/shop/releases/", // REVISION
		"/opt/murder/murder-agent release switch /srv/shop ",
		"/opt/murder/murder-agent release cleanup /srv/shop 5",
	} {
		if !strings.Contains(ops, w) {
			t.Errorf("w01 did not run %q:\n%s", w, ops)
		}
	}
}

// TestDeployFailureLeavesCurrent: a host failing before publishing
// removes the new release everywhere, switches nothing and runs
// deploy:failed.
func TestDeployFailureLeavesCurrent(t *testing.T) {
	f := taskstest.New(t)
	f.Script("w02", " extract ", taskstest.Reply{Stderr: "murder-agent extract: disk full\n", Code: 1})
	out, err := f.Run(t, fleet(t), "deploy")
	for _, w := range []string{"host w02: copy release: extract: disk full", "deploy aborted: current is unchanged on every host"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v, want %q", err, w)
		}
	}
	if got := f.HostsRunning(" release remove "); !slices.Equal(got, []string{"w01", "w02"}) {
		t.Errorf("release removed on %v", got)
	}
	if got := f.HostsRunning(" release switch "); len(got) != 0 {
		t.Errorf("switched on %v", got)
	}
	if !strings.Contains(out, "executing `deploy:failed'") {
		t.Errorf("deploy:failed did not run:\n%s", out)
	}
}

// TestDeployMissingLinkedFile: deploy:check stops the deploy before
// anything is built or uploaded.
func TestDeployMissingLinkedFile(t *testing.T) {
	f := taskstest.New(t)
	f.Script("w01", "test -e /srv/shop/shared/config/database.yml", taskstest.Reply{Code: 1})
	_, err := f.Run(t, fleet(t), "deploy")
	if err == nil || !strings.Contains(err.Error(), "host w01: check: linked file(s) missing: /srv/shop/shared/config/database.yml") {
		t.Errorf("err = %v", err)
	}
	for _, op := range f.Ops("") {
		if strings.HasPrefix(op, "upload ") {
			t.Errorf("uploaded %q before the check passed", op)
		}
	}
}

func TestRollbackRefusals(t *testing.T) {
	f := taskstest.New(t)
	f.Script("", " release list ", taskstest.Reply{Stdout: "current 2\nrelease 1\nrelease 2\n"})
	f.Script("w02", " release list ", taskstest.Reply{Stdout: "current 3\nrelease 1\nrelease 3\n"})
	_, err := f.Run(t, fleet(t), "deploy:rollback")
	if err == nil || !strings.Contains(err.Error(), "the hosts disagree on the release to roll back to") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("err = %v", err)
	}
	if got := f.HostsRunning(" release switch "); len(got) != 0 {
		t.Errorf("switched on %v", got)
	}
}
