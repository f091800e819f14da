package murder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// The murder task set run through the engine: what tasks/runner_test.go
// checked with murder's tasks before they moved to this package.

func TestFanOut(t *testing.T) {
	tests := []struct {
		task  string
		words []string
		hosts []string
		cmd   string
	}{
		{"murder:start_tracker", nil, []string{"w01"}, agent + " tracker --detach --port 8998 --run-dir /opt/murder/run"},
		{"murder:stop_tracker", nil, []string{"w01"}, agent + " stop --run-dir /opt/murder/run tracker"},
		{"murder:start_seeding", []string{"tag=Deploy1"}, []string{"w01"}, agent + " seeder --detach --run-dir /opt/murder/run --tag Deploy1 --require-encryption /tmp/Deploy1.tgz.torrent /tmp/Deploy1.tgz"},
		{"murder:stop_seeding", []string{"tag=Deploy1"}, []string{"w01"}, agent + " stop --run-dir /opt/murder/run seeder Deploy1"},
		{"murder:stop_all_seeding", nil, []string{"w01"}, agent + " stop --all --run-dir /opt/murder/run seeder"},
		{"murder:stop_peering", []string{"tag=Deploy1"}, allPeers, agent + " stop --missing-ok --run-dir /opt/murder/run peer Deploy1"},
		{"murder:stop_all_peering", nil, allPeers, agent + " stop --all --run-dir /opt/murder/run peer"},
		{"murder:clean_temp_files", []string{"tag=Deploy1"}, allPeers, agent + " clean /tmp/Deploy1.tgz /tmp/Deploy1.tgz.torrent /tmp/Deploy1.tgz.part"},
		// Mage's spelling of the same task.
		{"murder:stopAllPeering", nil, allPeers, agent + " stop --all --run-dir /opt/murder/run peer"},
	}
	for _, tt := range tests {
		t.Run(tt.task, func(t *testing.T) {
			f := newFleet(t)
			out, err := run(t, f, fleetYAML, tt.task, tt.words...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			for _, h := range append(slices.Clone(tt.hosts), "w05", "db1") {
				want := []string{tt.cmd}
				if !slices.Contains(tt.hosts, h) {
					want = nil
				}
				if got := f.Ops(h); !slices.Equal(got, want) {
					t.Errorf("%s ran %q, want %q", h, got, want)
				}
			}
			if !strings.Contains(out, fmt.Sprintf("ok on %d host(s)", len(tt.hosts))) {
				t.Errorf("summary missing:\n%s", out)
			}
		})
	}
}

func TestMaxHostsBoundsCommandsInFlight(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("ssh: { user: deploy, max_hosts: 3 }\nroles:\n  app:\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&yaml, "    - w%02d\n", i)
	}
	f := newFleet(t)
	f.Delay = 20 * time.Millisecond
	if out, err := run(t, f, yaml.String(), "murder:stop_all_peering"); err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if n := len(f.Ops("")); n != 12 {
		t.Errorf("%d commands ran, want 12", n)
	}
	if n := f.MaxInFlight(); n > 3 || n < 2 {
		t.Errorf("at most %d commands were in flight, want 2..3 (max_hosts 3, and parallel)", n)
	}
}

func TestOneHostFailing(t *testing.T) {
	f := newFleet(t)
	f.DialErr["w02"] = errors.New("connect 127.0.0.3:22: host unreachable: connection refused")
	f.Script("w03", "", taskstest.Reply{Stderr: "murder-agent stop: no peer process for tag Deploy1\n", Code: 1})
	out, err := run(t, f, fleetYAML, "murder:stop_peering", "tag=Deploy1")
	if err == nil {
		t.Fatal("Run = nil, want the failed hosts")
	}
	for _, want := range []string{
		"host w02: stop peering: connect 127.0.0.3:22: host unreachable: connection refused",
		"host w03: stop peering: stop: no peer process for tag Deploy1 (exit status 1)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	var he *tasks.HostError
	if !errors.As(err, &he) || he.Step != "stop peering" {
		t.Errorf("error is not a *tasks.HostError for step stop peering: %#v", err)
	}
	for _, h := range []string{"w01", "w03", "w04"} {
		if len(f.Ops(h)) != 1 {
			t.Errorf("%s ran %q, want its command (one host's failure must not stop the others)", h, f.Ops(h))
		}
	}
	for _, want := range []string{
		" ** [err :: w03] murder-agent stop: no peer process for tag Deploy1\n",
		" ** 2 of 4 host(s) FAILED:\n",
		" **   w02: stop peering: connect 127.0.0.3:22",
		" **   w03: stop peering: stop: no peer process",
		" ** murder:stop_peering FAILED on 4 host(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDryRunDialsNothing(t *testing.T) {
	tmp := t.TempDir()
	setPollEvery(t, time.Second)
	tests := []struct {
		task  string
		words []string
		want  []string
	}{
		{"murder:start_tracker", nil, []string{"  * [dry-run :: w01] " + agent + " tracker --detach --port 8998 --run-dir /opt/murder/run\n"}},
		{"murder:distribute_files", nil, []string{
			"  * [dry-run :: w01] printf 'uname=%s\\nuid=%s\\nhome=%s\\n' \"$(uname -sm)\" ", // db1 gets no releases: not a peer, no agent
			"  * [dry-run :: w04] mkdir -p -m 755 -- /opt/murder && cd -P -- /opt/murder && ",
			" ** [info :: w02] upload the agent built for its platform to " + agent + ", or fetch it from a host that has it\n",
		}},
		{"murder:create_torrent", []string{"tag=Deploy1", "files_path=/srv/my build"}, []string{
			"  * [dry-run :: w01] " + agent + " pack --recipient AGE-RECIPIENT --exclude '.git*' '/srv/my build' /tmp/Deploy1.tgz\n",
			"  * [dry-run :: w01] " + agent + " make-torrent --run-dir /opt/murder/run --token-file - /tmp/Deploy1.tgz w01:8998 /tmp/Deploy1.tgz.torrent (with 5 bytes on stdin)\n",
			"  * [dry-run :: w01] download /tmp/Deploy1.tgz.torrent to local /tmp/Deploy1.tgz.torrent\n",
		}},
		// No local .torrent is needed to see what peer would do.
		{"murder:peer", []string{"tag=Deploy1", "destination_path=/srv/app", "temp_path=" + tmp}, []string{
			"  * [dry-run :: w03] " + agent + " prepare --check --require-empty /srv/app/Deploy1 && " +
				agent + " peer --no-wait --torrent-stdin --run-dir /opt/murder/run --tag Deploy1 --require-encryption --extract /srv/app/Deploy1 --extract-mode tree " + tmp + "/Deploy1.tgz.torrent " + tmp + "/Deploy1.tgz\n",
			// Hosts print at once: another host's line may come between these two.
			" ** [info :: w01] the swarm's progress, until every peer is done:\n",
			"  * [dry-run :: w01] " + agent + " swarm-status --every 1s\n",
			" ** [info :: w03] until it has downloaded and extracted:\n",
			"  * [dry-run :: w03] " + agent + " status --run-dir /opt/murder/run --wait 1s peer Deploy1\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.task, func(t *testing.T) {
			f := newFleet(t)
			out, err := run(t, f, fleetYAML, tt.task, append(tt.words, "dry_run=1")...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			if n := f.Dials(); n != 0 || len(f.Ops("")) != 0 {
				t.Errorf("dry run dialed %d times and ran %q", n, f.Ops(""))
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestHooksRunInOrder(t *testing.T) {
	yaml := fleetYAML + `
hooks:
  before:
    "murder:start_seeding": ["murder:start_tracker"]
  after:
    "murder:startSeeding": "murder:stop_all_peering"
`
	f := newFleet(t)
	out, err := run(t, f, yaml, "murder:start_seeding", "tag=Deploy1")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	w01 := f.Ops("w01")
	want := []string{" tracker --detach", " seeder --detach", " stop --all --run-dir /opt/murder/run peer"}
	if len(w01) != len(want) {
		t.Fatalf("w01 ran %q, want tracker, seeder, stop all peering", w01)
	}
	for i := range want {
		if !strings.Contains(w01[i], want[i]) {
			t.Errorf("w01 command %d = %q, want %q", i, w01[i], want[i])
		}
	}
	if got := f.HostsRunning(" stop --all "); !slices.Equal(got, allPeers) {
		t.Errorf("after hook ran on %q, want every peer", got)
	}
	for _, task := range []string{"murder:start_tracker", "murder:start_seeding", "murder:stop_all_peering"} {
		if !strings.Contains(out, "  * executing `"+task+"'\n") {
			t.Errorf("output does not announce %s:\n%s", task, out)
		}
	}

	// A failed task stops the run: its after hooks do not run.
	f = newFleet(t)
	f.Script("", " seeder --detach ", taskstest.Reply{Stderr: "murder-agent seeder: cannot read /tmp/Deploy1.tgz\n", Code: 1})
	_, err = run(t, f, yaml, "murder:start_seeding", "tag=Deploy1")
	if err == nil || !strings.Contains(err.Error(), "host w01: start seeding: seeder: cannot read /tmp/Deploy1.tgz") {
		t.Errorf("Run = %v, want the seeder's failure", err)
	}
	if got := f.HostsRunning(" stop --all "); len(got) != 0 {
		t.Errorf("after hook ran on %q although the task failed", got)
	}
	if got := f.HostsRunning(" tracker --detach"); !slices.Equal(got, []string{"w01"}) {
		t.Errorf("before hook ran on %q, want w01", got)
	}
}

// TestPlanErrorsRunNothing: every problem found in planning stops the run
// before any host is contacted.
func TestPlanErrorsRunNothing(t *testing.T) {
	tests := []struct {
		name  string
		hooks string
		task  string
		words []string
		want  string
	}{
		{"hook loop", `
hooks:
  before:
    "murder:start_tracker": ["murder:stop_tracker"]
    "murder:stop_tracker": ["murder:start_tracker"]
`, "murder:start_tracker", nil, "hooks loop"},
		{"hook to itself", `
hooks:
  after:
    "murder:stop_tracker": ["murder:stopTracker"]
`, "murder:stop_tracker", nil, "hooks loop"},
		{"hook to unknown task", `
hooks:
  after:
    "murder:start_tracker": ["murder:start_trakcer"]
`, "murder:start_tracker", nil, `unknown task "murder:start_trakcer" (hooked to murder:start_tracker)`},
		{"hooked task missing its tag", `
hooks:
  before:
    "murder:start_tracker": ["murder:stop_seeding"]
`, "murder:start_tracker", nil, "murder:stop_seeding: please specify a tag"},
		{"unknown task", "", "murder:nonesuch", nil, `unknown task "murder:nonesuch"`},
		{"missing tag", "", "murder:peer", []string{"destination_path=/srv/app"}, "murder:peer: please specify a tag"},
		{"missing destination", "", "murder:peer", []string{"tag=Deploy1"}, "please specify destination_path=PATH"},
		{"missing files_path", "", "murder:create_torrent", []string{"tag=Deploy1"}, "please specify files_path=PATH"},
		{"bad tag", "", "murder:stop_seeding", []string{"tag=../x"}, "Tag cannot contain a / character"},
		{"no hosts left", "", "murder:stop_all_peering", []string{"hosts=nonesuch"}, "no hosts to run on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t)
			_, err := run(t, f, fleetYAML+tt.hooks, tt.task, tt.words...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error mentioning %q", err, tt.want)
			}
			if n := f.Dials(); n != 0 || len(f.Ops("")) != 0 {
				t.Errorf("dialed %d times and ran %q before refusing", n, f.Ops(""))
			}
		})
	}
}

// TestHookLoopMessage: a hooks loop is named by the tasks' names, in
// order, as before the move (murder.yaml's names, not a Go slice of
// canonical ones).
func TestHookLoopMessage(t *testing.T) {
	f := newFleet(t)
	_, err := run(t, f, fleetYAML+`
hooks:
  before:
    "murder:start_tracker": ["murder:stop_tracker"]
    "murder:stop_tracker": ["murder:start_tracker"]
`, "murder:start_tracker")
	want := "hooks loop: murder:start_tracker -> murder:stop_tracker -> murder:start_tracker"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Run = %v, want an error with %q", err, want)
	}
}

func TestHostsAndRolesNarrowing(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		env   map[string]string
		task  string
		want  []string
	}{
		{"hosts=", []string{"hosts=w02,w03"}, nil, "murder:stop_all_peering", []string{"w02", "w03"}},
		{"hosts= with spaces", []string{"hosts= w04 , w01 "}, nil, "murder:stop_all_peering", []string{"w01", "w04"}},
		{"HOSTS in the environment", nil, map[string]string{"HOSTS": "w04"}, "murder:stop_all_peering", []string{"w04"}},
		{"roles=", []string{"roles=web", "tag=Deploy1"}, nil, "murder:clean_temp_files", []string{"w03", "w04"}},
		{"ROLES in the environment", []string{"tag=Deploy1"}, map[string]string{"ROLES": "web"}, "murder:clean_temp_files", []string{"w03", "w04"}},
		{"roles= several", []string{"roles=web,seeder", "tag=Deploy1"}, nil, "murder:clean_temp_files", []string{"w01", "w03", "w04"}},
		{"hosts= and roles=", []string{"roles=web", "hosts=w01,w03"}, nil, "murder:stop_all_peering", []string{"w03"}},
		{"hosts= outside the task's roles", []string{"hosts=db1,w02"}, nil, "murder:stop_all_peering", []string{"w02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(t)
			out := &taskstest.Buffer{}
			err := tasks.Run(context.Background(), tt.task, tt.words, tasks.Options{
				Stdout: out, Getenv: env(tt.env), Dialer: f, Config: taskstest.Config(t, fleetYAML, tasks.DeclaredVars()),
			})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			if got := f.HostsRunning(agent); !slices.Equal(got, tt.want) {
				t.Errorf("ran on %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReportFile(t *testing.T) {
	f := newFleet(t)
	f.Script("w03", "", taskstest.Reply{Stderr: "murder-agent stop: permission denied\n", Code: 1})
	out, rep, err := runReport(t, f, fleetYAML, "murder:stop_all_peering")
	if err == nil {
		t.Fatalf("Run = nil, want w03's failure\n%s", out)
	}
	if rep.Task != "murder:stop_all_peering" || rep.OK || len(rep.Hosts) != 4 {
		t.Errorf("report = %+v, want task murder:stop_all_peering, not ok, 4 hosts", rep)
	}
	want := tasks.HostResult{Host: "w03", Step: "stop all peering", Error: "stop: permission denied (exit status 1)"}
	if len(rep.Failed) != 1 {
		t.Fatalf("failed = %+v, want [%+v]", rep.Failed, want)
	}
	got := rep.Failed[0]
	got.Seconds = 0 // the time spent on w03, whatever it was
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failed = %+v, want [%+v]", rep.Failed, want)
	}
	// In a failed run only hosts known to be finished are ok; the others
	// carry no error either.
	for _, h := range rep.Hosts {
		if h.OK || (h.Error != "") != (h.Host == "w03") {
			t.Errorf("host %+v, want only w03 with an error, none ok", h)
		}
	}

	// A successful run writes ok and an empty failed list.
	file := filepath.Join(t.TempDir(), "report.json")
	if out, err := run(t, newFleet(t), fleetYAML, "murder:stop_all_peering", "report="+file); err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), `"ok": true`) || !strings.Contains(string(b), `"failed": []`) {
		t.Errorf("report of a good run:\n%s", b)
	}
}

// TestTaskSet: importing the package registers the original's twelve
// tasks, found whatever the case and underscores.
func TestTaskSet(t *testing.T) {
	if got := len(set); got != 12 {
		t.Errorf("%d murder tasks, want the original's 12", got)
	}
	for _, task := range set {
		if _, ok := tasks.Lookup(task.name); !ok {
			t.Errorf("%s is not registered", task.name)
		}
	}
	if got, ok := tasks.Lookup("MURDER:START_TRACKER"); !ok || got.Name != "murder:start_tracker" {
		t.Errorf("Lookup(MURDER:START_TRACKER) = %q, %v: want murder:start_tracker, whatever the case and underscores", got.Name, ok)
	}
}

// TestRunEntryPoint: Run parses the words, loads murder.yaml from
// config=, and runs the task with the given dialer.
func TestRunEntryPoint(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "murder.yaml")
	if err := os.WriteFile(cfgFile, []byte(fleetYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFleet(t)
	out := &taskstest.Buffer{}
	o := tasks.Options{Stdout: out, Getenv: env(map[string]string{"HOSTS": "w02"}), Dialer: f}
	if err := tasks.Run(context.Background(), "murder:stop_all_peering", []string{"config=" + cfgFile}, o); err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if got := f.HostsRunning(agent); !slices.Equal(got, []string{"w02"}) {
		t.Errorf("ran on %q, want w02 (HOSTS=w02)", got)
	}
	if !strings.Contains(out.String(), "murder:stop_all_peering ok on 1 host(s)") {
		t.Errorf("no summary:\n%s", out)
	}

	err := tasks.Run(context.Background(), "murder:peer", []string{"config=" + cfgFile, "destinaton_path=/srv/app"}, o)
	if err == nil || !strings.Contains(err.Error(), "did you mean destination_path?") {
		t.Errorf("Run with a typo = %v", err)
	}
	err = tasks.Run(context.Background(), "murder:stop_all_peering", []string{"config=" + cfgFile + ".missing"}, o)
	if err == nil {
		t.Error("Run with a missing config = nil")
	}
	if len(f.Ops("")) != 1 {
		t.Errorf("refused runs ran %q", f.Ops(""))
	}
}
