package capfile

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/murderfleet/murder/roles"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCase converts testdata files; the result is compared with
// testdata/golden/NAME.yaml, parsed with roles.Parse and checked.
type goldenCase struct {
	name   string
	files  []string
	stream bool     // Convert the single file from a reader, instead of ConvertFiles
	lines  []string // every untranslated line, as "file:N" with the file's base name
	check  func(t *testing.T, c *roles.Config)
}

var goldenCases = []goldenCase{
	{
		name:  "cap2_murder",
		files: []string{"testdata/cap2_murder/Capfile"},
		lines: []string{"Capfile:1", "Capfile:2", "Capfile:7", "Capfile:12", "Capfile:26", "Capfile:42", "Capfile:43"},
		check: func(t *testing.T, c *roles.Config) {
			wantRoles(t, c, "app=w01.example.com:22,w02.example.com:22,w03.example.com:22 web=w01.example.com:22,w02.example.com:22 "+
				"db=db1.example.com:22,db2.example.com:22 tracker=w03.example.com:22 seeder=w01.example.com:22 "+
				"peer=w01.example.com:22,w02.example.com:22,w03.example.com:22,db1.example.com:22")
			v := c.Global()
			want(t, "vars", sp(v.Application, v.DeployTo, v.DeployVia, v.RemoteMurderPath, v.DefaultTag, v.DefaultSeederFilesPath,
				v.DefaultDestinationPath, v.DefaultTempPath, v.TrackerPort, v.KeepReleases, v.CopyExclude, v.Branch, v.RestartCommand),
				"shop /u/apps/shop murder /opt/local/murder shop /home/deploy/releases /u/apps/shop/releases /var/tmp 8998 3 [.git spec log/*] master touch /u/apps/shop/current/tmp/restart.txt")
			want(t, "ssh user", c.SSH.User, "deploy")
			want(t, "hooks", sp(c.Hooks.Before, c.Hooks.After),
				"map[murder:start_seeding:[murder:start_tracker]] map[deploy:setup:[murder:distribute_files] murder:stop_seeding:[murder:stop_tracker]]")
		},
	},
	{
		name:  "cap2_multistage",
		files: []string{"testdata/cap2_multistage/Capfile"},
		lines: []string{"Capfile:1", "Capfile:2", "deploy.rb:1", "deploy.rb:2", "deploy.rb:4", "deploy.rb:5", "deploy.rb:9",
			"deploy.rb:16", "deploy.rb:18", "staging.rb:1", "staging.rb:4"},
		check: func(t *testing.T, c *roles.Config) {
			wantRoles(t, c, "app=stage1.example.com:2222,stage2.example.com:2222,stage-jobs.example.com:2222 "+
				"web=stage1.example.com:2222,stage2.example.com:2222 db=stage1.example.com:2222 "+
				"peer=stage1.example.com:2222,stage2.example.com:2222 tracker=stage1.example.com:2222 seeder=stage1.example.com:2222")
			want(t, "gateway", c.SSH.Gateway.User+"@"+c.SSH.Gateway.Addr(), "deployer@bastion.example.com:2222")
			want(t, "ssh", sp(c.SSH.User, c.SSH.MaxHosts, len(c.SSH.IdentityFiles), c.SSH.HostKeyChecking), "deployer 50 2 accept-new")
			v := c.Global()
			want(t, "vars", sp(v.Branch, v.DeployTo, v.RestartCommand), "develop /u/apps/billing sudo /etc/init.d/billing restart")
			want(t, "hooks", sp(c.Hooks.Before, c.Hooks.After), "map[deploy:[deploy:check]] map[deploy:update:[deploy:cleanup]]")
		},
	},
	{
		name:   "cap2_production",
		files:  []string{"testdata/cap2_multistage/config/deploy/production.rb"},
		stream: true,
		lines:  []string{"production.rb:1", "production.rb:6"},
		check: func(t *testing.T, c *roles.Config) {
			wantRoles(t, c, "app=p01.example.com:22,p02.example.com:22,p03.example.com:22 web=p01.example.com:22,p02.example.com:22 db=pdb.example.com:22 "+
				"peer=p01.example.com:22,p02.example.com:22,p03.example.com:22,pdb.example.com:22 tracker=p01.example.com:22 seeder=p01.example.com:22")
		},
	},
	{
		name:   "cap3_deploy",
		files:  []string{"testdata/cap3_deploy.rb"},
		stream: true,
		lines:  []string{"cap3_deploy.rb:1", "cap3_deploy.rb:8", "cap3_deploy.rb:11", "cap3_deploy.rb:17", "cap3_deploy.rb:22"},
		check: func(t *testing.T, c *roles.Config) {
			wantRoles(t, c, "app=api1.example.net:22,api2.example.net:22 web=api1.example.net:22,api2.example.net:22 db=db.example.net:2200 "+
				"peer=api1.example.net:22,api2.example.net:22 tracker=api1.example.net:22 seeder=api1.example.net:22")
			wantUsers(t, c, "deploy")
			v := c.Global()
			want(t, "vars", sp(v.Repository, v.DeployTo, v.RemoteMurderPath, v.KeepReleases), "git@github.com:example/api.git /srv/api /srv/api/shared/murder 10")
			want(t, "hooks", sp(c.Hooks.Before, c.Hooks.After), "map[] map[deploy:finishing:[deploy:cleanup]]")
		},
	},
	{
		name:   "cap3_production",
		files:  []string{"testdata/cap3/config/deploy/production.rb"},
		stream: true,
		lines:  []string{"production.rb:3", "production.rb:15"},
		check: func(t *testing.T, c *roles.Config) {
			wantRoles(t, c, "app=app1.example.com:22,app2.example.com:22,10.0.0.12:2222,worker.example.com:22 db=app1.example.com:22 "+
				"web=app1.example.com:22,app2.example.com:22,app3.example.com:22 peer=app1.example.com:22,app2.example.com:22,10.0.0.12:2222,app3.example.com:22 "+
				"tracker=app1.example.com:22 seeder=app1.example.com:22")
			want(t, "ssh", sp(c.SSH.User, c.SSH.Port, c.SSH.IdentityFiles, c.SSH.HostKeyChecking), "deploy 22 [/home/deploy/.ssh/id_ed25519] accept-new")
		},
	},
	{
		name:  "cap3_layout",
		files: []string{"testdata/cap3/Capfile"},
		lines: []string{"Capfile:2", "Capfile:5", "Capfile:7", "Capfile:8", "Capfile:10", "Capfile:11", "Capfile:12", "Capfile:13", "Capfile:16",
			"deploy.rb:2", "deploy.rb:14", "deploy.rb:15", "deploy.rb:25", "production.rb:3", "production.rb:15"},
		check: func(t *testing.T, c *roles.Config) {
			v := c.Global()
			want(t, "vars", sp(v.Application, v.Repository, v.DeployTo), "blog git@example.com:me/blog.git /var/www/blog")
			want(t, "hooks", sp(c.Hooks.Before, c.Hooks.After),
				"map[deploy:starting:[murder:start_tracker]] map[deploy:finished:[murder:stop_tracker]]")
			want(t, "peers", sp(len(c.Roles[roles.RolePeer])), "4")
		},
	},
	{
		name:   "tricky",
		files:  []string{"testdata/tricky.rb"},
		stream: true,
		lines: []string{"tricky.rb:10", "tricky.rb:15", "tricky.rb:16", "tricky.rb:17", "tricky.rb:19", "tricky.rb:20",
			"tricky.rb:25", "tricky.rb:26", "tricky.rb:28", "tricky.rb:36", "tricky.rb:46", "tricky.rb:50", "tricky.rb:51"},
		check: func(t *testing.T, c *roles.Config) {
			wantRoles(t, c, "web=web1.example.com:2222,web2.example.com:2222 app=web1.example.com:2222,web2.example.com:2222,app-1.example.com:2201 "+
				"search=search.example.com:2222 cache=[2001:db8::7]:2222 "+
				"peer=web1.example.com:2222,web2.example.com:2222,app-1.example.com:2201,search.example.com:2222,[2001:db8::7]:2222 "+
				"tracker=web1.example.com:2222 seeder=web1.example.com:2222")
			v := c.Global()
			want(t, "vars", fmt.Sprintf("%q", []string{v.Application, v.DeployTo, v.Repository, v.DefaultDestinationPath, v.DefaultTag, v.RestartCommand}),
				`["widgets" "/home/deploy/apps/widgets" "git@example.com:team/#{not-interpolated}.git" "/home/deploy/apps/widgets/current" "widgets-widgets" "sudo systemctl restart 'widgets'\t# not a comment"]`)
			want(t, "copy_exclude", fmt.Sprintf("%q", v.CopyExclude), `[".git" "spec data" "*.md"]`)
			want(t, "ssh", sp(c.SSH.User, c.SSH.Port, len(c.SSH.IdentityFiles), c.SSH.KnownHosts), "deploy 2222 2 /etc/ssh/widgets_known_hosts")
		},
	},
}

