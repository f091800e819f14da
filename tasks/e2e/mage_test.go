package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMage drives the real `go tool mage` as an operator would: the target
// list, underscore names, name=value arguments, environment arguments and
// the errors for a typo and a missing tag. Dry runs need no hosts.
func TestMage(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the magefile")
	}
	cfg := filepath.Join(t.TempDir(), "murder.yaml")
	if err := os.WriteFile(cfg, []byte("roles:\n  app: [w01.example.com, w02.example.com]\nssh:\n  user: deploy\n  known_hosts: /dev/null\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mage := func(env []string, args ...string) (string, error) {
		cmd := mageCmd(cfg, args...)
		cmd.Env = append(append(cmd.Env, "SSH_AUTH_SOCK="), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := mage(nil, "-l")
	if err != nil {
		t.Fatalf("mage -l: %v\n%s", err, out)
	}
	for _, target := range []string{"demo", "murder:peer", "murder:startTracker", "murder:distributeFiles", "murder:cleanTempFiles"} {
		if !strings.Contains(out, target) {
			t.Errorf("mage -l does not list %s:\n%s", target, out)
		}
	}
	cases := []struct {
		name    string
		env     []string
		args    []string
		wantErr bool
		want    string
	}{
		{"arguments", nil, []string{"murder:peer", "tag=Deploy1", "destination_path=/srv/app", "dry_run=1"}, false, "/srv/app/Deploy1"},
		{"underscore name", nil, []string{"murder:start_tracker", "dry_run=1"}, false, "tracker --detach --port 8998"},
		{"environment", []string{"tag=Deploy2", "dry_run=1"}, []string{"murder:start_seeding"}, false, "--tag Deploy2"},
		{"typo", nil, []string{"murder:peer", "tag=T", "destinaton_path=/x"}, true, "did you mean destination_path"},
		{"missing tag", nil, []string{"murder:peer", "destination_path=/x"}, true, "please specify a tag"},
		{"slash in tag", nil, []string{"murder:peer", "tag=a/b", "destination_path=/x"}, true, "Tag cannot contain a / character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := mage(c.env, c.args...)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v\n%s", err, c.wantErr, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, out)
			}
		})
	}
}
