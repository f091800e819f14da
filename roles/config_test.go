package roles

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testEnv makes $USER and $HOME predictable, since they provide defaults.
func testEnv(t testing.TB) {
	t.Setenv("USER", "tester")
	t.Setenv("HOME", "/home/tester")
}

// parse parses src (a leading newline is dropped so line 1 is the first line).
func parse(t *testing.T, src string) *Config {
	t.Helper()
	testEnv(t)
	c, err := Parse(strings.NewReader(strings.TrimPrefix(src, "\n")), "murder.yaml")
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return c
}

// names gives the display names of hs.
func names(hs []*Host) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.String())
	}
	return out
}

func TestRoleDefaults(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string][]string // role -> display names
	}{
		{"peer from every role, deduplicated", `
roles:
  app: [w01, w02]
  web: [w02, w03, "w01:22"]
  db: [db1]
`, map[string][]string{"peer": {"w01", "w02", "w03", "db1"}, "tracker": {"w01"}, "seeder": {"w01"}}},
		{"same name other port is another host", `
roles:
  app: [w01, "w01:2222"]
`, map[string][]string{"peer": {"w01", "w01:2222"}}},
		{"host names compare case-insensitively, IPv6 canonically", `
roles:
  app: [W01.example.com, "[2001:db8:0::7]"]
  web: [w01.EXAMPLE.com, "[2001:DB8::7]:22"]
`, map[string][]string{"peer": {"W01.example.com", "2001:db8:0::7"}}},
		{"no_release excluded", `
roles:
  db: [{host: db1, no_release: true}]
  app: [w01]
`, map[string][]string{"peer": {"w01"}, "tracker": {"w01"}, "seeder": {"w01"}}},
		{"no_release in one role only still a peer, at its released position", `
roles:
  db: [{host: w02, no_release: yes}]
  app: [w01, w02]
`, map[string][]string{"peer": {"w01", "w02"}}},
		{"explicit peer respected, no_release ignored there", `
roles:
  app: [w01, w02]
  peer: [w02, {host: db1, no_release: true}]
`, map[string][]string{"peer": {"w02", "db1"}, "tracker": {"w02"}, "seeder": {"w02"}}},
		{"explicit tracker and seeder respected and part of derived peer", `
roles:
  tracker: [t1]
  app: [w01]
  seeder: [s1]
`, map[string][]string{"peer": {"t1", "w01", "s1"}, "tracker": {"t1"}, "seeder": {"s1"}}},
		{"tracker no_release kept out of peer", `
roles:
  tracker: [{host: t1, no_release: true}]
  app: [w01, w02]
`, map[string][]string{"peer": {"w01", "w02"}, "tracker": {"t1"}, "seeder": {"w01"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parse(t, tt.src)
			for role, want := range tt.want {
				if got := names(c.Roles[role]); !slices.Equal(got, want) {
					t.Errorf("role %s = %v, want %v", role, got, want)
				}
			}
			checkInvariants(t, c)
		})
	}
}

func TestSharedHosts(t *testing.T) {
	c := parse(t, `
ssh: {port: 2222}
roles:
  app: [deploy@w01, w02]
  web: ["w01:2222", "w02:22"]
  db: [{host: db1, no_release: true}, {host: w02, no_release: true}]
`)
	if got := names(c.Hosts()); !slices.Equal(got, []string{"w01", "w02", "w02:22", "db1"}) {
		t.Fatalf("hosts = %v", got)
	}
	w01 := c.Roles["app"][0]
	if c.Roles["web"][0] != w01 || c.Roles["peer"][0] != w01 || c.Tracker() != w01 || c.Seeder() != w01 {
		t.Errorf("w01 is not one shared *Host")
	}
	if want := []string{"app", "web", "peer", "tracker", "seeder"}; !slices.Equal(w01.Roles, want) {
		t.Errorf("w01.Roles = %v, want %v", w01.Roles, want)
	}
	if w01.User != "deploy" || w01.Port != 2222 || w01.Addr() != "w01:2222" {
		t.Errorf("w01 = %+v", w01)
	}
	if w02 := c.Roles["app"][1]; w02.User != "tester" || w02.NoRelease {
		t.Errorf("w02 = %+v: want default user, released (app declares it without no_release)", w02)
	}
	if db1 := c.Roles["db"][0]; !db1.NoRelease || slices.Contains(db1.Roles, "peer") {
		t.Errorf("db1 = %+v: want no_release, not a peer", db1)
	}
	if want := []string{"app", "web", "db", "peer", "tracker", "seeder"}; !slices.Equal(c.Order, want) {
		t.Errorf("Order = %v, want %v", c.Order, want)
	}
}

