package capfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/murderfleet/murder/roles"
)

// murderTasks are the task names murder's own set has (tasks.All), for Options.Tasks.
var murderTasks = []string{"murder:distribute_files", "murder:start_tracker", "murder:stop_tracker", "murder:start_seeding",
	"murder:stop_seeding", "murder:peer", "deploy:default", "deploy:setup", "deploy:cleanup"}

func TestConvert(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name  string
		opts  Options
		src   string
		yaml  []string // fragments of the output
		notes []string // "N: fragment of Why", in order
	}{
		{
			name: "roles and no_release",
			src:  "role :app, \"w01\", \"w02\"\nrole :db, 'db1', :no_release => true\nserver \"w03\", :app, :no_release => true\n",
			yaml: []string{"app:\n    - w01 # in:1\n    - w02 # in:1\n    - host: w03 # in:3\n      no_release: true\n", "db:\n    - host: db1 # in:2\n      no_release: true"},
		},
		{
			name:  "dedupe and conflicts",
			src:   "set :port, 2222\nrole :app, 'a@w01', 'W01.:2222', 'w02'\nrole :web, 'b@w01'\nrole :tracker, 'w01', 'w02'\nrole :app, \"w02\", :no_release => true\n",
			yaml:  []string{"app:\n    - a@w01 # in:2\n    - w02 # in:2\n  web:\n    - w01 # in:3\n  tracker:\n    - w01 # in:4\n"},
			notes: []string{"3: user b conflicts with user a given for w01 at in:2", "4: Murder runs one tracker", "5: w02 is already in role app (in:2) with no_release false: ignored"},
		},
		{
			name:  "ssh options",
			src:   "role :app, 'w01'\nssh_options[:port] = 2222\nssh_options[:keys] = %w(~/.ssh/id_rsa)\nssh_options[:forward_agent] = true\nset :gateway, 'bastion.example.com'\nset :max_hosts, 100\nssh_options[:compression] = 'none'\nset :gateway, { 'gw' => %w(w01) }\n",
			yaml:  []string{"ssh:\n  port: 2222 # in:2\n  identity_files: # in:3\n    - ~/.ssh/id_rsa\n  gateway: bastion.example.com # in:5\n  max_hosts: 100 # in:6\n"},
			notes: []string{"4: forward_agent: murder does not forward the SSH agent", "7: ssh option :compression (\"none\"): murder has no such setting", "8: several gateways"},
		},
		{
			name:  "cap3 ssh_options over lines",
			src:   "server 'w01', roles: :app\nset :ssh_options, {\n  keys: ['/k'],\n  forward_agent: true,\n  user: 'deploy',\n  paranoid: false\n}\n",
			yaml:  []string{"ssh:\n  identity_files: # in:3\n    - /k\n  user: deploy # in:5\n"},
			notes: []string{"4: forward_agent", "6: paranoid false: murder checks host keys"},
		},
		{
			name: "a later ssh_options replaces the earlier one",
			src:  "role :app, 'w01'\nset :ssh_options, { keys: ['/a'], port: 2 }\nset :user, 'u'\nset :ssh_options, { user: 'x' }\n",
			yaml: []string{"w01 # in:1\nssh:\n  user: x # in:4\n"},
		},
		{
			name:  "deploy_via and variables",
			src:   "role :app, 'w01'\nset :deploy_via, :copy\nset :deploy_via, :remote_cache\nset :deploy_to, 'relative/path'\nset :keep_releases, '3'\nset :bogus, 1\nset :use_sudo, true\n",
			yaml:  []string{"set:\n  deploy_via: copy # in:2\n"},
			notes: []string{"3: deploy_via :remote_cache", "4: deploy_to: \"relative/path\" must be an absolute path", "5: keep_releases: murder expects an integer, got \"3\"", "6: murder has no variable :bogus", "7: murder does not run its commands with sudo"},
		},
		{
			name:  "interpolation order",
			src:   "set :deploy_to, \"/u/apps/#{application}\"\nset :application, 'shop'\nset :remote_murder_path, \"#{deploy_to}/murder\"\nrole :app, 'w01'\n",
			yaml:  []string{"set:\n  application: shop # in:2\n"},
			notes: []string{"1: value of :deploy_to not understood: interpolates #{application}: application is not set before this line", "3: deploy_to was not translated"},
		},
		{
			name:  "hooks",
			opts:  Options{Tasks: murderTasks},
			src:   "role :app, 'w01'\nbefore 'murder:start_seeding', 'murder:start_tracker'\nbefore 'murder:start_seeding', 'murder:start_tracker'\nbefore :deploy, 'deploy:setup', :'murder:peer'\nafter 'deploy:starting', 'murder:peer'\nafter 'deploy:setup', 'custom:thing'\nafter 'murder:peer', 'murder:peer'\nbefore 'a b', 'murder:peer'\n",
			yaml:  []string{"hooks:\n  before:\n    murder:start_seeding:\n      - murder:start_tracker # in:2\n    deploy:\n      - deploy:setup # in:4\n      - murder:peer # in:4\n"},
			notes: []string{"3: murder:start_tracker already runs before murder:start_seeding (in:2)", "5: murder has no task deploy:starting", "6: murder has no task custom:thing to run after deploy:setup", "7: task murder:peer hooked to itself", "8: murder has no task a b"},
		},
		{
			name:  "hook names checked without a task list",
			src:   "role :app, 'w01'\nbefore 'a b', 'c'\n",
			notes: []string{"2: task name \"a b\" must look like namespace:task"},
		},
		{
			name:  "loads are listed",
			src:   "load 'config/deploy'\nrequire './lib/x'\nrequire 'capistrano/setup'\nrequire 'json'\nrole :app, 'w01'\n",
			notes: []string{"1: load/require not followed: convert that file too", "2: load/require not followed", "3: Capistrano plugin (stages)", "4: Ruby library"},
		},
		{
			name:  "blocks keep their line ranges",
			src:   "namespace :deploy do\n  task :migrate do\n    run 'x'\n  end\n  after :publishing, :restart\nend\nrole :app, 'w01'\nrole :web do\n  'x'\nend\n",
			yaml:  []string{"after :publishing, :restart\n", "murder's deploy already runs deploy:restart after deploy:publishing"},
			notes: []string{"2: lines 2-4: task deploy:migrate", "8: lines 8-10: role with a Ruby block"},
		},
		{
			name:  "locals",
			src:   "hosts = %w(w01 w02)\nbad = `hostname`.split(',')\nrole :app, *hosts\nrole :web, *bad\n",
			yaml:  []string{"app:\n    - w01 # in:3\n    - w02 # in:3\n"},
			notes: []string{"2: value not understood: Ruby expression", "4: server not understood: bad was not translated (Ruby expression"},
		},
		{
			name: "byte order mark and CRLF",
			src:  "\ufeffset :application, 'x'\r\nrole :app, 'w01'\r\n",
			yaml: []string{"application: x # in:1\n", "- w01 # in:2\n"},
		},
		{
			name: "yaml quoting",
			src:  "set :application, 'yes'\nset :branch, '1.10'\nset :default_tag, 'null'\nset :repository, \"#x: y\"\nrole :app, 'w01'\n",
			yaml: []string{"application: \"yes\"", "branch: \"1.10\"", "default_tag: \"null\"", "repository: '#x: y'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, lines, err := tt.opts.Convert(strings.NewReader(tt.src), "in")
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			for _, f := range tt.yaml {
				if !strings.Contains(string(out), f) {
					t.Errorf("output lacks %q:\n%s", f, out)
				}
			}
			if len(lines) != len(tt.notes) {
				t.Errorf("%d untranslated lines, want %d:\n%s", len(lines), len(tt.notes), describeLines(lines))
			}
			for i, n := range tt.notes {
				if i >= len(lines) {
					break
				}
				num, why, _ := strings.Cut(n, ": ")
				if got := lines[i]; itoa(got.N) != num || !strings.Contains(got.Why, why) {
					t.Errorf("untranslated line %d: got %s, want %s: ...%s...", i, got, num, why)
				}
			}
			if _, err := roles.Parse(bytes.NewReader(out), "out"); err != nil {
				t.Errorf("roles.Parse: %v\n%s", err, out)
			}
		})
	}
}

