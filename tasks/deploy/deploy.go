// Package deploy is Capistrano's release flow over murder (deploy_via:
// murder, or copy), written with package tasks: releases/<UTC timestamp>,
// shared/ and current under deploy_to on every host of role peer. Its
// tasks are Capistrano 3's flow points (deploy:starting ... deploy:finished,
// and rollback's reverting and reverted), so that hooks land where they did;
// Capistrano 2's names are aliases of them. Importing it registers them.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/remote"
)

const rolePeer = roles.RolePeer

// cleanupTime bounds what a failed or interrupted deploy does to clean
// up: mage gives a target 5 s after ^C.
const cleanupTime = 4 * time.Second

// peers are the hosts that get releases.
func peers() tasks.Selection { return tasks.Roles(rolePeer) }

func init() {
	define := func(name, doc string, run func(context.Context) error) {
		tasks.Define(tasks.Task{Name: name, Doc: doc, Run: run, Check: checkHosts})
	}
	define("deploy:setup", "Create deploy_to/releases and deploy_to/shared on every host", setup)
	define("deploy:check", "Check that every host can take a release: linked_dirs made, linked_files present in shared/", check)
	define("deploy:default", "Deploy: build the release, put it on every host, switch current, restart, prune (also `deploy`)", deployFlow(false))
	define("deploy:migrations", "Deploy with deploy:migrate after deploy:updated", deployFlow(true))
	define("deploy:update", "Build the release, put it on every host, then switch current on all of them", update)
	for _, p := range flowPoints {
		define(p.name, p.doc, p.run)
	}
	define("deploy:restart", "Run restart_command in current on every host that sets one", restart)
	define("deploy:migrate", "Run the release's migrations: a no-op until your magefile registers deploy:migrate", migrate)
	define("deploy:cleanup", "Remove all but the keep_releases newest releases", cleanup)
	define("deploy:rollback", "Point current back at the previous release and remove the rolled-back one", rollback)
	for alias, task := range map[string]string{
		"deploy":                 "deploy:default",
		"deploy:update_code":     "deploy:updating",
		"deploy:finalize_update": "deploy:updated",
		"deploy:symlink":         "deploy:publishing",
		"deploy:create_symlink":  "deploy:publishing",
	} {
		tasks.Alias(alias, task)
	}
}

// flowPoints are Capistrano 3's; most only carry hooks.
var flowPoints = []struct {
	name, doc string
	run       func(context.Context) error
}{
	{"deploy:starting", "Flow point: checks (deploy:check) before anything changes", func(ctx context.Context) error { return tasks.Invoke(ctx, "deploy:check") }},
	{"deploy:started", "Flow point: after deploy:starting", nothing},
	{"deploy:updating", "Flow point: build the release and unpack it into releases/NAME everywhere (Capistrano 2: deploy:update_code)", updating},
	{"deploy:updated", "Flow point: the release is in place on every host, not live yet (Capistrano 2: deploy:finalize_update)", nothing},
	{"deploy:publishing", "Flow point: switch current to the release on every host, atomically (Capistrano 2: deploy:symlink)", publishing},
	{"deploy:published", "Flow point: the release is live", nothing},
	{"deploy:finishing", "Flow point: deploy:cleanup", func(ctx context.Context) error { return tasks.Invoke(ctx, "deploy:cleanup") }},
	{"deploy:finished", "Flow point: the deploy is done", nothing},
	{"deploy:failed", "Flow point: a deploy failed (the new release was removed; current is unchanged)", nothing},
	{"deploy:reverting", "Flow point: rollback chose the previous release", nothing},
	{"deploy:reverted", "Flow point: after deploy:reverting", nothing},
	{"deploy:finishing_rollback", "Flow point: remove the rolled-back release", finishingRollback},
}

func nothing(context.Context) error { return nil }

// checkHosts refuses a deploy task with nothing to deploy to.
func checkHosts(ctx context.Context) error {
	hosts, err := peers().Hosts(ctx)
	if err == nil && len(hosts) == 0 {
		err = errors.New("no hosts to run on (check hosts= and roles=)")
	}
	return err
}

// agent is the agent's command line on h.
func agent(h *tasks.Host, argv ...string) []string {
	return append([]string{path.Join(h.Vars().RemoteMurderPath, "murder-agent")}, argv...)
}

func setup(ctx context.Context) error {
	return tasks.On(ctx, peers().Step("setup"), func(ctx context.Context, h *tasks.Host) error {
		return h.Execute(ctx, "mkdir", "-p", "--", h.ReleasesPath(), h.SharedPath())
	})
}

// deployFlow is `cap deploy`: Capistrano 3's flow points in order, with
// Capistrano 2's restart after publishing. A failure before publishing
// removes the new release everywhere and leaves current as it was.
func deployFlow(migrations bool) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx = newRelease(ctx)
		steps := []string{"deploy:starting", "deploy:started", "deploy:updating", "deploy:updated"}
		if migrations {
			steps = append(steps, "deploy:migrate")
		}
		steps = append(steps, "deploy:publishing", "deploy:restart", "deploy:published", "deploy:finishing", "deploy:finished")
		for i, step := range steps {
			err := tasks.Invoke(ctx, step)
			if err == nil {
				continue
			}
			// Cleanups run also after ^C, within the seconds mage allows.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTime)
			defer cancel()
			if i <= slices.Index(steps, "deploy:publishing") {
				removeRelease(cctx)
				err = errors.Join(err, errors.New("deploy aborted: current is unchanged on every host"))
			}
			return errors.Join(err, tasks.Invoke(cctx, "deploy:failed"))
		}
		return nil
	}
}

// newRelease names the release a deploy makes, as Capistrano does: the
// UTC time, to the second.
func newRelease(ctx context.Context) context.Context {
	return tasks.WithVar(ctx, "release_name", tasks.Now(ctx).UTC().Format("20060102150405"))
}

// update is Capistrano 2's deploy:update: update_code, then symlink.
func update(ctx context.Context) error {
	ctx = newRelease(ctx)
	return invokeAll(ctx, "deploy:updating", "deploy:updated", "deploy:publishing")
}

// invokeAll runs tasks in order, stopping at the first failure.
func invokeAll(ctx context.Context, names ...string) error {
	for _, n := range names {
		if err := tasks.Invoke(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func migrate(ctx context.Context) error {
	tasks.Log(ctx, "deploy:migrate: nothing to migrate (register deploy:migrate in your magefile, or hook a task after deploy:updated)")
	return nil
}

func restart(ctx context.Context) error {
	hosts, err := peers().Hosts(ctx)
	if err != nil {
		return err
	}
	var with []*tasks.Host
	for _, h := range hosts {
		if h.Vars().RestartCommand != "" {
			with = append(with, h)
		}
	}
	if len(with) == 0 {
		tasks.Log(ctx, "no restart_command set: nothing to restart")
		return nil
	}
	return tasks.On(ctx, tasks.Just(with...).Step("restart"), func(ctx context.Context, h *tasks.Host) error {
		// restart_command is the operator's own shell command, run as written.
		return h.Within(h.CurrentPath()).Run(ctx, h.Vars().RestartCommand)
	})
}

func cleanup(ctx context.Context) error {
	return tasks.On(ctx, peers().Step("cleanup"), func(ctx context.Context, h *tasks.Host) error {
		return h.Execute(ctx, agent(h, "release", "cleanup", h.DeployTo(), fmt.Sprint(h.Vars().KeepReleases))...)
	})
}

// quoted joins argv as one shell line.
func quoted(argv ...string) string { return remote.Command(argv...) }
