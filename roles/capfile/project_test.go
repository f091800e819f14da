package capfile

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// projectCase converts a project of testdata/projects; the results are
// compared with testdata/golden/NAME.yaml and NAME.go.golden.
type projectCase struct {
	name, dir, stage string
	yaml, goCode     []string // excerpts the results must hold
	noGo             bool     // no Go file expected
}

var projectCases = []projectCase{
	{name: "project_cap3_forms", dir: "cap3_forms", stage: "production",
		yaml: []string{"- host: ${EXTRA_HOST:-f2.example.com}", "primary: true"},
		goCode: []string{`type Cap mg.Namespace`, `type CapFormsCache mg.Namespace`, `tasks.Register("ping", Cap{}.Ping)`,
			`tasks.Register("forms:cache:clear", CapFormsCache{}.Clear)`, `tasks.Before("deploy:starting", "ping")`,
			`tasks.Roles()`, `tasks.Roles("db").Primary()`, `h.As("deploy")`, `h.As("www-data")`,
			`tasks.Roles().Except("no_release").InGroups(3, 2*time.Second)`, `if ok, err := h.Test(ctx, "test", "-e", h.CurrentPath()+"/REVISION")`,
			`} else if !ok {`, `h.Info("checked")`, `h.Download(ctx, h.SharedPath()+"/log/production.log", "tmp/production.log")`,
			`fmt.Println("building")`, `tasks.Local(ctx, "sh", "-c", "make release")`, `tasks.Invoke(ctx, "forms:check")`,
			`errors.New("forms:retry_loop was not translated from`, `h.Fetch("log_dir")`, `tasks.DeclareVar("log_dir", "log")`, `tasks.DeclareVar("greeting", "hello")`, `h.Execute(ctx, "echo", h.Fetch("greeting"))`,
			`tasks.After("deploy:finishing", "deploy:notify")`, `tasks.Register("deploy:full_check", CapDeploy{}.FullCheck)`,
			"if err := tasks.Invoke(ctx, \"deploy:notify\"); err != nil {\n\t\treturn err\n\t}\n\tif err := tasks.Invoke(ctx, \"forms:check\")",
			`tasks.DeclareArg("name", "", "argument of deploy:greet")`, `h.Execute(ctx, "echo", tasks.Arg(ctx, "name"))`}},
	{name: "project_cap2_forms", dir: "cap2_forms",
		yaml: []string{"shared_config: config/app.yml"},
		goCode: []string{`tasks.Register("uptime", Cap{}.Uptime)`, `tasks.On(ctx, tasks.Roles(), func`,
			`h.As("root").Run(ctx, "cp "+h.SharedPath()+"/"+h.Fetch("shared_config")`, `tasks.Roles("app").Except("no_release").Once()`,
			`tasks.Roles("jobs").Only("workers")`, `tasks.Roles("db").Primary()`, `h.Download(ctx, h.SharedPath()+"/db.sql", "backups/db.sql")`,
			`tasks.Invoke(ctx, "legacy:config")`, `var rev string`, `"echo "+rev+" > "`, `tasks.After("deploy:update_code", "legacy:config")`,
			`tasks.Before("deploy:migrate", "legacy:backup")`, `tasks.After("deploy:restart", "after_deploy_restart")`,
			`tasks.Register("after_deploy_restart", Cap{}.AfterDeployRestart)`, `tasks.Roles("web")`}},
	{name: "project_cap3_staging", dir: "cap3_rails", stage: "staging",
		yaml: []string{"deploy_to: ${DEPLOY_TO:-/srv/storefront}", "branch: ${BRANCH:-develop}", "rails_env: staging", "linked_dirs:", "- public/system"},
		goCode: []string{`tasks.Before("deploy:starting", "maintenance:enable")`,
			`tasks.Roles("app").InSequence(5*time.Second)`, `h.With("RAILS_ENV", h.Fetch("rails_env"))`, `h.Within(h.ReleasePath())`,
			`tasks.Roles("db").Primary()`, `InGroups(2, 3*time.Second)`, `h.Test(ctx, "sh", "-c", "[ -f "+h.SharedPath()`,
			`errors.New("maintenance:status was not translated from`}},
	{name: "project_cap3_production", dir: "cap3_rails", stage: "production",
		yaml: []string{"branch: main", "rails_env: production", "- deploy@app2.example.com"}},
	{name: "project_cap2_staging", dir: "cap2_rails",
		yaml: []string{"restart_command: kill -USR2 `cat /u/apps/billing/shared/pids/unicorn.pid`", "rails_env: staging", "deploy:update_code:\n      - deploy:migrate"},
		goCode: []string{`tasks.Roles("app", "web").Except("no_release")`, `tasks.Roles("db").Primary()`, `tasks.Roles().Once()`,
			`tasks.Roles("web").Limit(1)`, `h.As("root").Run(ctx, "service nginx reload")`, `tasks.Local(ctx, "sh", "-c", "git diff --quiet")`,
			`h.Put(ctx, []byte("maintenance")`, `tasks.After("deploy:update_code", "deploy:symlink_shared")`, `tasks.Before("deploy:symlink_shared", "app:check")`}},
	{name: "project_cap2_production", dir: "cap2_rails", stage: "production",
		yaml: []string{"branch: master", "- host: pdb.example.com", "primary: true"}},
}

