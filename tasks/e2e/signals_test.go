package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/taskstest"
	"github.com/murderfleet/murder/tasks/testfleet"
)

// sigExitLimit is how long `go tool mage` may take to exit after a signal:
// the 5 s mage allows a target after ^C, plus the process exit.
const sigExitLimit = 10 * time.Second

// TestSignals: ^C (SIGINT), SIGTERM and SIGHUP to the process group of the
// real `go tool mage`, at every stage of murder:peer and deploy, stop what
// the target started: mage exits non-zero within sigExitLimit, no agent
// worker it started is left on any host (the tracker the deploy's hook
// started included), no release of the interrupted deploy remains,
// current is unchanged, and the output says what was stopped. One fleet
// serves every case: first the murder:peer cases (the test's own tracker
// and seeder), then the deploy cases (the documented hooks start and stop
// the tracker).
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the magefile")
	}
	began := time.Now()
	d := newFaultDeployment(t, faultSetup{hosts: 4, rate: faultRate, size: faultSize})
	cfg := filepath.Join(d.dir, "murder.yaml")
	// Compile the magefile once, so that no case measures a build.
	if out, err := mageCmd(cfg, "-l").CombinedOutput(); err != nil {
		t.Fatalf("mage -l: %v\n%s", err, out)
	}
	t.Logf("fleet and magefile ready after %v", time.Since(began).Round(100*time.Millisecond))

	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
	var ran []string
	record := func(name string, ok bool) {
		res := "passed"
		if !ok {
			res = "FAILED"
		}
		ran = append(ran, name+" "+res)
	}
	defer func() {
		t.Logf("cases (%v in all):\n  %s", time.Since(began).Round(time.Second), strings.Join(ran, "\n  "))
	}()

	// murder:peer, with the test's own tracker and seeder.
	tag := fmt.Sprintf("Signals%d", os.Getpid())
	d.mustRun("murder:start_tracker")
	d.mustRun("murder:create_torrent", "tag="+tag, "files_path="+d.sample)
	d.mustRun("murder:start_seeding", "tag="+tag)

	peerStages := []struct {
		name string
		// when blocks until the moment to signal.
		when func(t *testing.T, m *sigMage)
	}{
		{"downloading", func(t *testing.T, m *sigMage) {
			m.waitUntil(t, 60*time.Second, "a peer holds data", func() bool {
				line := peerStatus(d.peers()[0], tag)
				return statusField(line, "have") > 0
			})
		}},
		// Before any byte: as the peers are started.
		{"peer-started", func(t *testing.T, m *sigMage) {
			m.waitUntil(t, 60*time.Second, "a peer process", func() bool { return peerRunning(d.peers()[0]) })
		}},
		// Before any byte: as murder:peer connects to the hosts.
		{"starting", func(t *testing.T, m *sigMage) {
			m.waitUntil(t, 60*time.Second, "executing `murder:peer'", func() bool {
				return strings.Contains(m.output(), "executing `murder:peer'")
			})
		}},
	}
	for _, st := range peerStages {
		for _, sig := range signals {
			name := "peer/" + st.name + "/" + sigName(sig)
			ok := t.Run(name, func(t *testing.T) {
				t.Cleanup(func() {
					if t.Failed() { // leave the next case a clean fleet
						stopKinds(d.peers(), "peer")
					}
				})
				m := startMage(t, cfg, "murder:peer", "tag="+tag, "destination_path=/tmp/dest",
					"local_temp_path="+d.local) // where create_torrent left the .torrent and the key
				st.when(t, m)
				t.Logf("signal %s; peer status on %s: %q", sigName(sig), d.peers()[0].Name, peerStatus(d.peers()[0], tag))
				m.signal(t, sig)
				out := m.wait(t)
				if !strings.Contains(out, "interrupted: stopping peers") {
					t.Errorf("output does not say that it stopped the peers (\"interrupted: stopping peers\")")
				}
				checkNoWorkers(t, d.fleet.Hosts, "peer")
				for _, h := range d.peers() {
					if peerRunning(h) {
						t.Errorf("host %s: a peer still runs (pid file in /tmp/murder/run)", h.Name)
					}
					if m, _ := filepath.Glob(h.Path("/tmp/" + tag + ".tgz*")); len(m) > 0 {
						t.Errorf("host %s: temporary files left: %v", h.Name, m)
					}
					checkNothingExtracted(t, h, "/tmp/dest/"+tag)
				}
			})
			record(name, ok)
		}
	}

	// The test's tracker and seeder go; from here on the deploy's hooks
	// start and stop them.
	d.mustRun("murder:stop_seeding", "tag="+tag)
	d.mustRun("murder:stop_tracker")
	d.mustRun("murder:clean_temp_files", "tag="+tag)
	// create_torrent uploads the .torrent to the tracker host too (to
	// register it there), but clean_temp_files runs on peers and seeder
	// only: that copy stays. Not the signals' doing, so noted, removed.
	if tr := d.fleet.Hosts[0].Path("/tmp/" + tag + ".tgz.torrent"); fileExists(tr) {
		t.Logf("NOTE: murder:clean_temp_files left %s on the tracker host %s", "/tmp/"+tag+".tgz.torrent", d.fleet.Hosts[0].Name)
		os.Remove(tr)
	}
	checkNoWorkers(t, d.fleet.Hosts, "")
	if t.Failed() {
		t.FailNow()
	}
	d.extraSet = deploySet(d.sample)
	d.writeConfig(deployHooks)
	d.mustRun("deploy:setup")

	deployStages := map[string]func(t *testing.T, m *sigMage){
		// deploy:updating's murder:peer: the release being downloaded and
		// unpacked on the peers.
		"peer": func(t *testing.T, m *sigMage) {
			m.waitUntil(t, 90*time.Second, "a peer runs", func() bool { return peerRunning(d.peers()[0]) })
		},
		// deploy:updating's murder:create_torrent: the release archive is
		// on the seeder, which does not seed yet.
		"create_torrent": func(t *testing.T, m *sigMage) {
			m.waitUntil(t, 60*time.Second, "executing `murder:create_torrent'", func() bool {
				return strings.Contains(m.output(), "executing `murder:create_torrent'")
			})
		},
		// deploy:updating as it starts: the build (then upload and
		// create_torrent).
		"updating": func(t *testing.T, m *sigMage) {
			m.waitUntil(t, 60*time.Second, "executing `deploy:updating'", func() bool {
				return strings.Contains(m.output(), "executing `deploy:updating'")
			})
		},
	}
	type deployCase struct {
		stage string
		sig   syscall.Signal
	}
	// The first case runs before any release exists (current absent); a
	// good deploy follows, which the other cases must leave current.
	cases := []deployCase{{"updating", syscall.SIGINT}}
	for _, stage := range []string{"peer", "updating", "create_torrent"} {
		for _, sig := range signals {
			if (deployCase{stage, sig}) != cases[0] {
				cases = append(cases, deployCase{stage, sig})
			}
		}
	}
	prev := "" // the release current points at; "" none
	lastDeploy := time.Time{}
	for i, c := range cases {
		// Release names have one-second resolution.
		time.Sleep(time.Until(lastDeploy.Add(1100 * time.Millisecond)))
		if i == 1 {
			// The good deploy whose release the other cases must keep
			// current. If it fails, they run on with no release.
			lastDeploy = time.Now()
			if _, err := d.run("deploy"); err != nil {
				t.Errorf("the good deploy before the remaining cases failed: %v", err)
			} else {
				prev = currentOrNone(t, d.peers()[0])
				d.verifyRelease(prev)
			}
			checkNoWorkers(t, d.fleet.Hosts, "")
			time.Sleep(time.Until(lastDeploy.Add(1100 * time.Millisecond)))
		}
		name := "deploy/" + c.stage + "/" + sigName(c.sig)
		ok := t.Run(name, func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					d.stopEverything()
				}
			})
			m := startMage(t, cfg, "deploy")
			lastDeploy = time.Now()
			deployStages[c.stage](t, m)
			m.signal(t, c.sig)
			out := m.wait(t)
			wants := []string{"removing release"}
			if c.stage == "peer" {
				wants = append(wants, "interrupted: stopping peers")
			}
			for _, w := range wants {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q", w)
				}
			}
			checkNoWorkers(t, d.fleet.Hosts, "")
			rel := releaseRemoved.FindStringSubmatch(out)
			if rel == nil {
				t.Fatalf("the output names no release removed")
			}
			for _, h := range d.fleet.Hosts {
				// Nothing of this release: not the uploaded archive, the
				// seeder's TAG.tgz, a peer's download or a .torrent.
				if m, _ := filepath.Glob(h.Path("/tmp/" + rel[1] + ".*")); len(m) > 0 {
					t.Errorf("host %s: temporary files left: %v", h.Name, m)
				}
			}
			for _, h := range d.peers() {
				if got := currentOrNone(t, h); got != prev {
					t.Errorf("host %s: current is %q after the interrupted deploy, want %q", h.Name, got, prev)
				}
				// Only the previous release (none on a first deploy), and
				// no staging directory beside it.
				if got := strings.Join(releasesOn(t, h), " "); got != prev {
					t.Errorf("host %s: releases [%s] after the interrupted deploy, want [%s]", h.Name, got, prev)
				}
			}
		})
		record(name, ok)
	}
}

