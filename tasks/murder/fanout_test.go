package murder

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/murderfleet/murder/tasks/taskstest"
)

func TestSplitSources(t *testing.T) {
	tests := []struct {
		counts []int
		n      int
		want   []int
	}{
		{[]int{10000}, 20, []int{20}},
		{[]int{3}, 20, []int{3}},
		{[]int{9000, 1000}, 20, []int{18, 2}},
		{[]int{9990, 10}, 20, []int{19, 1}},
		{[]int{5, 5, 5}, 2, []int{1, 1, 1}}, // at least one per platform
		{[]int{100, 0, 100}, 4, []int{2, 0, 2}},
		{[]int{1, 1000}, 20, []int{1, 19}},
		{nil, 20, []int{}},
	}
	for _, tt := range tests {
		if got := splitSources(tt.counts, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("splitSources(%v, %d) = %v, want %v", tt.counts, tt.n, got, tt.want)
		}
	}
}

func TestAssign(t *testing.T) {
	if got, want := assign(2, 10), []int{0, 1, 0, 1, 0, 1, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("assign(2, 10) = %v, want %v (fanout %d per server)", got, want, fanout)
	}
	if got, want := assign(5, 3), []int{0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("assign(5, 3) = %v, want %v", got, want)
	}
}

// TestWaves: with every fetch succeeding the servers grow fivefold a
// wave, so 10,000 hosts take four waves from 20 uploads.
func TestWaves(t *testing.T) {
	for _, tt := range []struct{ n, sources, want int }{
		{10000, 20, 4}, {1000, 20, 3}, {100, 20, 1}, {20, 20, 0}, {5, 20, 0}, {12, 2, 2}, {10000, 1, 6},
	} {
		if got := waves(tt.n, tt.sources); got != tt.want {
			t.Errorf("waves(%d, %d) = %d, want %d", tt.n, tt.sources, got, tt.want)
		}
	}
}

// bigFleet is a murder.yaml of n peers w01... with fewer SSH slots.
func bigFleet(n int) (string, []string) {
	var names []string
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("w%02d", i))
	}
	return "set: { remote_murder_path: /opt/murder }\nroles:\n  app: [" + strings.Join(names, ", ") + "]\nssh: { user: deploy, max_hosts: 4 }\n", names
}

var fetchURL = regexp.MustCompile(`http://(w[0-9]+):41234/murder-agent/abc123linuxamd64`)

// installs sorts a run's installations: uploads (the agent on stdin) and
// fetches (host -> the host it fetched from), in the order they ran.
func installs(t *testing.T, f *taskstest.Fleet) (uploads []string, fetches [][2]string) {
	t.Helper()
	for _, op := range f.Log() {
		switch {
		case !strings.Contains(op.Op, ".murder-agent.new."):
		case strings.Contains(op.Op, `cat > "$tmp"`):
			if op.Input != "#!/bin/sh\n" {
				t.Errorf("%s: upload sent %q, want the agent", op.Host, op.Input)
			}
			uploads = append(uploads, op.Host)
		default:
			m := fetchURL.FindStringSubmatch(op.Op)
			if m == nil || op.Input != "" {
				t.Fatalf("%s: unexpected install %q with %q on stdin", op.Host, op.Op, op.Input)
			}
			fetches = append(fetches, [2]string{op.Host, m[1]})
		}
	}
	return uploads, fetches
}

