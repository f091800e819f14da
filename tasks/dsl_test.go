package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// fleet: four app servers, two of them web, a primary db that gets no
// releases, and a second db.
const fleet = `
roles:
  app: [w01, w02, w03, w04]
  web: [w03, w04]
  db:
    - { host: db1, no_release: true }
    - { host: db2, primary: true, properties: { rack: r2 } }
ssh:
  user: deploy
  max_hosts: 2
`

// register registers fn under a name unique to the test.
func register(t *testing.T, fn func(ctx context.Context) error) string {
	name := "test:" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	tasks.Register(name, fn)
	return name
}

// echo runs `echo HOST` on each selected host.
func echo(sel tasks.Selection) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return tasks.On(ctx, sel, func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "echo", h.String())
		})
	}
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name  string
		sel   tasks.Selection
		words []string
		want  []string
	}{
		{"roles in order, each once", tasks.Roles("web", "app"), nil, []string{"w01", "w02", "w03", "w04"}},
		{"every server", tasks.Roles(), nil, []string{"db1", "db2", "w01", "w02", "w03", "w04"}},
		{"primary: first marked", tasks.Roles("db").Primary(), nil, []string{"db2"}},
		{"primary: else first", tasks.Roles("app").Primary(), nil, []string{"w01"}},
		{"once", tasks.Roles("web").Once(), nil, []string{"w03"}},
		{"except no_release", tasks.Roles("db").Except("no_release"), nil, []string{"db2"}},
		{"only a property", tasks.Roles().Filter(func(h *tasks.Host) bool { return h.Property("rack") == "r2" }), nil, []string{"db2"}},
		{"hosts= narrows", tasks.Roles("app"), []string{"hosts=w02,w04"}, []string{"w02", "w04"}},
		{"roles= narrows", tasks.Roles("app"), []string{"roles=web"}, []string{"w03", "w04"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := taskstest.New(t)
			name := register(t, echo(tt.sel))
			if out, err := f.Run(t, fleet, name, tt.words...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := f.HostsRunning("echo "); !slices.Equal(got, tt.want) {
				t.Errorf("ran on %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOnReportsEveryFailure(t *testing.T) {
	f := taskstest.New(t)
	f.Script("w02", "false", taskstest.Reply{Stderr: "no such thing\n", Code: 3})
	f.DialErr["w04"] = errors.New("connect w04:22: connection refused")
	name := register(t, func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("app"), func(ctx context.Context, h *tasks.Host) error {
			return h.Execute(ctx, "false")
		})
	})
	out, err := f.Run(t, fleet, name)
	for _, want := range []string{
		"host w02: " + name + ": no such thing (exit status 3)",
		"host w04: " + name + ": connect w04:22: connection refused",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %q", err, want)
		}
		if !strings.Contains(out, strings.TrimPrefix(want, "host ")[:3]) {
			t.Errorf("summary does not name the host:\n%s", out)
		}
	}
	// The others ran to their end.
	if got := f.HostsRunning("false"); !slices.Equal(got, []string{"w01", "w02", "w03"}) {
		t.Errorf("ran on %v", got)
	}
	if !strings.Contains(out, "2 of 4 host(s) FAILED") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestInGroups: groups run one after another, the wait between them
// observed, and a failure stops the groups after it.
func TestInGroups(t *testing.T) {
	var mu sync.Mutex
	started := map[string]time.Time{}
	f := taskstest.New(t)
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		mu.Lock()
		started[host] = time.Now()
		mu.Unlock()
		return taskstest.Reply{}, false
	}
	f.Delay = 20 * time.Millisecond
	const wait = 150 * time.Millisecond
	name := register(t, echo(tasks.Roles("app").InGroups(2, wait)))
	if out, err := f.Run(t, fleet, name); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, second := range []string{"w03", "w04"} {
		for _, earlier := range []string{"w01", "w02"} {
			if gap := started[second].Sub(started[earlier]); gap < wait {
				t.Errorf("%s started %v after %s, want at least the %v wait", second, gap, earlier, wait)
			}
		}
	}

	f = taskstest.New(t)
	f.Script("w01", "echo", taskstest.Reply{Code: 1})
	name = register(t, echo(tasks.Roles("app").InSequence(0)))
	_, err := f.Run(t, fleet, name)
	if err == nil || !strings.Contains(err.Error(), "3 host(s) not started because an earlier group failed: w02, w03, w04") {
		t.Errorf("err = %v", err)
	}
	if got := f.HostsRunning("echo"); !slices.Equal(got, []string{"w01"}) {
		t.Errorf("ran on %v after the first failed", got)
	}
}

func TestMaxHostsBoundsCommandsInFlight(t *testing.T) {
	f := taskstest.New(t)
	f.Delay = 10 * time.Millisecond
	name := register(t, echo(tasks.Roles()))
	if _, err := f.Run(t, fleet, name); err != nil {
		t.Fatal(err)
	}
	if n := f.MaxInFlight(); n != 2 {
		t.Errorf("%d commands in flight, max_hosts is 2", n)
	}
}

func TestCommands(t *testing.T) {
	f := taskstest.New(t)
	f.Script("", "cat", taskstest.Reply{Stdout: "  abc123\n\n"})
	f.Script("", "test -e /srv/down", taskstest.Reply{Code: 1})
	var got []string
	name := register(t, func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("db").Primary(), func(ctx context.Context, h *tasks.Host) error {
			rev, err := h.Within("/srv/app").Capture(ctx, "cat", "REVISION")
			down, terr := h.Test(ctx, "test", "-e", "/srv/down")
			up, uerr := h.Test(ctx, "true")
			got = append(got, rev, fmt.Sprint(down, up))
			return errors.Join(err, terr, uerr,
				h.Within("/srv/app").With("RAILS_ENV", "it's").As("app").Execute(ctx, "bin/rake", "db:migrate"),
				h.Run(ctx, "ls | wc -l"))
		})
	})
	if out, err := f.Run(t, fleet, name); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !slices.Equal(got, []string{"abc123", "false true"}) {
		t.Errorf("capture, tests = %q", got)
	}
	want := []string{
		`cd /srv/app 2>/dev/null || { echo 'within: directory /srv/app does not exist' >&2; exit 1; }; cat REVISION`,
		`test -e /srv/down`,
		`true`,
		`cd /srv/app 2>/dev/null || { echo 'within: directory /srv/app does not exist' >&2; exit 1; }; sudo -n -u app -- sh -c 'export RAILS_ENV='\''it'\''\'\'''\''s'\''; bin/rake db:migrate'`,
		`ls | wc -l`,
	}
	if ops := f.Ops("db2"); !slices.Equal(ops, want) {
		t.Errorf("db2 ran\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(want, "\n"))
	}
}

func TestBadModifiersFailTheCommand(t *testing.T) {
	f := taskstest.New(t)
	name := register(t, func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("web").Once(), func(ctx context.Context, h *tasks.Host) error {
			return errors.Join(h.With("BAD NAME", "x").Execute(ctx, "true"), h.As("root; rm -rf /").Execute(ctx, "true"))
		})
	})
	_, err := f.Run(t, fleet, name)
	for _, want := range []string{"with BAD NAME", `as "root; rm -rf /": not a user name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	if ops := f.Ops(""); len(ops) != 0 {
		t.Errorf("ran %q", ops)
	}
}

func TestDryRunConnectsNowhere(t *testing.T) {
	f := taskstest.New(t)
	name := register(t, func(ctx context.Context) error {
		if err := tasks.Local(ctx, "make", "assets"); err != nil {
			return err
		}
		return tasks.On(ctx, tasks.Roles("web"), func(ctx context.Context, h *tasks.Host) error {
			if down, err := h.Test(ctx, "test", "-e", "/srv/down"); err != nil || down {
				return err
			}
			return errors.Join(h.Upload(ctx, "/no/such/file", "/srv/x"), h.Within("/srv").Run(ctx, "touch restart.txt"))
		})
	})
	out, err := f.Run(t, fleet, name, "dry_run=1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if f.Dials() != 0 {
		t.Errorf("a dry run dialed %d times", f.Dials())
	}
	for _, want := range []string{
		"  * [dry-run :: local] make assets\n",
		"  * [dry-run :: w03] test -e /srv/down\n",
		"  * [dry-run :: w04] upload local /no/such/file to /srv/x\n",
		"  * [dry-run :: w04] cd /srv 2>/dev/null || { echo 'within: directory /srv does not exist' >&2; exit 1; }; touch restart.txt\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
}

func TestOutputIsPrefixedPerHost(t *testing.T) {
	f := taskstest.New(t)
	f.Script("", "hello", taskstest.Reply{Stdout: "one\ntwo", Stderr: "warn\n"})
	name := register(t, func(ctx context.Context) error {
		return tasks.On(ctx, tasks.Roles("web"), func(ctx context.Context, h *tasks.Host) error {
			h.Info("saying hello")
			return h.Execute(ctx, "hello")
		})
	})
	out, err := f.Run(t, fleet, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{" ** [info :: w03] saying hello\n", " ** [out :: w03] one\n", " ** [out :: w04] two\n", " ** [err :: w04] warn\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestTimeoutStartsAfterTheSlot: Host.Timeout bounds the command once it
// runs, not the wait for a max_hosts slot held by another host's long
// command, so a busy fleet does not fail healthy hosts as hung.
func TestTimeoutStartsAfterTheSlot(t *testing.T) {
	f := taskstest.New(t)
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		if cmd == "slow" {
			time.Sleep(200 * time.Millisecond)
		}
		return taskstest.Reply{}, false
	}
	name := register(t, func(ctx context.Context) error {
		hosts, err := tasks.Roles("web").Hosts(ctx)
		if err != nil || len(hosts) < 2 {
			return fmt.Errorf("hosts %v: %v", hosts, err)
		}
		slow := make(chan struct{})
		go func() {
			defer close(slow)
			_ = hosts[0].Execute(ctx, "slow")
		}()
		time.Sleep(20 * time.Millisecond) // the slow command holds the slot
		err = hosts[1].Timeout(50*time.Millisecond).Execute(ctx, "quick")
		<-slow
		return err
	})
	yaml := strings.Replace(fleet, "max_hosts: 2", "max_hosts: 1", 1)
	if !strings.Contains(yaml, "max_hosts: 1") {
		t.Fatalf("fleet has no max_hosts to lower:\n%s", fleet)
	}
	if out, err := f.Run(t, yaml, name); err != nil {
		t.Errorf("Run: %v\n%s", err, out)
	}
}
