package murder

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
	"github.com/murderfleet/murder/tasks"
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
	scriptStatus(f, "", "progress have=512 total=1024",
		"done first_byte=0.100 downloaded=1.000 extracted=1.500 from_seeder=300 from_peers=724 extract_behind=512")
	out, rep, err := runReport(t, f, fleetYAML, "murder:peer", words...)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	torrent, tgz := tmp+"/Deploy1.tgz.torrent", tmp+"/Deploy1.tgz"
	status := agent + " status --run-dir /opt/murder/run --wait 1ms peer Deploy1"
	want := []string{
		// One session: the check, the .torrent on stdin, the start of a
		// peer that extracts by itself.
		agent + " prepare --check --require-empty /srv/app/Deploy1 && " +
			agent + " peer --no-wait --torrent-stdin --run-dir /opt/murder/run --tag Deploy1 --require-encryption --extract /srv/app/Deploy1 --extract-mode tree " + torrent + " " + tgz,
		status, // progress have=512
		status, // done
	}
	feed := agent + " swarm-status --every 1ms"
	for _, op := range f.Log() {
		if (strings.Contains(op.Op, "--torrent-stdin") || op.Op == feed) && !strings.HasPrefix(op.Input, "d8:announce") {
			t.Errorf("%s: %q got %q on stdin, want the .torrent", op.Host, op.Op, op.Input)
		}
	}
	for _, h := range allPeers {
		got := slices.DeleteFunc(f.Ops(h), func(op string) bool { return op == feed })
		if !slices.Equal(got, want) {
			t.Errorf("%s ran\n %q\nwant\n %q", h, got, want)
		}
	}
	// The progress comes from the tracker's host, in one session.
	if got := f.HostsRunning(feed); !slices.Equal(got, []string{"w01"}) {
		t.Errorf("progress followed on %q, want the tracker's host w01 once", got)
	}
	if got := f.Ops("db1"); len(got) != 0 {
		t.Errorf("db1 (no_release) ran %q", got)
	}
	for _, w := range []string{"peers done 4/4", " ** murder:peer ok on 4 host(s)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	checkPeerReport(t, rep.Hosts)
}

// checkPeerReport: each peer's marks are in order, the host's own moments
// placed after its start, and its bytes' sources and what it extracted
// after its download are counted.
func checkPeerReport(t *testing.T, hosts []tasks.HostResult) {
	t.Helper()
	if len(hosts) != len(allPeers) {
		t.Errorf("report hosts = %+v, want the 4 peers", hosts)
	}
	for _, h := range hosts {
		if !h.OK {
			t.Errorf("host %+v not ok", h)
		}
		m := h.Marks
		start := m["peer started"]
		near := func(name string, after float64) bool { return math.Abs(m[name]-(start+after)) < 0.0015 } // ms rounding
		if len(m) != 5 || !near("first byte", 0.1) || !near("downloaded", 1) || !near("extracted", 1.5) || m["result seen"] < start {
			t.Errorf("host %s: marks %v, want first byte, downloaded, extracted 0.1, 1 and 1.5 s after the start", h.Host, m)
		}
		if c := h.Counts; c["bytes from seeder"] != 300 || c["bytes from peers"] != 724 || c["bytes extracted after download"] != 512 {
			t.Errorf("host %s: counts %v, want 300 bytes from the seeder, 724 from peers and 512 extracted after the download", h.Host, c)
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
			name:  "extraction fails",
			setup: func(f *taskstest.Fleet) { scriptStatus(f, "w02", "error: extract: no space left on device") },
			step:  "peer", message: "extract: no space left on device",
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
			if got := f.HostsRunning(" status "); slices.Contains(got, "w02") != (tt.step == "peer") {
				t.Errorf("asked for results on %q: w02 included only if it started", got)
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
			for _, later := range []string{" status ", " swarm-status "} {
				if got := f.HostsRunning(later); len(got) != 0 {
					t.Errorf("%s ran on %q after every peer failed", later, got)
				}
			}
			// The start shares the check's command line (prepare && peer):
			// the shell never reaches it when the check fails.
		})
	}
}

