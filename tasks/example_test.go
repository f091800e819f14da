package tasks_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// exampleYAML is the fleet of the examples.
const exampleYAML = `
set: { deploy_to: /srv/shop }
roles:
  app: [app1, app2, app3]
  db:
    - db1
    - { host: db2, primary: true }
ssh: { user: deploy }
`

// example runs task on a fake fleet (scripted by script) and prints what
// the operator sees, without the summary's timing.
func example(task string, script func(f *taskstest.Fleet), words ...string) {
	f := &taskstest.Fleet{Root: os.TempDir()}
	if script != nil {
		script(f)
	}
	cfg, err := exampleConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	var out strings.Builder
	err = tasks.Run(context.Background(), task, words, tasks.Options{
		Stdout: &out, Dialer: f, Config: cfg, Getenv: func(string) string { return "" },
		Now: func() time.Time { return time.Unix(0, 0) },
	})
	fmt.Print(out.String())
	if err != nil {
		fmt.Println("error:", err)
	}
}

func ExampleOn() {
	tasks.Register("example:uptime", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app"), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "uptime")
		})
	})
	example("example:uptime", func(f *taskstest.Fleet) {
		f.Script("", "uptime", taskstest.Reply{Stdout: "up 3 days\n"})
		f.Script("app2", "uptime", taskstest.Reply{Stderr: "uptime: not found\n", Code: 127})
	})
	// Unordered output:
	//   * executing `example:uptime'
	//  ** [out :: app1] up 3 days
	//  ** [err :: app2] uptime: not found
	//  ** [out :: app3] up 3 days
	//  ** 1 of 3 host(s) FAILED:
	//  **   app2: example:uptime: uptime: not found (exit status 127)
	//  ** example:uptime FAILED on 3 host(s) in 0.0s
	// error: host app2: example:uptime: uptime: not found (exit status 127)
}

func ExampleSelection_InGroups() {
	tasks.Register("example:rolling", func(ctx context.Context) error {
		// Two hosts at a time (waiting 0 s between groups); a failure
		// stops the groups after it.
		return tasks.On(ctx, tasks.Roles("app").InGroups(2, 0), func(ctx context.Context, h *tasks.Host) error {
			return h.Run(ctx, "sudo systemctl restart shop")
		})
	})
	example("example:rolling", func(f *taskstest.Fleet) {
		f.Script("app1", "restart", taskstest.Reply{Code: 1})
	})
	// Unordered output:
	//   * executing `example:rolling'
	//  ** 1 of 2 host(s) FAILED:
	//  **   app1: example:rolling: exit status 1
	//  ** example:rolling FAILED on 2 host(s) in 0.0s
	// error: host app1: example:rolling: exit status 1
	// 1 host(s) not started because an earlier group failed: app3
}

func ExampleSelection_Primary() {
	tasks.Register("example:primary", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("db").Primary(), func(ctx context.Context, h *tasks.Host) error {
			h.Info("migrating here")
			return nil
		})
	})
	example("example:primary", nil)
	// Output:
	//   * executing `example:primary'
	//  ** [info :: db2] migrating here
	//  ** example:primary ok on 1 host(s) in 0.0s
}

func ExampleHost_Within() {
	tasks.Register("example:migrate", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("db").Primary(), func(ctx context.Context, h *tasks.Host) error {
			return h.Within(h.CurrentPath()).With("RAILS_ENV", "production").As("app").Execute(ctx, "bin/rake", "db:migrate")
		})
	})
	example("example:migrate", nil, "dry_run=1")
	// Output:
	//   * executing `example:migrate'
	//   * [dry-run :: db2] cd /srv/shop/current 2>/dev/null || { echo 'within: directory /srv/shop/current does not exist' >&2; exit 1; }; sudo -n -u app -- sh -c 'export RAILS_ENV=production; bin/rake db:migrate'
	//  ** example:migrate ok on 1 host(s) in 0.0s
}