// testEnv fixes what roles.Parse reads from the environment.
func testEnv(t testing.TB) {
	t.Setenv("USER", "tester")
	t.Setenv("HOME", t.TempDir())
}

func convertCase(t *testing.T, gc goldenCase) ([]byte, []Line, error) {
	t.Helper()
	if gc.stream {
		f, err := os.Open(gc.files[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return Convert(f, filepath.Base(gc.files[0]))
	}
	return Options{}.ConvertFiles(gc.files...)
}

func TestGolden(t *testing.T) {
	testEnv(t)
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			out, lines, err := convertCase(t, gc)
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			compareGolden(t, gc.name, out)
			var got []string
			for _, l := range lines {
				got = append(got, fmt.Sprintf("%s:%d", filepath.Base(l.File), l.N))
				if l.Why == "" || l.Text == "" {
					t.Errorf("line without text or reason: %+v", l)
				}
				if !bytes.Contains(out, []byte(fmt.Sprintf("%s:%d: %s\n", l.File, l.N, l.Text))) {
					t.Errorf("untranslated line %s:%d is not listed in the header", l.File, l.N)
				}
			}
			if !slices.Equal(got, gc.lines) {
				t.Errorf("untranslated lines:\n got %q\nwant %q\n%s", got, gc.lines, describeLines(lines))
			}
			c, err := roles.Parse(bytes.NewReader(out), gc.name)
			if err != nil {
				t.Fatalf("roles.Parse refuses the output: %v", err)
			}
			gc.check(t, c)
		})
	}
}

func describeLines(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.String() + "\n")
	}
	return b.String()
}

func compareGolden(t *testing.T, name string, out []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".yaml")
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(out, golden) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", path, diff(string(golden), string(out)))
	}
}

// diff shows the first differing line.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + a + "\n  got: " + b
		}
	}
	return ""
}

// wantRoles compares every role, in order, as "role=host,host ...".
func wantRoles(t *testing.T, c *roles.Config, spec string) {
	t.Helper()
	var got []string
	for _, r := range c.Order {
		var hs []string
		for _, h := range c.Roles[r] {
			hs = append(hs, h.Addr())
		}
		got = append(got, r+"="+strings.Join(hs, ","))
	}
	want(t, "roles", strings.Join(got, " "), spec)
}

// wantUsers checks every host's user.
func wantUsers(t *testing.T, c *roles.Config, user string) {
	t.Helper()
	for _, h := range c.Hosts() {
		if h.User != user {
			t.Errorf("host %s: user %q, want %q", h, h.User, user)
		}
	}
}

// sp joins values with spaces.
func sp(args ...any) string { return strings.TrimSuffix(fmt.Sprintln(args...), "\n") }

func want(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}
