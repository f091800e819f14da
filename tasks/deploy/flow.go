package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/murderfleet/murder/internal/ctxio"
	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/murder"
)

// releaseName is the release a deploy or rollback is about ("" outside
// one: deploy:publishing alone then takes the newest release).
func releaseName(ctx context.Context) string { return tasks.Fetch(ctx, "release_name") }

// updating builds the release, distributes it, unpacks it into
// releases/NAME on every host, links shared files into it and writes its
// REVISION. current is not touched: any failure leaves it as it was.
func updating(ctx context.Context) error {
	name := releaseName(ctx)
	if name == "" {
		return errors.New("deploy:updating runs inside deploy (no release name)")
	}
	dir, err := os.MkdirTemp("", "murder-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	global := tasks.Config(ctx).Global()
	local, revision, err := buildRelease(ctx, global, dir, name)
	if err != nil {
		return err
	}
	tasks.Log(ctx, "release %s built from %s (revision %s)", name, global.Repository, revision)
	switch via := global.DeployVia; via {
	case "murder":
		err = viaMurder(ctx, name, local, dir)
	case "copy":
		err = viaCopy(ctx, name, local)
	default:
		err = fmt.Errorf("deploy_via %q is not supported (murder or copy)", via)
	}
	if err == nil && ctx.Err() == nil {
		err = tasks.On(ctx, peers().Step("link shared"), func(ctx context.Context, h *tasks.Host) error {
			return h.Run(ctx, finalizeLine(h, revision))
		})
	}
	return errors.Join(err, ctx.Err())
}

// finalizeLine links linked_dirs and linked_files from shared/ into the
// release (Capistrano 3's deploy:symlink:linked_*) and writes REVISION.
func finalizeLine(h *tasks.Host, revision string) string {
	release, shared := h.ReleasePath(), h.SharedPath()
	var steps []string
	link := func(rel string) {
		target, src := release+"/"+rel, shared+"/"+rel
		steps = append(steps, quoted("rm", "-rf", "--", target), quoted("mkdir", "-p", "--", parent(target)), quoted("ln", "-s", "--", src, target))
	}
	for _, d := range h.Vars().LinkedDirs {
		steps = append(steps, quoted("mkdir", "-p", "--", shared+"/"+d))
		link(d)
	}
	for _, f := range h.Vars().LinkedFiles {
		missing := "linked file " + shared + "/" + f + " is missing: put it there (deploy:check tells before a deploy)"
		steps = append(steps, "{ test -e "+tasks.Quote(shared+"/"+f)+" || { echo "+tasks.Quote(missing)+" >&2; exit 1; }; }")
		link(f)
	}
	steps = append(steps, "printf '%s\\n' "+tasks.Quote(revision)+" > "+tasks.Quote(release+"/REVISION"))
	return strings.Join(steps, " && ")
}

func parent(p string) string { return p[:max(1, strings.LastIndex(p, "/"))] }

// check makes linked_dirs in shared/ and fails, naming each, when a
// linked file is missing there: before anything is built or switched.
func check(ctx context.Context) error {
	return tasks.On(ctx, peers().Step("check"), func(ctx context.Context, h *tasks.Host) error {
		v := h.Vars()
		if len(v.LinkedDirs) == 0 && len(v.LinkedFiles) == 0 {
			return nil
		}
		var steps, missing []string
		for _, d := range v.LinkedDirs {
			steps = append(steps, quoted("mkdir", "-p", "--", h.SharedPath()+"/"+d))
		}
		for _, f := range v.LinkedFiles {
			steps = append(steps, quoted("mkdir", "-p", "--", parent(h.SharedPath()+"/"+f)))
		}
		if err := h.Run(ctx, strings.Join(steps, " && ")); err != nil {
			return err
		}
		for _, f := range v.LinkedFiles {
			ok, err := h.Test(ctx, "test", "-e", h.SharedPath()+"/"+f)
			if err != nil {
				return err
			}
			if !ok && !tasks.DryRun(ctx) {
				missing = append(missing, h.SharedPath()+"/"+f)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("linked file(s) missing: %s", strings.Join(missing, ", "))
		}
		return nil
	})
}

// viaMurder is Murder's strategy: upload the archive to the seeder only,
// then create_torrent, start_seeding, peer (which verifies and unpacks
// into releases/NAME), stop_peering, stop_seeding, clean_temp_files.
// Hooks apply to each of them, so the documented set-up starts and stops
// the tracker.
func viaMurder(ctx context.Context, name, local, dir string) error {
	seeders, err := tasks.Roles("seeder").Hosts(ctx)
	if err != nil || len(seeders) != 1 {
		return errors.Join(err, errors.New("deploy_via murder needs one seeder"))
	}
	for k, v := range map[string]string{"tag": name, "path_is_file": "1", "no_tag_directory": "", "unsafe_please_delete": "", "local_temp_path": dir} {
		ctx = tasks.WithArg(ctx, k, v)
	}
	// The upload is not TAG.tgz itself: create_torrent makes that from it
	// (encrypted, unless encrypt=0).
	onSeeder := tempPath(ctx, seeders[0]) + "/" + name + ".upload.tgz"
	ctx = tasks.WithArg(ctx, "files_path", onSeeder)
	err = tasks.On(ctx, tasks.Just(seeders...).Step("upload release"), func(ctx context.Context, h *tasks.Host) error {
		return h.Upload(ctx, local, onSeeder)
	})
	if err == nil {
		err = tasks.Invoke(ctx, "murder:create_torrent")
	}
	if err == nil {
		err = tasks.Invoke(ctx, "murder:start_seeding")
	}
	if err == nil {
		pctx := tasks.WithArg(ctx, "path_is_file", "")
		pctx = murder.WithDestination(pctx, func(h *tasks.Host) string { return h.ReleasesPath() })
		err = tasks.Invoke(pctx, "murder:peer")
	}
	// Stop and clean up whatever happened, also after ^C.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTime)
	defer cancel()
	// Each cleanup runs whatever the one before it said (a seeder never
	// started is no reason to leave the archive on the hosts), and what
	// could not be cleaned is said.
	err = errors.Join(err, tasks.On(cctx, tasks.Just(seeders...).Step("remove upload"), func(ctx context.Context, h *tasks.Host) error {
		return h.Execute(ctx, "rm", "-f", "--", onSeeder)
	}))
	for _, t := range []string{"murder:stop_peering", "murder:stop_seeding", "murder:clean_temp_files"} {
		err = errors.Join(err, tasks.Invoke(cctx, t))
	}
	return err
}

// viaCopy uploads the archive to every host and unpacks it there, checked
// against its SHA-256: Capistrano's copy strategy, for small fleets.
func viaCopy(ctx context.Context, name, local string) error {
	sum, err := ctxio.FileSHA256(ctx, local)
	if err != nil {
		return err
	}
	return tasks.On(ctx, peers().Step("copy release"), func(ctx context.Context, h *tasks.Host) error {
		tmp := tempPath(ctx, h) + "/" + name + ".tgz"
		if err := h.Upload(ctx, local, tmp); err != nil {
			return err
		}
		err := h.Execute(ctx, agent(h, "extract", "--sha256", sum, tmp, h.ReleasePath())...)
		return errors.Join(err, h.Execute(ctx, agent(h, "clean", tmp)...))
	})
}

// tempPath is where the release's archive goes on h: temp_path= if given,
// else the host's default_temp_path, as for Murder's own TAG.tgz.
func tempPath(ctx context.Context, h *tasks.Host) string {
	return cmp.Or(tasks.Arg(ctx, "temp_path"), h.Vars().DefaultTempPath)
}

// removeRelease deletes the release being deployed everywhere.
func removeRelease(ctx context.Context) {
	name := releaseName(ctx)
	tasks.Log(ctx, "removing release %s", name)
	_ = tasks.On(ctx, peers().Step("remove failed release"), func(ctx context.Context, h *tasks.Host) error {
		return h.Execute(ctx, agent(h, "release", "remove", h.DeployTo(), name)...)
	})
}

// publishing switches current on every host to the release (run alone:
// the newest one). If any host fails to switch, the hosts that did are
// switched back.
func publishing(ctx context.Context) error {
	var mu sync.Mutex
	prev := map[*roles.Host]string{}
	res := tasks.Each(ctx, peers().Step("switch current"), func(ctx context.Context, h *tasks.Host) error {
		name := releaseName(ctx)
		if name == "" {
			st, err := releases(ctx, h)
			if err != nil || len(st.names) == 0 {
				return errors.Join(err, errors.New("no release to point current at"))
			}
			name = st.names[len(st.names)-1]
		}
		out, err := h.Capture(ctx, agent(h, "release", "switch", h.DeployTo(), name)...)
		if err != nil {
			return err
		}
		mu.Lock()
		prev[h.Server()] = field2(out, "previous")
		mu.Unlock()
		return nil
	})
	if err := res.Err(); err == nil || tasks.DryRun(ctx) {
		return err
	}
	switchBack(ctx, prev)
	return errors.Join(res.Err(), errors.New("switch aborted: the hosts that had switched point at their previous release again"))
}

func switchBack(ctx context.Context, prev map[*roles.Host]string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTime)
	defer cancel()
	sel := peers().Filter(func(h *tasks.Host) bool { _, ok := prev[h.Server()]; return ok })
	_ = tasks.On(ctx, sel.Step("switch back"), func(ctx context.Context, h *tasks.Host) error {
		if p := prev[h.Server()]; p != "" {
			return h.Execute(ctx, agent(h, "release", "switch", h.DeployTo(), p)...)
		}
		return h.Execute(ctx, "rm", "-f", "--", h.CurrentPath())
	})
}