func itoa(n int) string { return strings.TrimSpace(sp(n)) }

func TestConvertErrors(t *testing.T) {
	testEnv(t)
	tests := []struct{ name, src, err string }{
		{"empty", "", "in: no servers found"},
		{"only comments", "# role :app, 'w01'\n\n", "in: no servers found"},
		{"only untranslated servers", "role :app, `hostname`\n", "in: no servers found"},
		{"every server no_release", "role :db, 'db1', :no_release => true\n", "in: the translation is not a valid murder.yaml: murder.yaml: roles: no peers"},
		{"not UTF-8", "role :app, 'w\xff01'\n", "in: not UTF-8 text"},
		{"too large", strings.Repeat("#", maxFileSize+1), "in: larger than 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := Convert(strings.NewReader(tt.src), "in")
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %s...", err, tt.err)
			}
			if out != nil {
				t.Errorf("output returned with an error")
			}
		})
	}
}

// writeTree creates files under a temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestConvertFiles(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		yaml  []string
		notes []string // "base:N: fragment of Why"
		err   string
	}{
		{
			name:  "load cycle and missing file",
			files: map[string]string{"Capfile": "load 'a'\nload 'missing'\n", "a.rb": "role :app, 'w01'\nload 'Capfile'\n"},
			args:  []string{"Capfile"},
			yaml:  []string{"- w01 # "},
			notes: []string{"Capfile:2: file not found", "a.rb:2: a cycle"},
		},
		{
			name:  "require_relative from a subdirectory",
			files: map[string]string{"Capfile": "load 'config/deploy.rb'\n", "config/deploy.rb": "require_relative 'servers'\nrequire_relative 'servers'\n", "config/servers.rb": "role :app, 'w01'\n"},
			args:  []string{"Capfile"},
			yaml:  []string{"- w01 # "},
		},
		{
			name: "several stages",
			files: map[string]string{"Capfile": "require 'capistrano/setup'\n", "config/deploy.rb": "set :application, 'x'\n",
				"config/deploy/production.rb": "server 'p1', roles: %w{app}\n", "config/deploy/staging.rb": "server 's1', roles: %w{app}\n"},
			args:  []string{"Capfile"},
			notes: []string{"Capfile:1: several stages (production, staging)"},
			err:   "no servers found",
		},
		{
			name: "stage given",
			files: map[string]string{"Capfile": "require 'capistrano/setup'\n", "config/deploy.rb": "set :application, 'x'\n",
				"config/deploy/production.rb": "server 'p1', roles: %w{app}\nset :b, \"#{fetch(:stage)}\"\n", "config/deploy/staging.rb": "server 's1', roles: %w{app}\n"},
			args:  []string{"Capfile", "config/deploy/staging.rb"},
			yaml:  []string{"- s1 # ", "deploy_to: /var/www/x"},
			notes: []string{"Capfile:1: stage staging converted"},
		},
		{
			name:  "stage variable",
			files: map[string]string{"Capfile": "require 'capistrano/setup'\n", "config/deploy/production.rb": "server 'p1', roles: %w{app}\nset :default_tag, \"#{fetch(:stage)}\"\n"},
			args:  []string{"Capfile"},
			yaml:  []string{"default_tag: production"},
			notes: []string{"Capfile:1: stage production converted"},
		},
		{
			name:  "missing file",
			files: map[string]string{},
			args:  []string{"Capfile"},
			err:   "convert: open",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			var paths []string
			for _, a := range tt.args {
				paths = append(paths, filepath.Join(dir, a))
			}
			out, lines, err := Options{}.ConvertFiles(paths...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ...%s...", err, tt.err)
				}
			} else if err != nil {
				t.Fatalf("convert: %v", err)
			}
			for _, f := range tt.yaml {
				if !strings.Contains(string(out), f) {
					t.Errorf("output lacks %q:\n%s", f, out)
				}
			}
			if len(lines) != len(tt.notes) {
				t.Fatalf("%d untranslated lines, want %d:\n%s", len(lines), len(tt.notes), describeLines(lines))
			}
			for i, n := range tt.notes {
				where, why, _ := strings.Cut(n, ": ")
				got := lines[i]
				if filepath.Base(got.File)+":"+itoa(got.N) != where || !strings.Contains(got.Why, why) {
					t.Errorf("untranslated line %d: got %s, want %s: ...%s...", i, got, where, why)
				}
			}
		})
	}
}

func TestConvertFilesNone(t *testing.T) {
	if _, _, err := (Options{}).ConvertFiles(); err == nil {
		t.Fatal("no error without files")
	}
}
