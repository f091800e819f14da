package murder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/remote"
	"github.com/murderfleet/murder/tasks/taskstest"
)

// peerRun prepares murder:peer on a fake fleet with a real local
// .torrent in a temporary temp_path: it returns the fleet, the words of
// the run (tag, destination_path, temp_path, then words) and temp_path.
func peerRun(t *testing.T, words ...string) (*taskstest.Fleet, []string, string) {
	t.Helper()
	setPollEvery(t, time.Millisecond)
	tmp := t.TempDir()
	writeTorrent(t, tmp, "Deploy1")
	words = append([]string{"tag=Deploy1", "destination_path=/srv/app", "temp_path=" + tmp}, words...)
	return newFleet(t), words, tmp
}

func TestPeer(t *testing.T) {
	f, words, tmp := peerRun(t)
	out, rep, err := runReport(t, f, fleetYAML, "murder:peer", words...)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	torrent, tgz := tmp+"/Deploy1.tgz.torrent", tmp+"/Deploy1.tgz"
	status := agent + " status --run-dir /opt/murder/run peer Deploy1"
	want := []string{
		// One session: the check, the .torrent on stdin, the start.
		agent + " prepare --check --require-empty /srv/app/Deploy1 && " +
			agent + " peer --no-wait --torrent-stdin --run-dir /opt/murder/run --tag Deploy1 --require-encryption " + torrent + " " + tgz,
		status, // progress have=512
		status, // done
		agent + " extract --torrent " + torrent + " " + tgz + " /srv/app/Deploy1",
	}
	for _, op := range f.Log() {
		if strings.Contains(op.Op, "--torrent-stdin") && !strings.HasPrefix(op.Input, "d8:announce") {
			t.Errorf("%s: the start got %q on stdin, want the .torrent", op.Host, op.Input)
		}
	}
	for _, h := range allPeers {
		if got := f.Ops(h); !slices.Equal(got, want) {
			t.Errorf("%s ran\n %q\nwant\n %q", h, got, want)
		}
	}
	if got := f.Ops("db1"); len(got) != 0 {
		t.Errorf("db1 (no_release) ran %q", got)
	}
	for _, w := range []string{"peers done 4/4", " ** murder:peer ok on 4 host(s)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if len(rep.Hosts) != len(allPeers) {
		t.Errorf("report hosts = %+v, want the 4 peers", rep.Hosts)
	}
	for _, h := range rep.Hosts {
		if !h.OK {
			t.Errorf("host %+v not ok", h)
		}
		m := h.Marks
		if !(m["peer started"] <= m["first bytes seen"] && m["first bytes seen"] <= m["downloaded"] && m["downloaded"] <= m["extracted"]) || len(m) != 4 {
			t.Errorf("host %s: marks %v, want peer started <= first bytes seen <= downloaded <= extracted", h.Host, m)
		}
	}
}