func TestSelect(t *testing.T) {
	c := parse(t, `
roles:
  app: [w01, deploy@w02, "w03:2222"]
  web: [w02, w04]
  db: ["[::1]", {host: "[::2]"}, {host: "::3", port: 2200}]
`)
	tests := []struct {
		name string
		got  []*Host
		want []string
	}{
		{"all", c.Hosts(), []string{"w01", "w02", "w03:2222", "w04", "::1", "::2", "[::3]:2200"}},
		{"union in order", c.Hosts("web", "app"), []string{"w02", "w04", "w01", "w03:2222"}},
		{"unknown role", c.Hosts("nope"), nil},
		{"in role", Select(c.Hosts(), InRole("web")), []string{"w02", "w04"}},
		{"named", Select(c.Hosts(), Named("W04", "w01")), []string{"w01", "w04"}},
		{"named port", Select(c.Hosts(), Named("w03:2222", "w01:2222")), []string{"w03:2222"}},
		{"named user", Select(c.Hosts(), Named("deploy@w02", "deploy@w01")), []string{"w02"}},
		{"named ipv6", Select(c.Hosts(), Named("[0::1]:22")), []string{"::1"}},
		{"named garbage", Select(c.Hosts(), Named("w01;x", "")), nil},
		{"combined", Select(c.Hosts("app"), InRole("web"), Not(Named("w04"))), []string{"w02"}},
	}
	for _, tt := range tests {
		if got := names(tt.got); !slices.Equal(got, append([]string{}, tt.want...)) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVars(t *testing.T) {
	c := parse(t, `
set:
  application: shop
  copy_exclude: [log]
roles:
  app:
    - w01
    - {host: w02, set: {deploy_to: /srv/shop}}
    - {host: w03, set: {application: cart, tracker_port: 9000}}
    - {host: w04, set: {remote_murder_path: /opt/murder/, deploy_to: /srv/x}}
`)
	global := c.Global()
	want := Vars{Application: "shop", DeployTo: "/u/apps/shop", RemoteMurderPath: "/u/apps/shop/shared/murder",
		DefaultTempPath: "/tmp", TrackerPort: 8998, Branch: "HEAD", CopyExclude: []string{"log"}, KeepReleases: 5, DeployVia: "murder"}
	if !reflect.DeepEqual(global, want) {
		t.Errorf("Global() =\n%+v\nwant\n%+v", global, want)
	}
	if v := c.Vars(nil); !reflect.DeepEqual(v, global) {
		t.Errorf("Vars(nil) = %+v, want Global", v)
	}
	hs := c.Roles["app"]
	tests := []struct {
		host                      int
		app, deployTo, murderPath string
		port                      int
	}{
		{0, "shop", "/u/apps/shop", "/u/apps/shop/shared/murder", 8998},
		{1, "shop", "/srv/shop", "/srv/shop/shared/murder", 8998},
		{2, "cart", "/u/apps/cart", "/u/apps/cart/shared/murder", 9000},
		{3, "shop", "/srv/x", "/opt/murder", 8998},
	}
	for _, tt := range tests {
		v := c.Vars(hs[tt.host])
		if v.Application != tt.app || v.DeployTo != tt.deployTo || v.RemoteMurderPath != tt.murderPath || v.TrackerPort != tt.port {
			t.Errorf("Vars(%s) = %+v", hs[tt.host], v)
		}
	}
	c.Vars(hs[0]).CopyExclude[0] = "changed"
	if c.Global().CopyExclude[0] != "log" {
		t.Error("Vars result aliases the configuration")
	}
}

func TestVarsDefaults(t *testing.T) {
	c := parse(t, "roles: {app: [w01]}\n")
	want := Vars{DeployTo: "/u/apps", RemoteMurderPath: "/u/apps/shared/murder", DefaultTempPath: "/tmp",
		TrackerPort: 8998, Branch: "HEAD", CopyExclude: []string{}, KeepReleases: 5, DeployVia: "murder"}
	if got := c.Global(); !reflect.DeepEqual(got, want) {
		t.Errorf("Global() =\n%+v\nwant\n%+v", got, want)
	}
	if len(VarNames()) != reflect.TypeFor[Vars]().NumField() {
		t.Errorf("VarNames() = %v", VarNames())
	}
}

func TestSSH(t *testing.T) {
	c := parse(t, "roles: {app: [w01]}\n")
	want := SSH{User: "tester", Port: 22, IdentityFiles: []string{}, KnownHosts: "/home/tester/.ssh/known_hosts",
		HostKeyChecking: HostKeyStrict, Timeout: 10 * time.Second, Keepalive: 15 * time.Second, MaxHosts: 100}
	if !reflect.DeepEqual(c.SSH, want) {
		t.Errorf("default SSH =\n%+v\nwant\n%+v", c.SSH, want)
	}
	c = parse(t, `
ssh:
  user: ops
  port: 2200
  identity_files: [~/.ssh/id_ed25519, /keys/deploy]
  known_hosts: ~/kh
  host_key_checking: accept-new
  gateway: jump@bastion
  timeout: 30
  keepalive: 0
  max_hosts: 7
roles: {app: [w01]}
`)
	want = SSH{User: "ops", Port: 2200, IdentityFiles: []string{"/home/tester/.ssh/id_ed25519", "/keys/deploy"},
		KnownHosts: "/home/tester/kh", HostKeyChecking: HostKeyAcceptNew, Timeout: 30 * time.Second, MaxHosts: 7}
	gw := c.SSH.Gateway
	c.SSH.Gateway = nil
	if !reflect.DeepEqual(c.SSH, want) {
		t.Errorf("SSH =\n%+v\nwant\n%+v", c.SSH, want)
	}
	if gw == nil || gw.User != "jump" || gw.Addr() != "bastion:2200" || gw.String() != "bastion" {
		t.Errorf("gateway = %+v", gw)
	}
	if h := c.Hosts()[0]; h.User != "ops" || h.Port != 2200 || h.String() != "w01" {
		t.Errorf("host defaults from ssh: %+v", h)
	}
}

func TestHooks(t *testing.T) {
	c := parse(t, `
roles: {app: [w01]}
hooks:
  before: {"murder:start_seeding": ["murder:start_tracker"], deploy: "deploy:check"}
  after:
    "murder:stop_seeding": [murder:stop_tracker, "ops:notify_2"]
`)
	want := Hooks{
		Before: map[string][]string{"murder:start_seeding": {"murder:start_tracker"}, "deploy": {"deploy:check"}},
		After:  map[string][]string{"murder:stop_seeding": {"murder:stop_tracker", "ops:notify_2"}},
	}
	if !reflect.DeepEqual(c.Hooks, want) {
		t.Errorf("Hooks = %+v, want %+v", c.Hooks, want)
	}
	if c = parse(t, "roles: {app: [w01]}\n"); c.Hooks.Before == nil || c.Hooks.After == nil {
		t.Errorf("Hooks maps should be non-nil: %+v", c.Hooks)
	}
}

// Anchors and merge keys are plain YAML and must work, e.g. for shared host settings.
func TestAnchorsAndMerge(t *testing.T) {
	c := parse(t, `
x-defaults: &d {user: deploy, port: 2222, set: {deploy_to: /srv/a}}
roles:
  app: &app
    - {<<: *d, host: w01}
    - {<<: [*d, {no_release: true}], host: w02, port: 22}
  web: *app
`)
	if got := names(c.Hosts()); !slices.Equal(got, []string{"w01:2222", "w02"}) {
		t.Fatalf("hosts = %v", got)
	}
	for _, h := range c.Hosts() {
		if h.User != "deploy" || c.Vars(h).DeployTo != "/srv/a" || !slices.Equal(h.Roles[:2], []string{"app", "web"}) {
			t.Errorf("host %s = %+v, vars %+v", h, h, c.Vars(h))
		}
	}
	if !c.Hosts()[1].NoRelease || names(c.Roles["peer"])[0] != "w01:2222" || len(c.Roles["peer"]) != 1 {
		t.Errorf("merged no_release not applied: peer %v", names(c.Roles["peer"]))
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	other := filepath.Join(dir, "other.yaml")
	for _, f := range []string{other, DefaultFile} {
		if err := os.WriteFile(f, []byte("roles: {app: [w01]}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, explicit, env string
		want, errMatch      string
	}{
		{name: "default", want: DefaultFile},
		{name: "env", env: other, want: other},
		{name: "explicit beats env", explicit: other, env: "missing.yaml", want: other},
		{name: "explicit missing", explicit: "missing.yaml", errMatch: "configuration missing.yaml (given explicitly) does not exist"},
		{name: "env missing", env: "gone.yaml", errMatch: "configuration gone.yaml (from $MURDER_CONFIG) does not exist"},
		{name: "directory", explicit: dir, errMatch: "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvConfig, tt.env)
			got, err := Find(tt.explicit)
			if tt.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMatch) {
					t.Fatalf("Find(%q) = %q, %v; want error containing %q", tt.explicit, got, err, tt.errMatch)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Find(%q) = %q, %v; want %q", tt.explicit, got, err, tt.want)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		t.Setenv(EnvConfig, "")
		t.Chdir(t.TempDir())
		_, err := Find("")
		if err == nil || !strings.Contains(err.Error(), "looked for murder.yaml in /") || !strings.Contains(err.Error(), "$MURDER_CONFIG") {
			t.Fatalf("Find with nothing = %v", err)
		}
	})
}

func TestLoad(t *testing.T) {
	testEnv(t)
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

// checkInvariants holds for every accepted configuration.
func checkInvariants(t testing.TB, c *Config) {
	t.Helper()
	if len(c.Order) != len(c.Roles) {
		t.Fatalf("Order %v does not match Roles %v", c.Order, c.Roles)
	}
	for _, r := range []string{RolePeer, RoleTracker, RoleSeeder} {
		if len(c.Roles[r]) == 0 {
			t.Fatalf("role %s missing", r)
		}
	}
	if len(c.Roles[RoleTracker]) != 1 || len(c.Roles[RoleSeeder]) != 1 {
		t.Fatalf("tracker %v, seeder %v: want one each", c.Roles[RoleTracker], c.Roles[RoleSeeder])
	}
	for _, r := range c.Order {
		hs := c.Roles[r]
		if len(hs) == 0 {
			t.Fatalf("role %s empty", r)
		}
		seen := map[string]bool{}
		for _, h := range hs {
			if seen[h.key] || !slices.Contains(h.Roles, r) || checkHostName(h.Name) != nil || checkPort(h.Port) != nil || checkUser(h.User) != nil {
				t.Fatalf("role %s: bad host %+v", r, h)
			}
			seen[h.key] = true
		}
	}
	for _, h := range append(c.Hosts(), nil) {
		v := c.Vars(h)
		for _, p := range []string{v.DeployTo, v.RemoteMurderPath, v.DefaultTempPath} {
			if !strings.HasPrefix(p, "/") {
				t.Fatalf("host %v: relative remote path %q in %+v", h, p, v)
			}
		}
		if v.RemoteMurderPath == "/" || checkPort(v.TrackerPort) != nil || v.KeepReleases < 1 {
			t.Fatalf("host %v: bad vars %+v", h, v)
		}
	}
}

func TestDeclaredVarsAndProperties(t *testing.T) {
	src := `
set: {rails_env: staging}
roles:
  app:
    - w01
    - {host: w02, set: {rails_env: canary}, properties: {rack: r2}}
  db:
    - db1
    - {host: db2, primary: true}
`
	if _, err := Parse(strings.NewReader(src), "murder.yaml"); err == nil || !strings.Contains(err.Error(), `unknown variable "rails_env"`) {
		t.Fatalf("undeclared variable: err = %v", err)
	}
	c, err := Options{Vars: map[string]string{"rails_env": "production", "region": "eu"}}.Parse(strings.NewReader(src), "murder.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w01, w02 := c.Roles["app"][0], c.Roles["app"][1]
	for _, tt := range []struct {
		h          *Host
		name, want string
	}{
		{nil, "rails_env", "staging"}, {w01, "rails_env", "staging"}, {w02, "rails_env", "canary"},
		{w01, "region", "eu"}, {w01, "tracker_port", "8998"}, {w01, "deploy_to", "/u/apps"},
	} {
		if got, ok := c.Var(tt.h, tt.name); !ok || got != tt.want {
			t.Errorf("Var(%v, %s) = %q, %v; want %q", tt.h, tt.name, got, ok, tt.want)
		}
	}
	if _, ok := c.Var(w01, "nope"); ok {
		t.Error("Var of an unknown name is ok")
	}
	if got := c.Primary("db").Name; got != "db2" {
		t.Errorf("Primary(db) = %s, want db2", got)
	}
	if got := c.Primary("app").Name; got != "w01" {
		t.Errorf("Primary(app) = %s, want the first server", got)
	}
	if w02.Properties["rack"] != "r2" || w01.Properties != nil {
		t.Errorf("properties: w01 %v, w02 %v", w01.Properties, w02.Properties)
	}
}
