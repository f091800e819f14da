package tasks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// step registers a task that runs `echo NAME` on w01.
func step(name string) {
	tasks.Register(name, func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app").Once(), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "echo", name)
		})
	})
}

func TestHooks(t *testing.T) {
	for _, n := range []string{"hk:main", "hk:go_before", "hk:yaml_before", "hk:after", "hk:flow", "hk:point", "hk:fails"} {
		step(n)
	}
	tasks.Before("hk:main", "hk:go_before")
	tasks.After("hk:main", "hk:after")
	tasks.Alias("hk:old_name", "hk:point")
	tasks.After("hk:old_name", "hk:after") // a hook on an alias lands on its task
	tasks.Register("hk:twice", func(ctx context.Context) error {
		return tasks.Invoke(ctx, "hk:point")
	})
	yaml := fleet + `
hooks:
  before:
    "hk:main": ["hk:yaml_before"]
  after:
    "hk:fails": ["hk:after"]
`
	f := taskstest.New(t)
	out, err := f.Run(t, yaml, "hk:main")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []string{"echo hk:go_before", "echo hk:yaml_before", "echo hk:main", "echo hk:after"}
	if got := f.Ops("w01"); !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}

	// Hooks run on every invocation, also of a task invoked by another.
	f = taskstest.New(t)
	if out, err := f.Run(t, yaml, "hk:twice"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := f.Ops("w01"); !slices.Equal(got, []string{"echo hk:point", "echo hk:after"}) {
		t.Errorf("ran %q", got)
	}

	// A failed task stops the run: its after hooks do not run.
	f = taskstest.New(t)
	f.Script("", "echo hk:fails", taskstest.Reply{Code: 1})
	if _, err := f.Run(t, yaml, "hk:fails"); err == nil {
		t.Error("a failed task succeeded")
	}
	if got := f.Ops("w01"); !slices.Equal(got, []string{"echo hk:fails"}) {
		t.Errorf("ran %q", got)
	}
}

// TestPlanRefusesBeforeAnyHost: every problem found before the run
// starts leaves every host alone.
func TestPlanRefusesBeforeAnyHost(t *testing.T) {
	step("plan:a")
	step("plan:b")
	tasks.Define(tasks.Task{Name: "plan:checked", Run: func(context.Context) error { return nil },
		Check: func(ctx context.Context) error {
			if tasks.Arg(ctx, "service") == "" {
				return os.ErrInvalid
			}
			return nil
		}})
	tests := []struct{ name, yaml, task, want string }{
		{"unknown task", fleet, "plan:nope", `unknown task "plan:nope"`},
		{"typo suggested", fleet, "plan:aa", "did you mean plan:a?"},
		{"unknown hooked task", fleet + "hooks:\n  after:\n    \"plan:a\": [\"plan:zzz\"]\n", "plan:a", `hooks: unknown task "plan:zzz" (hooked to plan:a)`},
		{"hook loop", fleet + "hooks:\n  after:\n    \"plan:a\": [\"plan:b\"]\n    \"plan:b\": [\"plan:a\"]\n", "plan:a", "hooks loop"},
		{"check of a hooked task", fleet + "hooks:\n  before:\n    \"plan:a\": [\"plan:checked\"]\n", "plan:a", "plan:checked: invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := taskstest.New(t)
			_, err := f.Run(t, tt.yaml, tt.task)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if f.Dials() != 0 {
				t.Errorf("dialed %d hosts", f.Dials())
			}
		})
	}
}

