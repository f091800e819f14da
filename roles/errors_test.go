package roles

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestErrors checks every configuration error with its location. Sources
// start at line 1 (the leading newline is dropped).
func TestErrors(t *testing.T) {
	const app = "roles: {app: [w01]}\n"
	tests := []struct {
		name string
		src  string
		want string // substring of the error message, including file:line
	}{
		{"empty file", "", "murder.yaml: empty configuration: declare at least one role"},
		{"only comments", "# nothing\n\n", "murder.yaml: empty configuration"},
		{"null document", "---\n~\n", "murder.yaml: empty configuration"},
		{"syntax", "roles:\n  app: [w01\n", "murder.yaml:2: did not find expected ',' or ']'"},
		{"bad indent", "roles:\n  app: [w01]\n web: [w02]\n", "murder.yaml:3: did not find expected key"},
		{"tab indent", "roles:\n  app: [w01]\n\tweb: [w02]\n", "murder.yaml:3: found character that cannot start any token"},
		{"mapping in scalar", "roles:\n  app: w01: x\n", "murder.yaml:2: mapping values are not allowed"},
		{"unknown anchor", "roles:\n  app: *nope\n", "murder.yaml: unknown anchor 'nope' referenced"},
		{"two documents", app + "---\n" + app, "murder.yaml:2: more than one YAML document"},
		{"top level list", "- w01\n", "murder.yaml:1: top level must be a mapping"},
		{"unknown top key", app + "rolez: {}\n", `murder.yaml:2: unknown key "rolez" (did you mean "roles"?)`},
		{"duplicate top key", app + "roles: {web: [w02]}\n", `murder.yaml:2: duplicate key "roles" (first at line 1)`},
		{"no roles", "set: {application: shop}\n", "murder.yaml: no servers: declare at least one role"},
		{"empty roles", "roles: {}\n", "murder.yaml: no servers: declare at least one role"},
		{"roles not a map", "roles: [w01]\n", "murder.yaml:1: roles: expected a mapping, got a list"},
		{"empty role list", "roles:\n  web: [w02]\n  app: []\n", "murder.yaml:3: roles.app: empty role"},
		{"null role", "roles:\n  web: [w02]\n  app:\n", "murder.yaml:3: roles.app: empty role"},
		{"role is a map", "roles:\n  app: {host: w01}\n", "murder.yaml:2: roles.app: expected a list of servers, got a mapping"},
		{"role is a string", "roles:\n  app: w01\n", `murder.yaml:2: roles.app: expected a list of servers, got string "w01"`},
		{"bad role name", "roles:\n  app web: [w01]\n", `murder.yaml:2: roles.app web: role name "app web"`},
		{"server is a list", "roles:\n  app:\n    - [w01]\n", "murder.yaml:3: roles.app[0]: expected a server"},
		{"same host twice", "roles:\n  app:\n    - w01\n    - w02\n    - W01:22\n", "murder.yaml:5: roles.app[2]: W01 already listed in this role at line 3"},
		{"port out of range", "roles:\n  app:\n    - w01\n    - w02:70000\n", "murder.yaml:4: roles.app[1]: port 70000 out of range 1..65535"},
		{"map port out of range", "roles:\n  app:\n    - host: w01\n      port: 0\n", "murder.yaml:4: roles.app[0].port: port 0 out of range 1..65535"},
		{"map port string", "roles:\n  app:\n    - host: w01\n      port: \"22\"\n", `murder.yaml:4: roles.app[0].port: expected an integer, got string "22"`},
		{"hostile host", "roles:\n  app: [\"w01;reboot\"]\n", `murder.yaml:2: roles.app[0]: host name "w01;reboot": character ';' not allowed`},
		{"hostile map host", "roles:\n  app:\n    - host: $(reboot)\n", `murder.yaml:3: roles.app[0].host: host name "$(reboot)"`},
		{"map host with port", "roles:\n  app:\n    - host: w01:22\n", `murder.yaml:3: roles.app[0].host: "w01:22": put the port under port:`},
		{"map host bracketed name", "roles:\n  app:\n    - host: \"[w01]\"\n", `murder.yaml:3: roles.app[0].host: brackets are only for IPv6`},
		{"map host with user", "roles:\n  app:\n    - host: me@w01\n", `murder.yaml:3: roles.app[0].host: "me@w01": put the user under user:`},
		{"bare IPv6", "roles:\n  app: [\"2001:db8::7\"]\n", "murder.yaml:2: roles.app[0]: IPv6 address \"2001:db8::7\" must be written in brackets"},
		{"bad user", "roles:\n  app: [Root@w01]\n", `murder.yaml:2: roles.app[0]: user name "Root" not allowed`},
		{"bad map user", "roles:\n  app:\n    - host: w01\n      user: \"a b\"\n", `murder.yaml:4: roles.app[0].user: user name "a b" not allowed`},
		{"missing host", "roles:\n  app:\n    - port: 22\n", "murder.yaml:3: roles.app[0]: missing host:"},
		{"unknown host key", "roles:\n  app:\n    - host: w01\n      hots: x\n", `murder.yaml:4: roles.app[0]: unknown key "hots" (did you mean "host"?)`},
		{"duplicate host key", "roles:\n  app:\n    - host: w01\n      host: w02\n", `murder.yaml:4: roles.app[0]: duplicate key "host" (first at line 3)`},
		{"bad no_release", "roles:\n  app:\n    - {host: w01, no_release: maybe}\n", `murder.yaml:3: roles.app[0].no_release: expected true or false, got string "maybe"`},
		{"conflicting users", "roles:\n  app: [a@w01]\n  web: [b@w01]\n", `murder.yaml:3: roles.web[0]: user "b" conflicts with user "a" given for w01 at line 2`},
		{"conflicting host vars", "roles:\n  app:\n    - {host: w01, set: {deploy_to: /a}}\n  web:\n    - {host: w01, set: {deploy_to: /b}}\n",
			"murder.yaml:5: roles.web[0].set.deploy_to: conflicts with the value set for w01 at line 3"},
		{"every server no_release", "roles:\n  db: [{host: db1, no_release: true}]\n", "murder.yaml: roles: no peers: every server is marked no_release"},
		{"two trackers", "roles:\n  app: [w01]\n  tracker: [w01, w02]\n", "murder.yaml:3: roles.tracker: exactly one server expected, got 2"},
		{"two seeders", "roles:\n  seeder: [w01, w02]\n", "murder.yaml:2: roles.seeder: exactly one server expected, got 2"},

		{"unknown variable", "set:\n  aplication: shop\n" + app, `murder.yaml:2: set: unknown variable "aplication" (did you mean "application"?)`},
		{"unknown variable far", "set:\n  frobnicate: 1\n" + app, `murder.yaml:2: set: unknown variable "frobnicate" (known: application, deploy_to`},
		{"unknown host variable", "roles:\n  app:\n    - host: w01\n      set:\n        tracker_prot: 1\n", `murder.yaml:5: roles.app[0].set: unknown variable "tracker_prot" (did you mean "tracker_port"?)`},
		{"set not a map", "set: [a]\n" + app, "murder.yaml:1: set: expected a mapping, got a list"},
		{"duplicate variable", "set:\n  branch: a\n  branch: b\n" + app, `murder.yaml:3: set: duplicate key "branch" (first at line 2)`},
		{"int as string", "set:\n  tracker_port: \"8998\"\n" + app, `murder.yaml:2: set.tracker_port: expected an integer, got string "8998"`},
		{"int as float", "set:\n  keep_releases: 2.5\n" + app, "murder.yaml:2: set.keep_releases: expected an integer, got number 2.5"},
		{"string as map", "set:\n  application: {a: b}\n" + app, "murder.yaml:2: set.application: expected a string, got a mapping"},
		{"list as string", "set:\n  copy_exclude: log\n" + app, `murder.yaml:2: set.copy_exclude: expected a list of strings, got string "log"`},
		{"list item map", "set:\n  copy_exclude:\n    - {a: b}\n" + app, "murder.yaml:3: set.copy_exclude[0]: expected a string, got a mapping"},
		{"empty list item", "set:\n  copy_exclude: [\"\"]\n" + app, `murder.yaml:2: set.copy_exclude: item 0: "" must be non-empty`},
		{"tracker port range", "set:\n  tracker_port: 0\n" + app, "murder.yaml:2: set.tracker_port: port 0 out of range 1..65535"},
		{"huge int", "set:\n  tracker_port: 99999999999999999999\n" + app, "murder.yaml:2: set.tracker_port: expected an integer"},
		{"keep_releases", "set:\n  keep_releases: 0\n" + app, "murder.yaml:2: set.keep_releases: must be at least 1, got 0"},
		{"deploy_via", "set:\n  deploy_via: rsync\n" + app, `murder.yaml:2: set.deploy_via: "rsync" not supported (allowed: murder, copy)`},
		{"relative deploy_to", "set:\n  deploy_to: apps/shop\n" + app, `murder.yaml:2: set.deploy_to: "apps/shop" must be an absolute path`},
		{"tilde temp path", "set:\n  default_temp_path: ~/tmp\n" + app, `murder.yaml:2: set.default_temp_path: "~/tmp" must be an absolute path`},
		{"relative murder path", "set:\n  remote_murder_path: murder\n" + app, `murder.yaml:2: set.remote_murder_path: "murder" must be an absolute path`},
		{"root murder path", "set:\n  remote_murder_path: /tmp/..\n" + app, "murder.yaml:2: set.remote_murder_path: \"/tmp/..\" would make distribute_files empty the root directory"},
		{"relative host destination", "roles:\n  app:\n    - host: w01\n      set: {default_destination_path: srv}\n",
			`murder.yaml:4: roles.app[0].set.default_destination_path: "srv" must be an absolute path`},
		{"application slash", "set:\n  application: ../etc\n" + app, `murder.yaml:2: set.application: "../etc" must not contain '/'`},
		{"tag slash", "set:\n  default_tag: a/b\n" + app, "murder.yaml:2: set.default_tag: tag cannot contain a / character"},
		{"branch option", "set:\n  branch: --upload-pack=x\n" + app, `murder.yaml:2: set.branch: "--upload-pack=x" must be non-empty, without spaces, and not start with '-'`},
		{"control characters", "set:\n  default_seeder_files_path: \"a\\nb\"\n" + app, `murder.yaml:2: set.default_seeder_files_path: "a\nb" contains control characters`},

		{"ssh not a map", "ssh: 22\n" + app, "murder.yaml:1: ssh: expected a mapping, got integer 22"},
		{"unknown ssh key", "ssh:\n  prot: 22\n" + app, `murder.yaml:2: ssh: unknown key "prot" (did you mean "port"?)`},
		{"ssh port string", "ssh:\n  port: twenty\n" + app, `murder.yaml:2: ssh.port: expected an integer, got string "twenty"`},
		{"ssh port range", "ssh:\n  port: 65536\n" + app, "murder.yaml:2: ssh.port: port 65536 out of range 1..65535"},
		{"ssh user", "ssh:\n  user: Admin\n" + app, `murder.yaml:2: ssh.user: user name "Admin" not allowed`},
		{"identity files map", "ssh:\n  identity_files: {a: b}\n" + app, "murder.yaml:2: ssh.identity_files: expected a list of strings, got a mapping"},
		{"identity file ~user", "ssh:\n  identity_files: [~bob/key]\n" + app, `murder.yaml:2: ssh.identity_files[0]: "~bob/key": only ~/ is expanded`},
		{"known_hosts empty", "ssh:\n  known_hosts: \"\"\n" + app, "murder.yaml:2: ssh.known_hosts: must not be empty"},
		{"host key checking", "ssh:\n  host_key_checking: maybe\n" + app, `murder.yaml:2: ssh.host_key_checking: "maybe" not supported (allowed: strict, accept-new, off)`},
		{"gateway", "ssh:\n  gateway: \"bastion:0\"\n" + app, "murder.yaml:2: ssh.gateway: port 0 out of range 1..65535"},
		{"gateway map", "ssh:\n  gateway: {host: b}\n" + app, "murder.yaml:2: ssh.gateway: expected a string, got a mapping"},
		{"timeout", "ssh:\n  timeout: soon\n" + app, `murder.yaml:2: ssh.timeout: expected a duration such as 10s or 1m30s, or a whole number of seconds, got string "soon"`},
		{"timeout zero", "ssh:\n  timeout: 0s\n" + app, "murder.yaml:2: ssh.timeout: must be greater than 0"},
		{"keepalive negative", "ssh:\n  keepalive: -5\n" + app, "murder.yaml:2: ssh.keepalive: expected a duration"},
		{"max_hosts", "ssh:\n  max_hosts: 0\n" + app, "murder.yaml:2: ssh.max_hosts: must be at least 1, got 0"},

		{"hooks unknown key", app + "hooks:\n  around: {}\n", `murder.yaml:3: hooks: unknown key "around"`},
		{"hooks not a map", app + "hooks: [a]\n", "murder.yaml:2: hooks: expected a mapping, got a list"},
		{"hook key name", app + "hooks:\n  before:\n    \"murder start\": [a:b]\n", `murder.yaml:4: hooks.before: task name "murder start" must look like namespace:task`},
		{"hook task name", app + "hooks:\n  after:\n    \"a:b\": [\"c::d\"]\n", `murder.yaml:4: hooks.after.a:b[0]: task name "c::d" must look like namespace:task`},
		{"hook task empty", app + "hooks:\n  after:\n    \"a:b\": [\"\"]\n", `murder.yaml:4: hooks.after.a:b[0]: task name ""`},
		{"hook task map", app + "hooks:\n  after:\n    \"a:b\": {c: d}\n", "murder.yaml:4: hooks.after.a:b: expected a list of strings, got a mapping"},
		{"hook self", app + "hooks:\n  after:\n    \"a:b\": [a:b]\n", `murder.yaml:4: hooks.after.a:b[0]: task "a:b" hooked to itself`},
		{"hook twice", app + "hooks:\n  after:\n    \"a:b\": [c:d, c:d]\n", `murder.yaml:4: hooks.after.a:b[1]: task "c:d" listed twice`},

		{"merge of scalar", "roles:\n  app:\n    - {<<: 3, host: w01}\n", "murder.yaml:3: roles.app[0]: merge (<<) expects a mapping, got integer 3"},
		{"non-scalar key", "roles:\n  ? [a]\n  : [w01]\n", "murder.yaml:2: roles: keys must be plain strings, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testEnv(t)
			c, err := Parse(strings.NewReader(tt.src), "murder.yaml")
			if err == nil {
				t.Fatalf("Parse accepted:\n%s\nroles %v", tt.src, c.Roles)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "murder.yaml" {
				t.Errorf("error %v is not a located *Error", err)
			}
		})
	}
}