// TestPeerFailures: a peer failing at any step is reported with its step
// and reason; the other peers finish.
func TestPeerFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *taskstest.Fleet)
		step    string // the step w02 fails in
		message string
		tried   bool // w02 attempted the extraction
	}{
		{
			name: "stalled swarm",
			setup: func(f *taskstest.Fleet) {
				scriptStatus(f, "w02", "progress have=100 total=60000", "error: swarm stalled: no progress for 5m0s")
			},
			step: "peer", message: "swarm stalled: no progress for 5m0s",
		},
		{
			name: "destination not empty",
			setup: func(f *taskstest.Fleet) {
				f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
					if host == "w02" && strings.Contains(cmd, " prepare ") {
						return taskstest.Reply{Stderr: "murder-agent prepare: destination_path /srv/app/Deploy1 on w02 is not empty\n", Code: 1}, true
					}
					return taskstest.Reply{}, false
				}
			},
			step: "start peer", message: "prepare: destination_path /srv/app/Deploy1 on w02 is not empty (exit status 1)",
		},
		{
			name:  "unreachable",
			setup: func(f *taskstest.Fleet) { f.DialErr["w02"] = errors.New("connect w02:22: timed out after 10s") },
			step:  "start peer", message: "connect w02:22: timed out after 10s",
		},
		{
			name: "extraction fails",
			setup: func(f *taskstest.Fleet) {
				f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
					if host == "w02" && strings.Contains(cmd, " extract ") {
						return taskstest.Reply{Stderr: "murder-agent extract: no space left on device\n", Code: 1}, true
					}
					return taskstest.Reply{}, false
				}
			},
			step: "peer", message: "extract: extract: no space left on device (exit status 1)", tried: true,
		},
		{
			name: "status command fails",
			setup: func(f *taskstest.Fleet) {
				f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
					if host == "w02" && strings.Contains(cmd, " status ") {
						return taskstest.Reply{Code: 255}, true
					}
					return taskstest.Reply{}, false
				}
			},
			step: "peer", message: "exit status 255",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, words, _ := peerRun(t)
			tt.setup(f)
			out, rep, err := runReport(t, f, fleetYAML, "murder:peer", words...)
			want := fmt.Sprintf("host w02: %s: %s", tt.step, tt.message)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Run = %v, want an error with %q", err, want)
			}
			wantExtract := []string{"w01", "w03", "w04"}
			if tt.tried {
				wantExtract = allPeers
			}
			if got := f.HostsRunning(" extract "); !slices.Equal(got, wantExtract) {
				t.Errorf("extracted on %q, want %q", got, wantExtract)
			}
			for _, w := range []string{" ** 1 of 4 host(s) FAILED:\n", fmt.Sprintf(" **   w02: %s: %s\n", tt.step, tt.message), "murder:peer FAILED"} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if len(rep.Failed) != 1 || rep.Failed[0].Host != "w02" || rep.Failed[0].Step != tt.step {
				t.Errorf("report failed = %+v", rep.Failed)
			}
		})
	}
}

// TestPeerNoHostLeft: when every peer fails a step, the next steps run
// nowhere: not on every host of murder.yaml.
func TestPeerNoHostLeft(t *testing.T) {
	for _, step := range []string{" prepare ", " peer --no-wait "} {
		t.Run(strings.TrimSpace(step), func(t *testing.T) {
			f, words, _ := peerRun(t)
			f.Script("", step, taskstest.Reply{Stderr: "murder-agent: refused\n", Code: 1})
			_, err := run(t, f, fleetYAML, "murder:peer", words...)
			if err == nil {
				t.Error("Run = nil, want every peer's failure")
			}
			if got := f.Ops("db1"); len(got) != 0 {
				t.Errorf("db1 (no_release) ran %q", got)
			}
			for _, later := range []string{" status ", " extract "} {
				if got := f.HostsRunning(later); len(got) != 0 {
					t.Errorf("%s ran on %q after every peer failed", later, got)
				}
			}
			// The start shares the check's command line (prepare && peer):
			// the shell never reaches it when the check fails.
		})
	}
}

// TestPeerLongPoll: a fleet within max_hosts waits on each host for its
// peer's result (status --wait), the first wait short.
func TestPeerLongPoll(t *testing.T) {
	f, words, _ := peerRun(t)
	yaml := strings.Replace(fleetYAML, "max_hosts: 2", "max_hosts: 10", 1)
	out, err := run(t, f, yaml, "murder:peer", words...)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	status := agent + " status --run-dir /opt/murder/run --wait %s peer Deploy1"
	for _, h := range allPeers {
		ops := f.Ops(h)
		if len(ops) != 4 || ops[1] != fmt.Sprintf(status, "1ms") || ops[2] != fmt.Sprintf(status, "10ms") || !strings.Contains(ops[3], " extract ") {
			t.Errorf("%s ran %q, want status --wait 1ms, then --wait 10ms, then extract", h, ops)
		}
	}
}

// TestPeerHungHost: a host whose status does not answer within three SSH
// timeouts fails with words that say so; no host extracts.
func TestPeerHungHost(t *testing.T) {
	f, words, _ := peerRun(t)
	f.Delay = 100 * time.Millisecond
	yaml := strings.Replace(fleetYAML, "max_hosts: 2", "max_hosts: 2\n  timeout: 5ms", 1)
	_, err := run(t, f, yaml, "murder:peer", words...)
	for _, h := range allPeers {
		want := "host " + h + ": peer: status: no answer within 15ms (host hung or cut off)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run = %v, want an error with %q", err, want)
		}
	}
	if got := f.HostsRunning(" extract "); len(got) != 0 {
		t.Errorf("extracted on %q", got)
	}
}