func TestArgsAndVars(t *testing.T) {
	tasks.DeclareArg("av_service", "shop", "the service")
	tasks.DeclareVar("av_env", "production")
	var got []string
	tasks.Register("av:show", func(ctx context.Context) error {
		got = append(got, tasks.Arg(ctx, "av_service"), tasks.Fetch(ctx, "av_env"))
		inner := tasks.WithVar(tasks.WithArg(ctx, "av_service", "cart"), "av_env", "qa")
		got = append(got, tasks.Arg(inner, "av_service"), tasks.Fetch(inner, "av_env"), tasks.Arg(ctx, "av_service"))
		return tasks.On(ctx, tasks.Roles("web"), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "echo", h.Fetch("av_env"), h.Fetch("tracker_port"))
		})
	})
	yaml := strings.Replace(fleet, "  web: [w03, w04]", "  web: [w03, {host: w04, set: {av_env: canary}}]", 1) + "set: {av_env: staging}\n"
	f := taskstest.New(t)
	if out, err := f.Run(t, yaml, "av:show", "av_service=cart"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := []string{"cart", "staging", "cart", "qa", "cart"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if ops := f.Ops("w04"); !slices.Equal(ops, []string{"echo canary 8998"}) {
		t.Errorf("w04 ran %q", ops)
	}
	if _, err := f.Run(t, yaml, "av:show", "av_servcie=x"); err == nil || !strings.Contains(err.Error(), "did you mean av_service?") {
		t.Errorf("typo: err = %v", err)
	}
	if _, err := (roles.Options{Vars: tasks.DeclaredVars()}).Parse(strings.NewReader(strings.Replace(yaml, "av_env: staging", "av_nope: 1", 1)), "murder.yaml"); err == nil {
		t.Errorf("an undeclared variable was accepted")
	}

	// The environment is the fallback, then the declared default.
	got = nil
	var out taskstest.Buffer
	err := tasks.Run(context.Background(), "av:show", nil, tasks.Options{Stdout: &out, Dialer: taskstest.New(t),
		Getenv: func(k string) string { return map[string]string{"av_service": "env"}[k] }, Config: taskstest.Config(t, fleet, tasks.DeclaredVars())})
	if err != nil || got[0] != "env" || got[1] != "production" {
		t.Errorf("from the environment: %q, %v", got, err)
	}
}

func TestReportFile(t *testing.T) {
	f := taskstest.New(t)
	f.Script("w02", "echo", taskstest.Reply{Code: 2})
	name := register(t, echo(tasks.Roles("app")))
	file := filepath.Join(t.TempDir(), "report.json")
	_, _ = f.Run(t, fleet, name, "report="+file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"task": "` + name + `"`, `"ok": false`, `"host": "w02"`, `"error": "exit status 2"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %s:\n%s", want, b)
		}
	}
}

func TestOutsideARun(t *testing.T) {
	err := tasks.On(context.Background(), tasks.Roles(), func(context.Context, *tasks.Host) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "outside a murder run") {
		t.Errorf("err = %v", err)
	}
}

// TestAside: hosts of work beside the task (Selection.Aside) are not in
// its summary or report, and an empty aside selection says nothing.
func TestAside(t *testing.T) {
	f := taskstest.New(t)
	name := register(t, func(ctx context.Context) error {
		feed := tasks.On(ctx, tasks.Roles("db").Aside(), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "tail", "log")
		})
		none := tasks.On(ctx, tasks.Roles("nonesuch").Aside(), func(context.Context, *tasks.Host) error { return nil })
		return errors.Join(feed, none, tasks.On(ctx, tasks.Roles("web"), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "true")
		}))
	})
	file := filepath.Join(t.TempDir(), "report.json")
	out, err := f.Run(t, fleet, name, "report="+file)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := f.HostsRunning("tail log"); len(got) != 2 {
		t.Errorf("the aside work ran on %q, want both db hosts", got)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"db1"`) || !strings.Contains(string(b), `"w03"`) {
		t.Errorf("report lists the aside hosts or lacks the task's:\n%s", b)
	}
	if !strings.Contains(out, "ok on 2 host(s)") || strings.Contains(out, "nothing to do") {
		t.Errorf("summary counts the aside hosts, or an empty aside selection was news:\n%s", out)
	}
}