func TestErrorsAll(t *testing.T) {
	testEnv(t)
	src := "set:\n  tracker_port: 0\nssh:\n  port: x\nroles:\n  app: [\"w01:0\"]\n"
	_, err := Parse(strings.NewReader(src), "m.yaml")
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, line := range []int{2, 4, 6} {
		if es[i].Line != line {
			t.Errorf("error %d at line %d, want %d (sorted by line): %v", i, es[i].Line, line, es[i])
		}
	}
}

func TestUserFromEnvironment(t *testing.T) {
	testEnv(t)
	t.Setenv("USER", "Bad User")
	_, err := Parse(strings.NewReader("roles: {app: [w01]}\n"), "murder.yaml")
	if err == nil || !strings.Contains(err.Error(), `murder.yaml: ssh.user: not set, and the local user cannot be used: user name "Bad User"`) {
		t.Fatalf("err = %v", err)
	}
	// An explicit ssh.user or per-server users make $USER irrelevant.
	if _, err := Parse(strings.NewReader("ssh: {user: ok}\nroles: {app: [w01]}\n"), "murder.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestAliasBomb feeds nested merge keys that would expand to 10^30 keys.
func TestAliasBomb(t *testing.T) {
	testEnv(t)
	var b strings.Builder
	b.WriteString("x-m0: &m0 {host: w01}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "x-m%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
	}
	b.WriteString("roles: {app: [*m30]}\n")
	_, err := Parse(strings.NewReader(b.String()), "murder.yaml")
	if err == nil || !strings.Contains(err.Error(), "document too large after alias expansion") {
		t.Fatalf("alias bomb: %v", err)
	}
}
