// Package scalebench measures murder's controller on a simulated fleet of
// up to tens of thousands of hosts on one machine (go tool mage
// scalebench): the controller (tasks.Run with package murder's tasks) and
// the SSH layer are real, the hosts are not. Each host is an SSH server on
// its own loopback address 127.1.x.y, in a separate process (simfleet),
// whose agent answers murder's commands from a model: a peer started at t
// holds min(size, rate*(now-t)) bytes, status --wait blocks until done,
// extract takes a fixed time, uploads are counted and discarded.
//
// All hosts share one host key; known_hosts lists every address with it,
// so host key checking stays strict. The tracker is not run: start_tracker
// is answered by the simulated agent, and no simulated peer announces.
//
// A simfleet process serves at most ShardHosts hosts (a listener and a
// connection each), so that a fleet of 10,000 fits under an open-files
// hard limit of 20,000. RESULTS.md holds a measured run and what it shows.
package scalebench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/murder"
)

// Tag names the bench's transfer.
const Tag = "Scale1"

// step is one task of the sequence: its words, the hosts it runs on and
// whether it is profiled (at the largest fleet, with profile=).
type step struct {
	task    string
	words   []string
	on      hostsOn
	profile bool
}

// hostsOn is which hosts of the fleet a step runs on.
type hostsOn int

const (
	onPeers hostsOn = iota // the peers
	onAll                  // the peers, and the tracker and seeder's host
	onOne                  // the tracker and seeder's host
)

// count is how many hosts that is in a fleet of n peers.
func (h hostsOn) count(n int) int {
	switch h {
	case onAll:
		return n + 1
	case onOne:
		return 1
	}
	return n
}

var sequence = []step{
	{"murder:distribute_files", nil, onAll, true},
	{"murder:start_tracker", nil, onOne, false},
	{"murder:create_torrent", []string{"tag=" + Tag, "files_path=/srv/build"}, onOne, false},
	{"murder:start_seeding", []string{"tag=" + Tag}, onOne, false},
	{"murder:peer", []string{"tag=" + Tag, "destination_path=/srv/app"}, onPeers, true},
	{"murder:stop_seeding", []string{"tag=" + Tag}, onOne, false},
	{"murder:stop_tracker", nil, onOne, false},
	{"murder:clean_temp_files", []string{"tag=" + Tag}, onAll, true},
}

// Row is one task's measurement at one fleet size.
type Row struct {
	Hosts      int              `json:"hosts"`      // peers (the fleet has one more host: tracker and seeder)
	Task       string           `json:"task"`       // murder:...
	TaskHosts  int              `json:"task_hosts"` // hosts the task runs on
	WallS      float64          `json:"wall_s"`
	AddedS     float64          `json:"added_s,omitempty"` // murder:peer: wall minus the swarm's own time
	CPUS       float64          `json:"cpu_s"`             // the controller's user+system CPU
	PeakRSSMiB float64          `json:"peak_rss_mib"`      // the controller's peak RSS during the task (VmHWM after a reset)
	Conns      int64            `json:"conns"`
	Sessions   int64            `json:"sessions"`
	PerHost    float64          `json:"sessions_per_host"`
	SentBytes  int64            `json:"sent_bytes"` // TCP bytes the fleet received from the controller
	PutBytes   int64            `json:"put_bytes"`  // of which SFTP file data
	FleetCPUS  float64          `json:"fleet_cpu_s"`
	Err        string           `json:"error,omitempty"`
	Kinds      map[string]int64 `json:"commands"`
	// The runtime's maxima during the task, sampled every 200 ms: where
	// the controller's memory goes (goroutine stacks against heap objects).
	MaxGoroutines int64   `json:"max_goroutines"`
	MaxStacksMiB  float64 `json:"max_stacks_mib"`
	MaxHeapMiB    float64 `json:"max_heap_objects_mib"`
	// Phases: for each kind of command, when the fleet answered the first
	// and the last one, in seconds since the task started.
	Phases      map[string][2]float64 `json:"phases"`
	AgentCopies int64                 `json:"agent_copies,omitempty"`  // distribute_files: agent uploads
	AgentFetch  int64                 `json:"agent_fetched,omitempty"` // distribute_files: hosts that fetched it from another
	RealBytes   int64                 `json:"real_agent_bytes,omitempty"`
}

// Results are a whole run's rows and where they are kept.
type Results struct {
	Dir       string        `json:"-"`
	Params    Options       `json:"-"`
	SwarmS    float64       `json:"swarm_s"`
	Size      int64         `json:"size_bytes"`
	RateBits  float64       `json:"rate_bits"`
	MaxHosts  int           `json:"max_hosts"`
	AgentSize int64         `json:"fake_agent_bytes"`
	RealAgent int64         `json:"real_agent_bytes"`
	Rows      []Row         `json:"rows"`
	Setup     []SetupRow    `json:"setup"`
	Profile   string        `json:"cpu_profile,omitempty"`
	Started   time.Time     `json:"started"`
	Took      time.Duration `json:"took_ns"`
}

