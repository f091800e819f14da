package roles

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that rejections are
// located errors, and that every accepted configuration keeps the
// invariants later layers rely on.
func FuzzParse(f *testing.F) {
	testEnv(f)
	seeds := []string{
		"",
		"roles: {app: [w01]}\n",
		"roles:\n  app: [deploy@w01:2222, w02, \"[::1]:22\"]\n  db: [{host: db1, no_release: true}]\n",
		"set: {application: shop, tracker_port: 9000}\nroles: {app: [{host: w01, set: {deploy_to: /srv}}]}\n",
		"roles: {peer: [w01], tracker: [w02], seeder: [w03], app: [w04]}\n",
		"ssh: {port: 2222, timeout: 5, gateway: b@jump}\nroles: {app: [w01, \"w01:22\"]}\n",
		"hooks: {before: {\"a:b\": [c:d]}}\nroles: {app: [w01]}\n",
		"x-d: &d {user: u}\nroles: {app: [{<<: *d, host: w01}], web: [{<<: [*d], host: w02}]}\n",
		"roles: {db: [{host: db1, no_release: true}]}\n",
		"roles: {app: [w01, w01]}\n",
		"roles: {app: [\"w01:70000\"]}\n",
		"roles: {app: []}\n",
		"roles:\n  app: [w01\n",
		"roles: {app: *x}\n",
		"set: {remote_murder_path: /}\nroles: {app: [w01]}\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	if data, err := os.ReadFile(exampleFile); err == nil {
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(strings.NewReader(src), "fuzz.yaml")
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error is not a located Errors: %#v", err)
			}
			return
		}
		checkInvariants(t, c)
	})
}
