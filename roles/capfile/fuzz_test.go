package capfile

import (
	"bytes"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzConvert checks that no input makes Convert panic or hang, and that
// whatever it accepts, murder's own parser accepts too, with every
// untranslated line located in the input and listed in the header.
func FuzzConvert(f *testing.F) {
	testEnv(f)
	seeds := []string{
		"",
		"role :app, 'w01'\n",
		"role :app, \"w01\", \"w02\"\nrole :db, 'db1', :primary => true\nset :port, 2222\n",
		"server 'h', user: 'deploy', roles: %w{app web}, port: 2222\n",
		"set :ssh_options, {\n keys: %w(~/.ssh/id_rsa),\n forward_agent: false\n}\nrole :app, %w{deploy@w01 w02}\n",
		"namespace :deploy do\n task :restart do\n run \"x\"\n end\n after :a, :b\nend\nrole :app, 'w'\n",
		"desc <<-D\n x\nD\ntask :x do\nend\nrole :a, 'b'\n",
		"set :deploy_to, \"/u/#{application}\"\nset :application, 'x'\n",
		"role :app, '[::1]:22', 'a@b:1', '-x'\nrole :tracker, 'a', 'b'\n",
		"x = %w(a b)\nrole :app, *x\nbefore 'a:b', 'c:d'\nafter 'c:d', 'a:b'\n",
		"\"#{\"#{'#{'}\"}\"\n%w(\n%q{{}}\n=begin\n",
		"role :app, 'w01'; role :app, 'W01'\nrole :db, 'w01', :no_release => true\n",
		"\"#$$", "\"#@@@x\"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	files, _ := filepath.Glob("testdata/*.rb")
	more, _ := filepath.Glob("testdata/*/Capfile")
	for _, p := range append(files, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, lines, err := Convert(strings.NewReader(src), "fuzz.rb")
		if err != nil {
			if out != nil {
				t.Fatalf("output with error %v", err)
			}
			return
		}
		if err := parseLoose(out); err != nil {
			t.Fatalf("roles.Parse refuses the output: %v\n%s", err, out)
		}
		n := strings.Count(src, "\n") + 1
		for _, l := range lines {
			if l.File != "fuzz.rb" || l.N < 1 || l.N > n || l.Why == "" {
				t.Fatalf("badly located untranslated line %+v (input has %d lines)", l, n)
			}
			if !bytes.Contains(out, []byte(commentSafe(l.Why))) {
				t.Fatalf("untranslated line %+v missing from the header:\n%s", l, out)
			}
		}
	})
}

// FuzzProject checks that no Capfile makes ConvertProject panic, and that
// the Go it writes is gofmt-clean and its murder.yaml loads.
func FuzzProject(f *testing.F) {
	testEnv(f)
	for _, p := range []string{"testdata/projects/cap2_forms/Capfile", "testdata/projects/cap3_forms/config/deploy.rb",
		"testdata/projects/cap2_rails/config/deploy.rb", "testdata/sample/laravel_cap3/config/deploy.rb"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data) + "\nrole :app, 'w01'\n")
		}
	}
	dir := f.TempDir() // one per fuzzing process, which runs one input at a time
	f.Fuzz(func(t *testing.T, src string) {
		if err := os.WriteFile(filepath.Join(dir, "Capfile"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := ConvertProject(Project{Dir: dir}, Options{})
		if err != nil {
			return
		}
		if err := parseLoose(res.YAML); err != nil {
			t.Fatalf("roles.Parse refuses the output: %v\n%s", err, res.YAML)
		}
		if res.Go != nil {
			formatted, err := format.Source(res.Go)
			if err != nil || !bytes.Equal(formatted, res.Go) {
				t.Fatalf("generated Go is not gofmt-clean (%v):\n%s", err, res.Go)
			}
		}
	})
}

// TestPathological feeds inputs built to be deep or repetitive: they must
// neither exhaust the stack nor take quadratic time.
func TestPathological(t *testing.T) {
	testEnv(t)
	const n = 100_000
	tests := map[string]string{
		"nested interpolations": strings.Repeat(`"#{`, n) + strings.Repeat(`}"`, n),
		"nested namespaces":     strings.Repeat("namespace :a do\n", n) + strings.Repeat("end\n", n),
		"nested lists":          "set :copy_exclude, " + strings.Repeat("[", n) + strings.Repeat("]", n),
		"blank lines":           "role :app, 'w01'" + strings.Repeat("\n", 20*n),
		"open blocks":           strings.Repeat("task :x do\n", n),
		"many roles":            strings.Repeat("role :app, 'w01', 'w02'\n", n/10),
		"many sets":             strings.Repeat("set :application, 'x'\n", n/100) + "role :app, 'w'\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			Convert(strings.NewReader(src), "deep.rb")
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