// SetupRow is what preparing a fleet size cost, outside the tasks.
type SetupRow struct {
	Hosts       int     `json:"hosts"`
	FleetStartS float64 `json:"fleet_start_s"`
	ConfigLoadS float64 `json:"config_load_s"`
}

func (o Options) logf(format string, a ...any) {
	if o.Stdout != nil {
		o.Stdout(format, a...)
	}
}

// Run builds the simulated fleet, then for each hosts= value starts it,
// runs murder's sequence through tasks.Run in this process and measures
// each task. Results are written to o.Out/scale-<timestamp>/.
func Run(ctx context.Context, o Options) (*Results, error) {
	if err := RaiseNoFile(); err != nil {
		return nil, fmt.Errorf("scalebench: open files limit: %w", err)
	}
	started := time.Now()
	dir, err := filepath.Abs(filepath.Join(o.Out, "scale-"+started.UTC().Format("20060102-150405")))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "local"), 0o700); err != nil {
		return nil, err
	}
	res := &Results{Dir: dir, Params: o, SwarmS: o.SwarmTime().Seconds(), Size: o.Size, RateBits: o.RateBits,
		MaxHosts: o.MaxHosts, AgentSize: o.AgentSize, RealAgent: o.RealAgent, Started: started}
	bin := filepath.Join(dir, "simfleet")
	if err := buildFleet(ctx, o.GoCmd, bin); err != nil {
		return res, err
	}
	keys, err := writeKeys(dir)
	if err != nil {
		return res, err
	}
	agent := filepath.Join(dir, "fake-agent")
	if err := os.WriteFile(agent, make([]byte, o.AgentSize), 0o755); err != nil {
		return res, err
	}
	logf, err := os.Create(filepath.Join(dir, "tasks.log"))
	if err != nil {
		return res, err
	}
	defer logf.Close()
	var errs []error
	for i, n := range o.Hosts {
		profile := ""
		if o.Profile && i == len(o.Hosts)-1 {
			profile = dir
			res.Profile = filepath.Join(dir, fmt.Sprintf("peer-%d.cpu.pprof", n))
		}
		start := func(ctx context.Context) (simFleet, error) { return startFleet(ctx, o, bin, n+1, keys, logf) }
		rows, setup, err := runSize(ctx, o, n, dir, start, keys, agent, logf, profile)
		res.Rows = append(res.Rows, rows...)
		res.Setup = append(res.Setup, setup)
		if err != nil {
			errs = append(errs, fmt.Errorf("hosts=%d: %w", n, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	res.Took = time.Since(started)
	if werr := res.Write(); werr != nil {
		errs = append(errs, werr)
	}
	return res, errors.Join(errs...)
}

// buildFleet builds the simfleet command.
func buildFleet(ctx context.Context, gocmd, out string) error {
	if gocmd == "" {
		gocmd = "go"
		if g := os.Getenv("MAGEFILE_GOCMD"); g != "" {
			gocmd = g
		}
	}
	cmd := exec.CommandContext(ctx, gocmd, "build", "-o", out, "github.com/murderfleet/murder/tasks/scalebench/simfleet")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scalebench: building simfleet: %v\n%s", err, b)
	}
	return nil
}

type keyFiles struct {
	hostKey, clientKey, clientPub string
	hostPub                       ssh.PublicKey
}

// writeKeys makes the one host key every simulated host presents and the
// controller's identity.
func writeKeys(dir string) (keyFiles, error) {
	var k keyFiles
	write := func(name string) (ssh.PublicKey, string, error) {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, "", err
		}
		block, err := ssh.MarshalPrivateKey(priv, "scalebench")
		if err != nil {
			return nil, "", err
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, "", err
		}
		sp, err := ssh.NewPublicKey(pub)
		return sp, p, err
	}
	var err error
	if k.hostPub, k.hostKey, err = write("host_key"); err != nil {
		return k, err
	}
	cpub, cpath, err := write("id_ed25519")
	if err != nil {
		return k, err
	}
	k.clientKey, k.clientPub = cpath, cpath+".pub"
	return k, os.WriteFile(k.clientPub, ssh.MarshalAuthorizedKey(cpub), 0o644)
}

// fakeAgents hands distribute_files the small fake agent for every
// platform.
type fakeAgents struct{ path string }

func (f fakeAgents) Build(context.Context, string, string) (string, string, error) {
	return f.path, strings.Repeat("0", 64), nil
}

// runSize runs the sequence on a fleet of n peers.
func runSize(ctx context.Context, o Options, n int, dir string, start func(context.Context) (simFleet, error), keys keyFiles, agent string, logf io.Writer, profile string) ([]Row, SetupRow, error) {
	setup := SetupRow{Hosts: n}
	o.logf("scalebench: hosts=%d: starting the simulated fleet (%d addresses, %d process(es))\n", n, n+1, (n+ShardHosts)/ShardHosts)
	t0 := time.Now()
	fp, err := start(ctx)
	if err != nil {
		return nil, setup, err
	}
	defer fp.stop()
	setup.FleetStartS = time.Since(t0).Seconds()
	path, err := config(o, dir, n, keys)
	if err != nil {
		return nil, setup, err
	}
	t0 = time.Now()
	cfg, err := roles.Options{Vars: tasks.DeclaredVars()}.Load(path)
	if err != nil {
		return nil, setup, fmt.Errorf("loading %s: %w", path, err)
	}
	setup.ConfigLoadS = time.Since(t0).Seconds()
	if _, err := fp.stats(); err != nil { // reset
		return nil, setup, err
	}
	ctx = murder.WithAgents(ctx, fakeAgents{agent})
	var rows []Row
	var errs []error
	for _, s := range sequence {
		if len(o.Tasks) > 0 && !contains(o.Tasks, s.task) {
			continue
		}
		row, err := measureStep(ctx, o, n, s, fp, cfg, logf, profile)
		if err != nil {
			return rows, setup, err
		}
		rows = append(rows, row)
		if row.Err != "" {
			// Go on: a host lost in one task does not stop the others
			// from being measured; the error is in the row.
			errs = append(errs, fmt.Errorf("%s: %s", s.task, row.Err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return rows, setup, errors.Join(errs...)
}

// measureStep runs one task of the sequence on the fleet and measures it.
// The task's own failure is the row's Err; an error is the fleet's.
func measureStep(ctx context.Context, o Options, n int, s step, fp simFleet, cfg *roles.Config, logf io.Writer, profile string) (Row, error) {
	fmt.Fprintf(logf, "\n=== hosts=%d $ go tool mage %s %s\n", n, s.task, strings.Join(s.words, " "))
	row := Row{Hosts: n, Task: s.task, TaskHosts: s.on.count(n)}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	fleetCPU0, cpu0 := fp.cpu(), SelfCPU()
	stopProfile := profileStep(o, s, n, profile)
	stopSampler := sampleRuntime(&row)
	t := time.Now()
	runErr := tasks.Run(ctx, s.task, s.words, tasks.Options{Stdout: logf, Config: cfg, Getenv: func(string) string { return "" }})
	row.WallS = time.Since(t).Seconds()
	row.CPUS = (SelfCPU() - cpu0).Seconds()
	stopSampler()
	stopProfile()
	row.PeakRSSMiB = float64(peakRSS()) / (1 << 20)
	row.FleetCPUS = fp.cpu() - fleetCPU0
	c, err := fp.stats()
	if err != nil {
		return row, err
	}
	row.count(c, t, o)
	if s.task == "murder:peer" {
		ph := func(k string) string { return fmt.Sprintf("%s %.1f-%.1fs", k, row.Phases[k][0], row.Phases[k][1]) }
		o.logf("scalebench: hosts=%d murder:peer phases: %s, %s, %s, %s\n", n, ph("prepare-check"), ph("peer"), ph("status"), ph("extract"))
	}
	if runErr != nil {
		row.Err = firstLine(runErr.Error())
	}
	o.logf("scalebench: hosts=%d %-24s wall %7.2fs cpu %6.2fs rss %6.0fMiB sessions/host %5.2f sent %s%s\n",
		n, s.task, row.WallS, row.CPUS, row.PeakRSSMiB, row.PerHost, human(row.SentBytes), errNote(row.Err))
	return row, nil
}

// count fills row with the fleet's counters c for a task started at t.
func (row *Row) count(c Counters, t time.Time, o Options) {
	row.Conns, row.Sessions, row.SentBytes, row.PutBytes, row.Kinds = c.Conns, c.Sessions, c.RxBytes, c.PutBytes, c.Kinds
	row.PerHost = float64(c.Sessions) / float64(row.TaskHosts)
	row.Phases = map[string][2]float64{}
	for k, first := range c.First {
		row.Phases[k] = [2]float64{float64(first-t.UnixNano()) / 1e9, float64(c.Last[k]-t.UnixNano()) / 1e9}
	}
	if row.Task == "murder:peer" {
		row.AddedS = row.WallS - o.SwarmTime().Seconds()
	}
	if row.Task == "murder:distribute_files" && o.AgentSize > 0 {
		row.AgentCopies = c.PutBytes / o.AgentSize
		row.AgentFetch = c.Kinds[string(KFetch)]
		row.RealBytes = row.AgentCopies * o.RealAgent
	}
}

func errNote(e string) string {
	if e == "" {
		return ""
	}
	return " FAILED: " + e
}

// firstLine is s's first line that is not blank.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