// releaseRemoved finds the release an interrupted deploy removed.
var releaseRemoved = regexp.MustCompile("removing release ([0-9]{14})")

func fileExists(p string) bool { _, err := os.Lstat(p); return err == nil }

// sigMage is a `go tool mage` run in its own process group.
type sigMage struct {
	cmd      *exec.Cmd
	out      *taskstest.Buffer
	done     chan struct{}
	err      error
	exited   time.Time
	signaled time.Time
	sig      syscall.Signal
}

// startMage starts `go tool mage args...` in its own process group, as a
// terminal would run it; the group is killed when the test ends, also if
// it fails.
func startMage(t *testing.T, cfg string, args ...string) *sigMage {
	t.Helper()
	m := &sigMage{cmd: mageCmd(cfg, args...), out: &taskstest.Buffer{}, done: make(chan struct{})}
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A process that keeps mage's output open after mage exits must not
	// hold the test forever.
	m.cmd.WaitDelay = 30 * time.Second
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := m.cmd.Process.Pid
	go func() {
		m.err = m.cmd.Wait()
		m.exited = time.Now()
		close(m.done)
	}()
	t.Cleanup(func() {
		// Only while a member is left is the group id surely still ours.
		if len(groupMembers(pgid)) > 0 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		<-m.done
	})
	return m
}