// TestPeerPollWaitsForASlot: a poll's time limit (three SSH timeouts) is
// for the host to answer, not for a free max_hosts slot: a fleet larger
// than max_hosts whose slots are held by long extractions must not fail
// its healthy peers as hung.
func TestPeerPollWaitsForASlot(t *testing.T) {
	const yaml = `
set: { remote_murder_path: /opt/murder }
roles:
  app: [w01, w02]
ssh: { user: deploy, max_hosts: 1, timeout: 5ms }
`
	f, words, _ := peerRun(t)
	scriptStatus(f, "w01", "done")
	scriptStatus(f, "w02", "progress have=1 total=60000", "progress have=2 total=60000", "progress have=3 total=60000", "done")
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		if host == "w01" && strings.Contains(cmd, " extract ") {
			time.Sleep(200 * time.Millisecond) // a large archive: the only slot is held
		}
		return taskstest.Reply{}, false
	}
	if out, err := run(t, f, yaml, "murder:peer", words...); err != nil {
		t.Errorf("Run: %v\n%s", err, out)
	}
	if got := f.HostsRunning(" extract "); !slices.Equal(got, []string{"w01", "w02"}) {
		t.Errorf("extracted on %q, want w01 and w02", got)
	}
}

func TestPeerWithoutLocalTorrent(t *testing.T) {
	f := newFleet(t)
	_, err := run(t, f, fleetYAML, "murder:peer", "tag=Deploy1", "destination_path=/srv/app", "temp_path="+t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "run murder:create_torrent") {
		t.Errorf("Run = %v, want a hint to create the torrent", err)
	}
	if len(f.Ops("")) != 0 {
		t.Errorf("ran %q without a torrent", f.Ops(""))
	}
}

// TestPeerOneSwarm: with a fleet far larger than max_hosts, every peer is
// started before any is followed to extraction, so all of them download
// from each other at once instead of in waves of max_hosts.
func TestPeerOneSwarm(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("set: { remote_murder_path: /opt/murder }\nssh: { user: deploy, max_hosts: 10 }\nroles:\n  app:\n")
	for i := 1; i <= 250; i++ {
		fmt.Fprintf(&yaml, "    - w%03d\n", i)
	}
	f, words, _ := peerRun(t)
	// Peers need a few polls each, finishing at different times.
	scriptStatus(f, "", "progress have=0 total=60000", "progress have=30000 total=60000", "done")
	scriptStatus(f, "w007", "progress have=0 total=60000", "progress have=1 total=60000", "progress have=2 total=60000", "done")
	out, err := run(t, f, yaml.String(), "murder:peer", words...)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	ops := f.Ops("")
	lastStart, firstExtract, starts, extracts := -1, -1, 0, 0
	for i, op := range ops {
		switch {
		case strings.Contains(op, " peer --no-wait "):
			lastStart = i
			starts++
		case strings.Contains(op, " extract "):
			if firstExtract < 0 {
				firstExtract = i
			}
			extracts++
		}
	}
	if starts != 250 || extracts != 250 {
		t.Fatalf("%d peers started and %d extracted, want 250 each", starts, extracts)
	}
	if lastStart > firstExtract {
		t.Errorf("peer %d was started (op %d) after the first extraction (op %d): waves, not one swarm", starts, lastStart, firstExtract)
	}
	if n := f.MaxInFlight(); n > 10 {
		t.Errorf("%d commands in flight, max_hosts is 10", n)
	}
	if !strings.Contains(out, "peers done 250/250") {
		t.Errorf("no final progress line:\n%s", out)
	}
}