func ExampleHost_Capture() {
	tasks.Register("example:revision", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app").Once(), func(ctx context.Context, h *tasks.Host) error {
			rev, err := h.Within(h.CurrentPath()).Capture(ctx, "cat", "REVISION")
			h.Info("live: " + rev)
			return err
		})
	})
	example("example:revision", func(f *taskstest.Fleet) {
		f.Script("", "cat REVISION", taskstest.Reply{Stdout: "4f2a9c1\n"})
	})
	// Output:
	//   * executing `example:revision'
	//  ** [info :: app1] live: 4f2a9c1
	//  ** example:revision ok on 1 host(s) in 0.0s
}

func ExampleHost_Test() {
	tasks.Register("example:maintenance", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app"), func(ctx context.Context, h *tasks.Host) error {
			down, err := h.Test(ctx, "test", "-e", h.SharedPath()+"/maintenance")
			if err != nil || !down {
				return err // a non-zero exit is false, not an error
			}
			h.Info("in maintenance")
			return nil
		})
	})
	example("example:maintenance", func(f *taskstest.Fleet) {
		f.Script("", "test -e", taskstest.Reply{Code: 1})
		f.Script("app3", "test -e", taskstest.Reply{})
	})
	// Output:
	//   * executing `example:maintenance'
	//  ** [info :: app3] in maintenance
	//  ** example:maintenance ok on 3 host(s) in 0.0s
}

func ExampleAfter() {
	tasks.Register("example:deploy", func(ctx context.Context) error { return nil })
	tasks.Register("example:notify", func(ctx context.Context) error {
		return tasks.Local(ctx, "echo", "deployed "+tasks.Arg(ctx, "example_service"))
	})
	tasks.DeclareArg("example_service", "shop", "what was deployed")
	tasks.After("example:deploy", "example:notify")
	example("example:deploy", nil, "example_service=cart", "dry_run=1")
	// Output:
	//   * executing `example:deploy'
	//   * executing `example:notify'
	//   * [dry-run :: local] echo 'deployed cart'
	//  ** example:deploy ok on 0 host(s) in 0.0s
}

func ExampleInvoke() {
	tasks.Register("example:outer", func(ctx context.Context) error {
		ctx = tasks.WithVar(ctx, "release_name", "20260101000000")
		return tasks.Invoke(ctx, "example:inner")
	})
	tasks.Register("example:inner", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app").Once(), func(ctx context.Context, h *tasks.Host) error {
			h.Info(h.ReleasePath())
			return nil
		})
	})
	example("example:outer", nil)
	// Output:
	//   * executing `example:outer'
	//   * executing `example:inner'
	//  ** [info :: app1] /srv/shop/releases/20260101000000
	//  ** example:outer ok on 1 host(s) in 0.0s
}

func exampleConfig() (*roles.Config, error) {
	return roles.Options{Vars: tasks.DeclaredVars()}.Parse(strings.NewReader(exampleYAML), "murder.yaml")
}

func ExampleHost_Run() {
	tasks.Register("example:logs", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app").Once(), func(ctx context.Context, h *tasks.Host) error {
			// One shell line, as Capistrano 2's run: quote what you paste in.
			return h.Run(ctx, "tail -n 1 "+tasks.Quote(h.SharedPath()+"/log/production.log")+" | cut -c1-20")
		})
	})
	example("example:logs", nil, "dry_run=1")
	// Output:
	//   * executing `example:logs'
	//   * [dry-run :: app1] tail -n 1 /srv/shop/shared/log/production.log | cut -c1-20
	//  ** example:logs ok on 1 host(s) in 0.0s
}

func ExampleHost_Upload() {
	tasks.Register("example:config", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app").Once(), func(ctx context.Context, h *tasks.Host) error {
			if err := h.Put(ctx, []byte("RAILS_ENV=production\n"), h.SharedPath()+"/.env"); err != nil {
				return err
			}
			return h.Download(ctx, h.SharedPath()+"/log/production.log", "/tmp/production.log")
		})
	})
	example("example:config", nil, "dry_run=1")
	// Output:
	//   * executing `example:config'
	//   * [dry-run :: app1] put 21 bytes to /srv/shop/shared/.env
	//   * [dry-run :: app1] download /srv/shop/shared/log/production.log to local /tmp/production.log
	//  ** example:config ok on 1 host(s) in 0.0s
}