// TestPeerHungHost: a host whose status does not answer within three SSH
// timeouts (and the wait it was asked for) fails with words that say so.
func TestPeerHungHost(t *testing.T) {
	f, words, _ := peerRun(t)
	f.Delay = 100 * time.Millisecond
	yaml := strings.Replace(fleetYAML, "max_hosts: 2", "max_hosts: 2\n  timeout: 5ms", 1)
	_, err := run(t, f, yaml, "murder:peer", words...)
	for _, h := range allPeers {
		want := "host " + h + ": peer: status: no answer within 16ms (host hung or cut off)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run = %v, want an error with %q", err, want)
		}
	}
}

// TestPeerFeedNeedsTwoSlots: with max_hosts 1 the tracker's progress
// feed, which holds a slot throughout, is not started: the results alone
// would wait behind it.
func TestPeerFeedNeedsTwoSlots(t *testing.T) {
	f, words, _ := peerRun(t)
	yaml := strings.Replace(fleetYAML, "max_hosts: 2", "max_hosts: 1", 1)
	if out, err := run(t, f, yaml, "murder:peer", words...); err != nil {
		t.Errorf("Run: %v\n%s", err, out)
	}
	if got := f.HostsRunning(" swarm-status "); len(got) != 0 {
		t.Errorf("progress followed on %q with max_hosts 1", got)
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
// started before any is asked for its result, so all of them download
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
	lastStart, firstAsk, starts := -1, -1, 0
	for i, op := range ops {
		switch {
		case strings.Contains(op, " peer --no-wait "):
			lastStart = i
			starts++
		case strings.Contains(op, " status ") && firstAsk < 0:
			firstAsk = i
		}
	}
	if starts != 250 {
		t.Fatalf("%d peers started, want 250", starts)
	}
	if lastStart > firstAsk {
		t.Errorf("peer %d was started (op %d) after the first ask (op %d): waves, not one swarm", starts, lastStart, firstAsk)
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

// TestFollowerSum: finished hosts count whole, unfinished ones as they
// last answered, and the tracker's view wins when it says more.
func TestFollowerSum(t *testing.T) {
	f := &follower{size: 100, seeders: 1, have: map[string]int64{"a": 40, "b": 20}, done: 1}
	if bytes, done := f.sum(4); bytes != 160 || done != 1 {
		t.Errorf("sum = %d B, %d done; want 160 B, 1 done", bytes, done)
	}
	// The seeder and two finished peers are seeds; two peers miss 30 B.
	f.swarm, f.swarmKnown = agentproto.Swarm{Seeds: 3, Leechers: 2, Left: 30}, true
	if bytes, _ := f.sum(4); bytes != 370 {
		t.Errorf("sum with the tracker's view = %d B, want 370", bytes)
	}
	// Never more than the whole fleet's share.
	f.swarm = agentproto.Swarm{Seeds: 9, Leechers: 0}
	if bytes, _ := f.sum(4); bytes != 400 {
		t.Errorf("sum capped = %d B, want 400", bytes)
	}
}

func TestRateWindow(t *testing.T) {
	at := time.Unix(1000, 0)
	var w rateWindow
	if got := w.add(at, 0); got != 0 {
		t.Errorf("first sample: rate %v, want 0", got)
	}
	w.add(at.Add(2*time.Second), 100)
	if got := w.add(at.Add(4*time.Second), 400); got != 100 {
		t.Errorf("rate = %v, want 100 B/s over 4 s", got)
	}
	// Samples older than the span are dropped: a stall shows as a
	// falling rate, not as the run's average.
	for i := 5; i <= 30; i++ {
		w.add(at.Add(time.Duration(i)*time.Second), 400)
	}
	if got := w.add(at.Add(31*time.Second), 400); got != 0 {
		t.Errorf("rate after a long stall = %v, want 0", got)
	}
}
