package roles

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const exampleFile = "../murder.yaml.example"

// TestExampleFile keeps murder.yaml.example valid and complete: it must
// parse, and mention every key and variable with its default.
func TestExampleFile(t *testing.T) {
	testEnv(t)
	c, err := Load(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, c)
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.Concat(topKeys, sshKeys, serverKeys, VarNames(), []string{"before", "after", "peer", "tracker", "seeder"})
	for _, k := range keys {
		if !regexp.MustCompile(`(?m)^\s*(#\s*)?(- )?` + regexp.QuoteMeta(k) + `:`).Match(data) {
			t.Errorf("%s does not show key %q", exampleFile, k)
		}
	}
	// The example's global values are the defaults wherever they can be.
	g := c.Global()
	want := Vars{Application: "shop", DeployTo: "/u/apps/shop", RemoteMurderPath: "/u/apps/shop/shared/murder",
		DefaultTempPath: "/tmp", TrackerPort: 8998, Repository: "git@git.example.com:shop.git", Branch: "HEAD",
		CopyExclude: []string{"log", "tmp", "*.md"}, KeepReleases: 5, RestartCommand: "sudo systemctl restart shop", DeployVia: "murder",
		LinkedFiles: []string{"config/database.yml"}, LinkedDirs: []string{"log", "tmp/pids", "public/system"}}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("example globals =\n%+v\nwant\n%+v", g, want)
	}
	if got := names(c.Roles["peer"]); !slices.Equal(got, []string{"w01.example.com:2222", "w02.example.com", "w03.example.com", "2001:db8::7"}) {
		t.Errorf("example peers = %v", got)
	}
}

func ExampleParse() {
	c, err := Parse(strings.NewReader(`
ssh: {user: deploy}
set:
  application: shop
roles:
  app: [w01, "w02:2222"]
  db:
    - {host: db1, no_release: true}
`), "murder.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, role := range c.Order {
		fmt.Println(role, c.Roles[role])
	}
	fmt.Println(c.Vars(c.Tracker()).RemoteMurderPath)
	// Output:
	// app [w01 w02:2222]
	// db [db1]
	// peer [w01 w02:2222]
	// tracker [w01]
	// seeder [w01]
	// /u/apps/shop/shared/murder
}

func ExampleSelect() {
	c, _ := Parse(strings.NewReader("ssh: {user: deploy}\nroles: {app: [w01, w02, w03], web: [w02]}\n"), "murder.yaml")
	// HOSTS=w02,w03 restricted to the app role, as Capistrano would.
	fmt.Println(Select(c.Hosts("app"), Named("w02", "w03"), Not(InRole("web"))))
	// Output: [w03]
}

func ExampleParse_error() {
	_, err := Parse(strings.NewReader("ssh: {user: deploy}\nroles:\n  app:\n    - w01\n    - w02:70000\n"), "murder.yaml")
	fmt.Println(err)
	// Output: murder.yaml:5: roles.app[1]: port 70000 out of range 1..65535
}
