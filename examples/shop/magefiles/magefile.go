//go:build mage

// The shop's own tasks, as they were in its Capistrano deploy.rb: migrate
// once on the primary db server after the release is in place, restart
// the app servers two at a time once it is live. `go tool mage deploy`
// runs them at those flow points; `go tool mage app:restart` alone too.
package main

import (
	"context"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/murderfleet/murder/tasks"
	//mage:import
	_ "github.com/murderfleet/murder/tasks/targets"
)

func init() {
	tasks.Register("app:migrate", App{}.Migrate) // callable by name: hooks (Go or murder.yaml), Invoke
	tasks.Register("app:restart", App{}.Restart)
	tasks.After("deploy:updated", "app:migrate") // Capistrano 3 flow point
	tasks.After("deploy:publishing", "app:restart")
	tasks.DeclareArg("service", "shop", "the service app:restart restarts")
	tasks.DeclareVar("rails_env", "production") // a variable murder.yaml may set (set: or per host)
}

// App holds the shop's application tasks.
type App mg.Namespace

// Migrate runs the new release's migrations once, on the primary db server.
func (App) Migrate(ctx context.Context) error {
	return tasks.On(ctx, tasks.Roles("db").Primary(), func(ctx context.Context, h *tasks.Host) error {
		return h.Within(h.ReleasePath()).With("RAILS_ENV", h.Fetch("rails_env")).
			Execute(ctx, "bin/rake", "db:migrate")
	})
}

// Restart restarts the app servers two at a time, 5 s apart, skipping hosts in maintenance.
func (App) Restart(ctx context.Context) error {
	return tasks.On(ctx, tasks.Roles("app").InGroups(2, 5*time.Second), func(ctx context.Context, h *tasks.Host) error {
		if down, err := h.Test(ctx, "test", "-e", h.SharedPath()+"/maintenance"); err != nil || down {
			return err
		}
		rev, err := h.Within(h.ReleasePath()).Capture(ctx, "cat", "REVISION")
		if err != nil {
			return err
		}
		h.Info("restarting " + tasks.Arg(ctx, "service") + " at " + rev)
		return h.Within(h.ReleasePath()).Run(ctx, "mkdir -p tmp && touch tmp/restart.txt")
	})
}
