package tasks

import (
	"github.com/murderfleet/murder/internal/ctxio"

	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// Deploy is Capistrano's release flow with `deploy_via: murder`:
// releases/<UTC timestamp>, shared/ and current under deploy_to on every
// host of role peer (which leaves out no_release servers). It is filled in
// by init because its tasks invoke others through Lookup, which reads it.
var Deploy []Task

func init() {
	Deploy = []Task{
		// Capistrano's directory layout; the documented after-hook then runs
		// murder:distribute_files.
		{"deploy:setup", "Create deploy_to/releases and deploy_to/shared on every host", []string{rolePeer}, 0, deploySetup},
		// `go tool mage deploy`: update, restart, cleanup.
		{"deploy:default", "Deploy: build the release, distribute and unpack it everywhere, switch current, restart, prune", []string{rolePeer}, 0, deployDefault},
		{"deploy:update", "Build the release, put it on every host, then switch current on all of them", []string{rolePeer}, 0, deployUpdate},
		{"deploy:symlink", "Point current at the newest release on every host, atomically", []string{rolePeer}, 0, deploySymlink},
		{"deploy:restart", "Run restart_command in current on every host that sets one", []string{rolePeer}, 0, deployRestart},
		{"deploy:rollback", "Point current back at the previous release and remove the rolled-back one", []string{rolePeer}, 0, deployRollback},
		{"deploy:cleanup", "Remove all but the keep_releases newest releases", []string{rolePeer}, 0, deployCleanup},
	}
}

func (r *Runner) agentCmd(h *roles.Host, argv ...string) string {
	return remote.Command(append([]string{r.settings(h).agent()}, argv...)...)
}

func deployTo(r *Runner, h *roles.Host) string { return r.Config.Vars(h).DeployTo }

func deploySetup(ctx context.Context, r *Runner) error {
	return r.each(ctx, r.roleHosts(rolePeer), "setup", func(ctx context.Context, h *roles.Host) error {
		d := deployTo(r, h)
		return r.execLine(ctx, h, remote.Command("mkdir", "-p", "--", path.Join(d, "releases"), path.Join(d, "shared")), nil)
	})
}

func deployDefault(ctx context.Context, r *Runner) error {
	for _, t := range []string{"deploy:update", "deploy:restart", "deploy:cleanup"} {
		if err := r.Invoke(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// deployUpdate builds the release, distributes it and unpacks it into
// releases/NAME on every host, and only when every host has it verified,
// switches current everywhere. Any failure removes the new release from
// every host and leaves current untouched.
func deployUpdate(ctx context.Context, r *Runner) error {
	name := r.now().UTC().Format("20060102150405")
	hosts := r.roleHosts(rolePeer)
	dir, err := os.MkdirTemp("", "murder-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local, err := buildRelease(ctx, r.Config.Global(), dir, name)
	if err != nil {
		return err
	}
	r.printf(" ** release %s built from %s\n", name, r.Config.Global().Repository)
	if r.dryRun() {
		r.release = name
		return r.distribute(ctx, name, local, dir, hosts)
	}
	if err := r.distribute(ctx, name, local, dir, hosts); err != nil || ctx.Err() != nil {
		r.removeRelease(hosts, name)
		return errors.Join(err, ctx.Err(), errors.New("deploy aborted: current is unchanged on every host"))
	}
	r.release = name
	defer func() { r.release = "" }()
	return r.Invoke(ctx, "deploy:symlink")
}

// distribute puts the archive on every host, unpacked into releases/NAME.
func (r *Runner) distribute(ctx context.Context, name, local, dir string, hosts []*roles.Host) error {
	switch via := r.Config.Global().DeployVia; via {
	case "murder":
		return r.viaMurder(ctx, name, local, dir)
	case "copy":
		return r.viaCopy(ctx, name, local, hosts)
	default:
		return fmt.Errorf("deploy_via %q is not supported (murder or copy)", via)
	}
}

// viaMurder is Murder's strategy: upload the archive to the seeder only,
// then create_torrent, start_seeding, peer (which verifies and unpacks into
// releases/NAME), stop_peering, stop_seeding, clean_temp_files. Hooks apply
// to each of them, so the documented set-up starts and stops the tracker.
func (r *Runner) viaMurder(ctx context.Context, name, local, dir string) error {
	saved, savedTemp := r.Args, r.LocalTemp
	defer func() { r.Args, r.LocalTemp, r.override = saved, savedTemp, nil }()
	r.LocalTemp = dir
	seeder := r.Config.Seeder()
	r.Args = saved.With(map[string]string{"tag": name, "path_is_file": "1", "no_tag_directory": "", "unsafe_please_delete": ""})
	onSeeder := r.settings(seeder).filename()
	r.Args = r.Args.With(map[string]string{"files_path": onSeeder})
	if err := r.each(ctx, []*roles.Host{seeder}, "upload release", func(ctx context.Context, h *roles.Host) error {
		return r.upload(ctx, h, local, onSeeder)
	}); err != nil {
		return err
	}
	err := r.invokeAll(ctx, "murder:create_torrent", "murder:start_seeding")
	if err == nil {
		r.Args = r.Args.With(map[string]string{"path_is_file": ""})
		r.override = func(h *roles.Host, s *settings) { s.DestinationPath = path.Join(deployTo(r, h), "releases") }
		err = r.Invoke(ctx, "murder:peer")
		r.override = nil
	}
	// Stop and clean up whatever happened, also after ^C.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return errors.Join(err, r.invokeAll(cctx, "murder:stop_peering", "murder:stop_seeding", "murder:clean_temp_files"))
}

// invokeAll runs tasks in order, stopping at the first failure.
func (r *Runner) invokeAll(ctx context.Context, names ...string) error {
	for _, n := range names {
		if err := r.Invoke(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// viaCopy uploads the archive to every host and unpacks it there, checked
// against its SHA-256: Capistrano's copy strategy, for small fleets.
func (r *Runner) viaCopy(ctx context.Context, name, local string, hosts []*roles.Host) error {
	sum, err := ctxio.FileSHA256(ctx, local)
	if err != nil {
		return err
	}
	return r.each(ctx, hosts, "copy release", func(ctx context.Context, h *roles.Host) error {
		tmp := path.Join(r.settings(h).TempPath, name+".tgz")
		if err := r.upload(ctx, h, local, tmp); err != nil {
			return err
		}
		dest := path.Join(deployTo(r, h), "releases", name)
		err := r.execLine(ctx, h, r.agentCmd(h, "extract", "--sha256", sum, tmp, dest), nil)
		return errors.Join(err, r.execLine(ctx, h, r.agentCmd(h, "clean", tmp), nil))
	})
}

// removeRelease deletes releases/NAME everywhere after a failed deploy.
func (r *Runner) removeRelease(hosts []*roles.Host, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.printf(" ** removing release %s from %d host(s)\n", name, len(hosts))
	_ = r.each(ctx, hosts, "remove failed release", func(ctx context.Context, h *roles.Host) error {
		return r.execLine(ctx, h, r.agentCmd(h, "release", "remove", deployTo(r, h), name), nil)
	})
}

// deploySymlink switches current on every host to the new release (or,
// run alone, to the newest one). If any host fails to switch, the hosts
// that did are switched back.
func deploySymlink(ctx context.Context, r *Runner) error {
	hosts := r.roleHosts(rolePeer)
	var mu sync.Mutex
	prev := map[*roles.Host]string{}
	err := r.each(ctx, hosts, "switch current", func(ctx context.Context, h *roles.Host) error {
		name := r.release
		if name == "" {
			st, err := r.releases(ctx, h)
			if err != nil || len(st.names) == 0 {
				return errors.Join(err, errors.New("no release to point current at"))
			}
			name = st.names[len(st.names)-1]
		}
		out, err := r.output(ctx, h, r.agentCmd(h, "release", "switch", deployTo(r, h), name))
		if err != nil {
			return err
		}
		mu.Lock()
		prev[h] = field2(out, "previous")
		mu.Unlock()
		return nil
	})
	if err == nil || r.dryRun() {
		return err
	}
	r.switchBack(prev)
	return errors.Join(err, errors.New("switch aborted: the hosts that had switched point at their previous release again"))
}

func (r *Runner) switchBack(prev map[*roles.Host]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var hosts []*roles.Host
	for h := range prev {
		hosts = append(hosts, h)
	}
	_ = r.each(ctx, hosts, "switch back", func(ctx context.Context, h *roles.Host) error {
		if prev[h] == "" {
			return r.execLine(ctx, h, remote.Command("rm", "-f", "--", path.Join(deployTo(r, h), "current")), nil)
		}
		return r.execLine(ctx, h, r.agentCmd(h, "release", "switch", deployTo(r, h), prev[h]), nil)
	})
}

// releaseState is what `release list` says of one host.
type releaseState struct {
	current string
	names   []string
}

func (r *Runner) releases(ctx context.Context, h *roles.Host) (releaseState, error) {
	out, err := r.output(ctx, h, r.agentCmd(h, "release", "list", deployTo(r, h)))
	var st releaseState
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "release "); ok {
			st.names = append(st.names, v)
		} else if v, ok := strings.CutPrefix(l, "current "); ok {
			st.current = v
		}
	}
	return st, err
}

// field2 reads the word after key in "key value" output.
func field2(out, key string) string {
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == key {
			return f[i+1]
		}
	}
	return ""
}

func deployRestart(ctx context.Context, r *Runner) error {
	hosts := r.roleHosts(rolePeer)
	n := 0
	err := r.each(ctx, hosts, "restart", func(ctx context.Context, h *roles.Host) error {
		v := r.Config.Vars(h)
		if v.RestartCommand == "" {
			return nil
		}
		n++
		// restart_command is the operator's own shell command, run as written.
		return r.execLine(ctx, h, "cd "+remote.Quote(path.Join(v.DeployTo, "current"))+" && "+v.RestartCommand, nil)
	})
	if n == 0 {
		r.printf(" ** no restart_command set: nothing to restart\n")
	}
	return err
}

// deployRollback refuses unless every host has a release before current,
// then switches all of them back.
func deployRollback(ctx context.Context, r *Runner) error {
	hosts := r.roleHosts(rolePeer)
	if err := r.each(ctx, hosts, "check releases", func(ctx context.Context, h *roles.Host) error {
		if r.dryRun() {
			return nil
		}
		st, err := r.releases(ctx, h)
		if err != nil {
			return err
		}
		for _, n := range st.names {
			if st.current != "" && n < st.current {
				return nil
			}
		}
		return fmt.Errorf("no previous release to roll back to (current: %q)", st.current)
	}); err != nil {
		return errors.Join(err, errors.New("rollback refused: nothing was changed"))
	}
	return r.each(ctx, hosts, "rollback", func(ctx context.Context, h *roles.Host) error {
		return r.execLine(ctx, h, r.agentCmd(h, "release", "rollback", deployTo(r, h)), nil)
	})
}

func deployCleanup(ctx context.Context, r *Runner) error {
	return r.each(ctx, r.roleHosts(rolePeer), "cleanup", func(ctx context.Context, h *roles.Host) error {
		keep := fmt.Sprint(r.Config.Vars(h).KeepReleases)
		return r.execLine(ctx, h, r.agentCmd(h, "release", "cleanup", deployTo(r, h), keep), nil)
	})
}