// TestPeerInterrupted: cancelling the run stops the peers it started and
// removes their partial downloads.
func TestPeerInterrupted(t *testing.T) {
	f, words, tmp := peerRun(t)
	scriptStatus(f, "", "progress have=1 total=60000") // never done
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.Respond = func(host, cmd string) (taskstest.Reply, bool) {
		if strings.Contains(cmd, " status ") && len(f.HostsRunning(" status ")) == len(allPeers) {
			cancel()
		}
		return taskstest.Reply{}, false
	}
	_, err := runCtx(ctx, t, f, fleetYAML, "murder:peer", words...)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	stop := remote.Command(agent, "stop", "--missing-ok", "--run-dir", "/opt/murder/run", "peer", "Deploy1") +
		"; " + remote.Command(agent, "clean", tmp+"/Deploy1.tgz", tmp+"/Deploy1.tgz.torrent", tmp+"/Deploy1.tgz.part")
	if got := f.HostsRunning(stop); !slices.Equal(got, allPeers) {
		t.Errorf("stopped peers on %q, want all", got)
	}
	if got := f.HostsRunning(" extract "); len(got) != 0 {
		t.Errorf("extracted on %q after the interrupt", got)
	}
}

func TestProgressLine(t *testing.T) {
	for _, tt := range []struct {
		b    float64
		want string
	}{{0, "0.0 B"}, {999, "999.0 B"}, {1500, "1.5 KB"}, {2.5e6, "2.5 MB"}, {3e9, "3.0 GB"}, {4e15, "4000.0 TB"}} {
		if got := humanBytes(tt.b); got != tt.want {
			t.Errorf("humanBytes(%v) = %q, want %q", tt.b, got, tt.want)
		}
	}
	now := time.Unix(1000, 0)
	// Outside a run the progress line writes nowhere and reads the real
	// clock: start it at the test's clock.
	p := newProgress(context.Background(), 4, 1000)
	p.start = now
	p.show(500, 0, 0) // no host has answered twice yet
	if got := p.line(500, 0, 0, now); !strings.HasSuffix(got, "ETA ?") {
		t.Errorf("line before any rate = %q, want ETA ?", got)
	}
	now = now.Add(2 * time.Second)
	p.show(2500, 500, 1)
	want := "peers done 1/4, 500.0 B/s fleet-wide, elapsed 2s, ETA 3s"
	if got := p.line(2500, 500, 1, now); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	if got := p.line(4000, 500, 4, now); !strings.HasSuffix(got, "ETA 0s") {
		t.Errorf("finished line = %q, want ETA 0s", got)
	}
}

func TestPollGap(t *testing.T) {
	at := time.Unix(1000, 0)
	for _, tt := range []struct {
		name      string
		prev, cur pollMark
		want      time.Duration
	}{
		{"first answer", pollMark{}, pollMark{10, at}, pollEvery},
		{"no progress", pollMark{10, at}, pollMark{10, at.Add(time.Second)}, pollEvery},
		{"far from done", pollMark{0, at}, pollMark{2, at.Add(time.Second)}, maxPollGaps * pollEvery}, // 49 s left: capped
		{"half the rest", pollMark{0, at}, pollMark{20, at.Add(time.Second)}, 2 * time.Second},        // 80 B left at 20 B/s: 4 s
		{"near the end", pollMark{0, at}, pollMark{95, at.Add(time.Second)}, pollEvery},
	} {
		if got := pollGap(100, tt.prev, tt.cur); got != tt.want {
			t.Errorf("%s: pollGap = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestFollowerSum: the fleet's rate is the sum of the unfinished hosts'
// own rates, whenever each last answered; a finished host counts whole.
func TestFollowerSum(t *testing.T) {
	at := time.Unix(1000, 0)
	if got := markRate(pollMark{}, pollMark{10, at}); got != 0 {
		t.Errorf("markRate of a first answer = %v, want 0", got)
	}
	if got := markRate(pollMark{10, at}, pollMark{30, at.Add(2 * time.Second)}); got != 10 {
		t.Errorf("markRate = %v, want 10", got)
	}
	f := &follower{size: 100,
		marks: map[string]hostMarks{
			"a": {prev: pollMark{0, at}, cur: pollMark{40, at.Add(4 * time.Second)}},          // 10 B/s
			"b": {prev: pollMark{10, at}, cur: pollMark{20, at.Add(2 * time.Second)}},         // 5 B/s
			"c": {prev: pollMark{20, at}, cur: pollMark{90, at.Add(time.Second)}, done: true}, // finished: whole, no rate
		}}
	bytes, rate, done := f.sum()
	if bytes != 160 || rate != 15 || done != 1 {
		t.Errorf("sum = %d B at %v B/s, %d done; want 160 B at 15 B/s, 1 done", bytes, rate, done)
	}
}