// TestDistributeFilesFanOut: the controller uploads the agent to
// agent_sources hosts; the others fetch it from hosts that serve it, in
// waves, each in one session, and those of the first wave serve the
// second.
func TestDistributeFilesFanOut(t *testing.T) {
	yaml, names := bigFleet(12)
	f := newFleet(t)
	f.Respond = healthy().respond
	out, err := run(t, f, yaml, "murder:distribute_files", "agent_sources=2")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	uploads, fetches := installs(t, f)
	if len(uploads) != 2 || len(fetches) != 10 {
		t.Fatalf("%d uploads %q and %d fetches %q, want 2 and 10", len(uploads), uploads, len(fetches), fetches)
	}
	serving := slices.Clone(uploads)
	for i, fe := range fetches {
		if !slices.Contains(serving, fe[1]) {
			t.Errorf("%s fetched from %s, which did not serve the agent yet (serving: %q)", fe[0], fe[1], serving)
		}
		if i == 7 { // the first wave: 2 servers feed 4 hosts each
			for _, fe := range fetches[:8] {
				serving = append(serving, fe[0])
			}
		}
	}
	for _, h := range names {
		ops := f.Ops(h)
		if len(ops) > 3 {
			t.Errorf("%s: %d sessions, want at most 3: %q", h, len(ops), ops)
		}
		if serves := strings.Contains(ops[len(ops)-1], " serve-agent "); serves != !slices.ContainsFunc(fetches[8:], func(fe [2]string) bool { return fe[0] == h }) {
			t.Errorf("%s: serves=%v; want every host but those of the last wave to serve", h, serves)
		}
	}
	for _, want := range []string{
		"12 host(s) need the agent: uploading it to 2, the others fetch it from those in about 2 wave(s)",
		"] uploaded agent linux/amd64 to /opt/murder/murder-agent (sha256:abc123linuxa), serving it on port 41234\n",
		"] fetched agent linux/amd64 from w0",
		"the controller sent the agent to 2 host(s); 10 fetched it from other hosts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDistributeFilesFetchFallback: a host that cannot fetch the agent
// gets it from the controller; a source that failed a download serves no
// one after, and one host lacking curl does not condemn its source.
func TestDistributeFilesFetchFallback(t *testing.T) {
	yaml, _ := bigFleet(12)
	f := newFleet(t)
	ok := healthy().respond
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		if strings.Contains(cmd, "curl") {
			switch host {
			case "w03":
				return taskstest.Reply{Stderr: "murder: could not download the agent from ...\n", Code: exitDownload}, true
			case "w04":
				return taskstest.Reply{Stderr: "murder: neither curl nor wget is installed\n", Code: exitNoFetcher}, true
			}
		}
		return ok(host, cmd)
	}
	out, err := run(t, f, yaml, "murder:distribute_files", "agent_sources=2")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	uploads, fetches := installs(t, f)
	slices.Sort(uploads)
	if want := []string{"w01", "w02", "w03", "w04"}; !slices.Equal(uploads, want) || len(fetches) != 10 {
		t.Fatalf("uploads %q, fetches %q; want uploads to %q and 10 fetches (2 of them failed)", uploads, fetches, want)
	}
	var bad, fine string
	for _, fe := range fetches[:8] {
		switch fe[0] {
		case "w03":
			bad = fe[1]
		case "w04":
			fine = fe[1]
		}
	}
	if bad == fine {
		t.Fatalf("w03 and w04 fetched from the same source %s", bad)
	}
	if used := slices.ContainsFunc(fetches[8:], func(fe [2]string) bool { return fe[1] == bad }); used {
		t.Errorf("the second wave fetched from %s, whose download failed: %q", bad, fetches[8:])
	}
	for _, want := range []string{
		"[info :: w03] could not fetch the agent from " + bad + " (murder: could not download the agent from ... (exit status 4)): uploading it instead",
		"[info :: w04] could not fetch the agent from " + fine + " (murder: neither curl nor wget is installed (exit status 3)): uploading it instead",
		"the controller sent the agent to 4 host(s); 8 fetched it from other hosts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDistributeFilesNoFetchAtAll: when no fetch of a wave succeeds (the
// hosts cannot reach each other), the rest are uploaded at once instead
// of trying wave after wave.
func TestDistributeFilesNoFetchAtAll(t *testing.T) {
	yaml, _ := bigFleet(12)
	f := newFleet(t)
	ok := healthy().respond
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		if strings.Contains(cmd, "curl") {
			return taskstest.Reply{Code: exitDownload}, true
		}
		return ok(host, cmd)
	}
	out, err := run(t, f, yaml, "murder:distribute_files", "agent_sources=1")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	uploads, fetches := installs(t, f)
	if len(uploads) != 12 || len(fetches) != 4 {
		t.Errorf("%d uploads, %d fetches; want 12 and the first wave's 4", len(uploads), len(fetches))
	}
}

// TestDistributeFilesUploadFails: a failed upload fails its host, named.
func TestDistributeFilesUploadFails(t *testing.T) {
	f := newFleet(t)
	ok := healthy().respond
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		if host == "w03" && strings.Contains(cmd, `cat > "$tmp"`) {
			return taskstest.Reply{Stderr: "murder: the agent received has sha256 0bad, want abc\n", Code: exitChecksum}, true
		}
		return ok(host, cmd)
	}
	_, err := run(t, f, fleetYAML, "murder:distribute_files")
	want := "host w03: distribute files: uploading the agent: murder: the agent received has sha256 0bad, want abc (exit status 5)"
	if err == nil || err.Error() != want {
		t.Errorf("Run = %v, want %q", err, want)
	}
}

func TestDistributeFilesBadArgs(t *testing.T) {
	for _, w := range []string{"agent_sources=0", "agent_sources=x", "agent_port=70000", "agent_port=-1"} {
		f := newFleet(t)
		if _, err := run(t, f, fleetYAML, "murder:distribute_files", w); err == nil || f.Dials() != 0 {
			t.Errorf("%s: Run = %v after %d dials, want an error before connecting", w, err, f.Dials())
		}
	}
}