func ExampleSelection_Filter() {
	tasks.Register("example:except", func(ctx context.Context) error {
		sel := tasks.Roles().Except("primary").Filter(func(h *tasks.Host) bool { return strings.HasPrefix(h.String(), "db") })
		return tasks.On(ctx, sel.InSequence(0), func(ctx context.Context, h *tasks.Host) error {
			h.Info("a replica")
			return nil
		})
	})
	example("example:except", nil)
	// Output:
	//   * executing `example:except'
	//  ** [info :: db1] a replica
	//  ** example:except ok on 1 host(s) in 0.0s
}

func ExampleDeclareVar() {
	tasks.DeclareVar("example_workers", "4")
	tasks.Register("example:workers", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("db"), func(ctx context.Context, h *tasks.Host) error {
			h.Info("workers: " + h.Fetch("example_workers")) // murder.yaml's set:, per host or global
			return nil
		})
	})
	example("example:workers", nil)
	// Unordered output:
	//   * executing `example:workers'
	//  ** [info :: db1] workers: 4
	//  ** [info :: db2] workers: 4
	//  ** example:workers ok on 2 host(s) in 0.0s
}

func ExampleBefore() {
	tasks.Register("example:assets", func(ctx context.Context) error {
		return tasks.Local(ctx, "make", "assets")
	})
	tasks.Register("example:ship", func(ctx context.Context) error { return nil })
	tasks.Before("example:ship", "example:assets")
	example("example:ship", nil, "dry_run=1")
	// Output:
	//   * executing `example:assets'
	//   * [dry-run :: local] make assets
	//   * executing `example:ship'
	//  ** example:ship ok on 0 host(s) in 0.0s
}

// A feed followed line by line while it runs: here a log's lines, each
// handled as it arrives instead of shown to the operator.
func ExampleHost_Stream() {
	tasks.Register("example:errors", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("db").Primary(), func(ctx context.Context, h *tasks.Host) error {
			var lines lineCounter
			err := h.Stream(ctx, &lines, "tail", "-n", "100", "/var/log/db.log")
			h.Info(fmt.Sprintf("%d lines, %d errors", lines.n, lines.errors))
			return err
		})
	})
	example("example:errors", func(f *taskstest.Fleet) {
		f.Script("", "tail", taskstest.Reply{Stdout: "ok\nERROR disk\nok\n"})
	})
	// Output:
	//   * executing `example:errors'
	//  ** [info :: db2] 3 lines, 1 errors
	//  ** example:errors ok on 1 host(s) in 0.0s
}

// lineCounter counts the lines written to it, and those with ERROR.
type lineCounter struct{ n, errors int }

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(p), "\n") {
		if strings.HasSuffix(l, "\n") {
			c.n++
			if strings.Contains(l, "ERROR") {
				c.errors++
			}
		}
	}
	return len(p), nil
}

// Moments and counts a host reports itself go into report=FILE beside
// the controller's own marks.
func ExampleHost_Count() {
	tasks.Register("example:fetch", func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app").Once(), func(ctx context.Context, h *tasks.Host) error {
			out, err := h.Capture(ctx, "fetch-release", "--stats")
			if err != nil {
				return err
			}
			var bytes int64
			var secs float64
			fmt.Sscanf(out, "%d %f", &bytes, &secs)
			// The host says how long it took: it started that long ago.
			h.MarkAt("fetch started", tasks.Now(ctx).Add(-time.Duration(secs*float64(time.Second))))
			h.Mark("fetched")
			h.Count("bytes fetched", bytes)
			h.Info(fmt.Sprintf("%d bytes in %.1f s", bytes, secs))
			return nil
		})
	})
	example("example:fetch", func(f *taskstest.Fleet) {
		f.Script("", "fetch-release", taskstest.Reply{Stdout: "1048576 2.5\n"})
	})
	// Output:
	//   * executing `example:fetch'
	//  ** [info :: app1] 1048576 bytes in 2.5 s
	//  ** example:fetch ok on 1 host(s) in 0.0s
}