func TestProjectGolden(t *testing.T) {
	testEnv(t)
	for _, pc := range projectCases {
		t.Run(pc.name, func(t *testing.T) {
			res, err := ConvertProject(Project{Dir: filepath.Join("testdata", "projects", pc.dir), Stage: pc.stage}, Options{})
			if err != nil {
				t.Fatalf("convert: %v\n%s", err, describeLines(res.Untranslated))
			}
			compareGolden(t, pc.name, res.YAML)
			compareGoldenGo(t, pc.name, res.Go)
			for _, s := range pc.yaml {
				if !bytes.Contains(res.YAML, []byte(s)) {
					t.Errorf("murder.yaml lacks %q", s)
				}
			}
			for _, s := range pc.goCode {
				if !bytes.Contains(res.Go, []byte(s)) {
					t.Errorf("Go lacks %q", s)
				}
			}
			if err := parseLoose(res.YAML); err != nil {
				t.Errorf("roles.Parse refuses the output: %v", err)
			}
			checkGo(t, res.Go)
		})
	}
}

// parseLoose parses a generated murder.yaml with roles.Parse, with ${X}
// replaced and without the set: keys that are the project's own variables:
// murder.yaml accepts those once the generated Go declares them
// (tasks.DeclareVar), which a bare roles.Parse does not know.
func parseLoose(text []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return err
	}
	skip := map[string]bool{}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "set" {
			continue
		}
		for j := 0; j+1 < len(m.Content[i+1].Content); j += 2 {
			if _, ok := varKinds[m.Content[i+1].Content[j].Value]; !ok {
				skip[m.Content[i+1].Content[j].Value] = true
			}
		}
	}
	return check(m, skip)
}

// checkGo checks that generated Go is gofmt-clean.
func checkGo(t *testing.T, src []byte) {
	t.Helper()
	if src == nil {
		return
	}
	formatted, err := format.Source(src)
	if err != nil {
		t.Fatalf("generated Go does not parse: %v", err)
	}
	if !bytes.Equal(formatted, src) {
		t.Errorf("generated Go is not gofmt-clean")
	}
}

func compareGoldenGo(t *testing.T, name string, out []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".go.golden")
	if *update {
		if out == nil {
			os.Remove(path)
			return
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	golden, err := os.ReadFile(path)
	if os.IsNotExist(err) && out == nil {
		return
	}
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(out, golden) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", path, diff(string(golden), string(out)))
	}
}

func TestProjectStages(t *testing.T) {
	testEnv(t)
	dir := filepath.Join("testdata", "projects", "cap3_rails")
	res, err := ConvertProject(Project{Dir: dir}, Options{})
	if err == nil || err.Error() != "project has stages: production, staging; give stage=NAME" {
		t.Errorf("no stage: %v", err)
	}
	if res == nil || strings.Join(res.Stages, ",") != "production,staging" || len(res.Untranslated) == 0 {
		t.Errorf("no stage: result %+v, want the stages and the lines found so far", res)
	}
	if _, err := ConvertProject(Project{Dir: dir, Stage: "qa"}, Options{}); err == nil || !strings.Contains(err.Error(), "no stage qa; project has stages: production, staging") {
		t.Errorf("unknown stage: %v", err)
	}
	if _, err := ConvertProject(Project{Dir: t.TempDir()}, Options{}); err == nil || !strings.Contains(err.Error(), "not a Capistrano project") {
		t.Errorf("empty directory: %v", err)
	}
}

// TestGeneratedGoCompiles vets every generated file (the golden projects'
// and the sample's) against this repository's tasks package, each in a
// package of its own inside one module, with one go vet.
func TestGeneratedGoCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testEnv(t)
	srcs := map[string][]byte{}
	for _, pc := range projectCases {
		res, err := ConvertProject(Project{Dir: filepath.Join("testdata", "projects", pc.dir), Stage: pc.stage}, Options{})
		if err == nil && res.Go != nil {
			srcs[pc.name] = res.Go
		}
	}
	dirs, _ := filepath.Glob(filepath.Join("testdata", "sample", "*"))
	for _, dir := range dirs {
		if res, err := convertSample(dir); err == nil && res.Go != nil {
			srcs["sample_"+filepath.Base(dir)] = res.Go
		}
	}
	if len(srcs) < 20 {
		t.Fatalf("only %d generated files to compile", len(srcs))
	}
	buildGenerated(t, root, srcs)
}

func buildGenerated(t *testing.T, root string, srcs map[string][]byte) {
	dir := t.TempDir()
	gomod := "module gen\n\ngo 1.24\n\nrequire github.com/murderfleet/murder v0.0.0\n\nreplace github.com/murderfleet/murder => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum}
	for name, src := range srcs {
		files[filepath.Join(name, "capistrano_tasks.go")] = src
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", "-tags", "mage", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet of the %d generated files: %v\n%s", len(srcs), err, out)
	}
}

// TestProjectMurderTaskNames notes a Ruby task named like one of murder's.
func TestProjectMurderTaskNames(t *testing.T) {
	testEnv(t)
	res, err := ConvertProject(Project{Dir: filepath.Join("testdata", "projects", "cap2_forms")}, Options{Tasks: []string{"deploy:restart", "legacy:config", "deploy:update_code"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range res.Notes {
		found = found || strings.Contains(l.Why, "task legacy:config has the name of one of murder's own tasks")
	}
	if !found {
		t.Errorf("no note on legacy:config: %v", res.Notes)
	}
}
