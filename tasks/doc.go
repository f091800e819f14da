// Package tasks is murder's task runner: Capistrano's tasks, roles, hooks
// and `name=value` arguments, written in Go in your magefile and run with
// `go tool mage NAME` where you typed `cap NAME`.
//
// A task is a function registered by name. It selects hosts by role and
// runs a function on each of them, in parallel, over SSH:
//
//	func init() {
//		tasks.Register("app:restart", App{}.Restart)
//		tasks.After("deploy:publishing", "app:restart")
//	}
//
//	func (App) Restart(ctx context.Context) error {
//		return tasks.On(ctx, tasks.Roles("app").InGroups(2, 5*time.Second), func(ctx context.Context, h *tasks.Host) error {
//			return h.Within(h.CurrentPath()).Execute(ctx, "touch", "tmp/restart.txt")
//		})
//	}
//
// What Capistrano 2 and 3 (SSHKit) called things:
//
//	run "cmd"                         h.Run(ctx, "cmd")            one shell line
//	execute :rake, "db:migrate"       h.Execute(ctx, "rake", "db:migrate")   argv, each word quoted
//	capture(:cat, "REVISION")         h.Capture(ctx, "cat", "REVISION")      trimmed stdout
//	test("[ -f x ]")                  h.Test(ctx, "test", "-f", "x")         false on a non-zero exit
//	stream (Capistrano 2)             h.Stream(ctx, w, "tail", "-f", log)   stdout to w as it comes
//	within / with / as                h.Within(dir).With("K", "v").As("user")
//	upload! / put / download!         h.Upload, h.Put, h.Download
//	on roles(:app), in: :groups,      On(ctx, Roles("app").InGroups(2, wait), fn)
//	  limit: 2, wait: 5
//	roles(:db).primary, :once         Roles("db").Primary(), .Once()
//	before / after                    Before(task, hooks...), After(task, hooks...)
//	set / fetch                       DeclareVar + murder.yaml set:, h.Fetch, Fetch, WithVar
//	ENV / name=value                  DeclareArg, Arg
//	run_locally                       Local(ctx, argv...)
//	invoke                            Invoke(ctx, name)
//
// The run around a task is Capistrano's: the selection honours the
// hosts= and roles= arguments; every host runs to its end even when
// another fails, and the error names each failed host
// ("host w03: app:restart: ..."); murder.yaml's ssh.max_hosts bounds the
// SSH commands in flight; output streams live as ` ** [out :: w03] line`;
// dry_run=1 prints every command instead of connecting; the run ends with
// a summary, and report=FILE writes it as JSON, with the moments
// (h.Mark, h.MarkAt) and counts (h.Count) tasks noted on each host. Before anything touches a
// host, the whole run is checked: the arguments, murder.yaml, every hooked
// task, hook loops, and each task's Check.
//
// Murder's own tasks (package tasks/murder) and the deploy flow (package
// tasks/deploy) are written with this package like any user's task;
// package tasks/taskstest is a fake fleet for unit tests of yours.
package tasks