func (m *sigMage) output() string { return m.out.String() }

// waitUntil polls cond until it holds; it fails if mage ends first or the
// time runs out.
func (m *sigMage) waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		select {
		case <-m.done:
			t.Fatalf("mage ended (%v) before %s:\n%s", m.err, what, m.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v:\n%s", what, limit, m.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to mage's process group.
func (m *sigMage) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	select {
	case <-m.done:
		t.Fatalf("mage ended (%v) before the signal:\n%s", m.err, m.output())
	default:
	}
	m.signaled, m.sig = time.Now(), sig
	if err := syscall.Kill(-m.cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for mage and everything in its process group to end after
// the signal and checks that it failed, in time, and said so; it returns
// the output.
func (m *sigMage) wait(t *testing.T) string {
	t.Helper()
	pgid := m.cmd.Process.Pid
	select {
	case <-m.done:
	case <-time.After(sigExitLimit + 20*time.Second):
		t.Fatalf("mage still runs %v after the signal:\n%s", time.Since(m.signaled).Round(100*time.Millisecond), m.output())
	}
	// Wait returns when the go command has exited and mage's output is
	// closed, that is when the compiled magefile (which inherits it) has
	// exited too; SIGTERM and SIGHUP kill the go command and mage's
	// launcher at once.
	took := m.exited.Sub(m.signaled)
	out := m.output()
	t.Logf("mage exited %v after the signal (%v):\n%s", took.Round(10*time.Millisecond), m.err, out)
	if took > sigExitLimit {
		t.Errorf("mage took %v to exit after the signal, want at most %v", took.Round(10*time.Millisecond), sigExitLimit)
	}
	// The compiled magefile logs "Error: ..." and exits 1. mage's
	// launcher catches only SIGINT (then waits for the magefile and exits
	// with its status); SIGTERM and SIGHUP kill it, and `go tool` then
	// exits 0 (golang/go#79540: a tool killed by a signal has exit code
	// -1, which cmd/go's SetExitStatus ignores). That is the Go command's,
	// not murder's, so it is logged, not failed.
	if !strings.Contains(out, "Error: ") {
		t.Errorf("the compiled magefile reports no error (mage's \"Error: \") after the signal")
	}
	if m.err == nil {
		if m.sig != syscall.SIGINT && strings.Contains(out, "go tool mage: signal: ") {
			t.Logf("NOTE: `go tool mage` exited 0 after %s although the magefile failed (golang/go#79540)", sigName(m.sig))
		} else {
			t.Errorf("mage exited 0 after the signal")
		}
	}
	// The compiled magefile may still be tearing down when go tool mage,
	// killed by the signal, has gone: give it the moment it needs.
	left := groupMembers(pgid)
	for deadline := time.Now().Add(3 * time.Second); len(left) > 0 && time.Now().Before(deadline); left = groupMembers(pgid) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("processes of mage's group still run after it exited: %v", left)
	}
	return out
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var left []string
	for _, dir := range dirs {
		st, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		if len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		left = append(left, filepath.Base(dir)+" "+cmdline(filepath.Base(dir)))
	}
	return left
}

func cmdline(pid string) string {
	b, _ := os.ReadFile("/proc/" + pid + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// agentProcs lists the live murder-agent processes in h's network
// namespace. Hosts share this machine's process namespace, so a pgrep
// inside a host would also see every other host's (and other tests')
// agents; the host's network namespace tells its own.
func agentProcs(h *testfleet.Host) []string {
	out, err := exec.Command("ip", "netns", "pids", h.Netns).Output()
	if err != nil {
		return []string{"ip netns pids " + h.Netns + ": " + err.Error()}
	}
	var procs []string
	for _, pid := range strings.Fields(string(out)) {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			continue
		}
		if c := cmdline(pid); strings.Contains(c, "murder-agent") {
			procs = append(procs, pid+" "+c)
		}
	}
	return procs
}

// checkNoWorkers fails if a murder-agent worker of kind ("" any) runs on
// any of hosts. Short-lived agent commands (a status poll, or a start,
// whose SSH session was cut) get a few seconds to end; they must end too,
// and a start stops the worker it spawned before it ends, so workers are
// counted once they have.
func checkNoWorkers(t *testing.T, hosts []*testfleet.Host, kind string) {
	t.Helper()
	worker := "_worker " + kind
	for _, h := range hosts {
		var others []string
		deadline := time.Now().Add(3 * time.Second)
		for {
			others = others[:0]
			for _, p := range agentProcs(h) {
				if !strings.Contains(p, "_worker ") {
					others = append(others, p)
				}
			}
			if len(others) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(others) > 0 {
			t.Errorf("host %s: agent processes still running 3s later: %v", h.Name, others)
		}
		var workers []string
		for _, p := range agentProcs(h) {
			if strings.Contains(p, worker) {
				workers = append(workers, p)
			}
		}
		if len(workers) > 0 {
			t.Errorf("host %s: agent workers left running: %v", h.Name, workers)
		}
	}
}

// stopKinds stops every worker of the given kinds on hosts.
func stopKinds(hosts []*testfleet.Host, kinds ...string) {
	for _, h := range hosts {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		for _, kind := range kinds {
			_, _ = h.Exec(ctx, "/tmp/murder/murder-agent", "stop", "--all", "--grace", "2s", "--run-dir", "/tmp/murder/run", kind)
		}
		_, _ = h.Exec(ctx, "sh", "-c", "rm -rf /tmp/*.tgz* /tmp/dest")
		cancel()
	}
}

// currentOrNone is the release current points at on h, "" if none.
func currentOrNone(t *testing.T, h *testfleet.Host) string {
	t.Helper()
	target, err := os.Readlink(h.Path("/tmp/app/current"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatalf("host %s: current: %v", h.Name, err)
	}
	return filepath.Base(target)
}

func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}
