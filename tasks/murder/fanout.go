package murder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks"
)

// distribute_files in three steps, so that the controller's uplink carries
// a few copies of the agent instead of one per host, ten thousand of them
// for a fleet of ten thousand:
//
//  1. every host reports its facts and its agent's SHA-256 (one session;
//     a host already running the build is done);
//  2. the controller uploads the agent to agent_sources of the others,
//     split across platforms, which then serve it (murder-agent
//     serve-agent);
//  3. the rest fetch it in waves, each server feeding up to fanout hosts
//     per wave, and those serve the next wave: the servers grow
//     geometrically, so 10,000 hosts take four waves from 20 sources.
//
// A host that cannot fetch (no curl nor wget, a source gone, another
// SHA-256) gets the upload instead, and a source that failed a fetch
// serves no one again.

// fanout is how many hosts one server feeds per wave: fewer than
// serve-agent's 8 transfers at once, so that none waits.
const fanout = 4

// splitSources gives each platform, of counts[i] hosts needing the agent,
// its share of n uploads from the controller: at least one each, then one
// more at a time to the platform with the most hosts per source, never
// more than its hosts.
func splitSources(counts []int, n int) []int {
	q := make([]int, len(counts))
	total := 0
	for i, c := range counts {
		if c > 0 {
			q[i], total = 1, total+1
		}
	}
	for ; total < n; total++ {
		best := -1
		for i, c := range counts {
			if q[i] < c && (best < 0 || c*q[best] > counts[best]*q[i]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		q[best]++
	}
	return q
}

// assign pairs the first of waiting hosts with servers for one wave:
// host i fetches from server i mod servers, fanout hosts per server at
// most. It returns each paired host's server index.
func assign(servers, waiting int) []int {
	idx := make([]int, min(waiting, servers*fanout))
	for i := range idx {
		idx[i] = i % servers
	}
	return idx
}

// waves is how many waves of fetches n hosts take from sources servers
// when every fetch succeeds.
func waves(n, sources int) int {
	w := 0
	for have := min(n, sources); have > 0 && have < n; w++ {
		have += min(n-have, have*fanout)
	}
	return w
}

// target is a host that needs the agent.
type target struct {
	server     *roles.Host
	s          settings
	platform   string // goos/goarch
	local, sum string // the build to install
	empty      bool   // remote_murder_path holds entries to remove first
	serve      bool   // serve the agent once installed: others will fetch it
	from       *target
	url        string      // where it serves the agent, once it does
	bad        atomic.Bool // a fetch from it failed: no one fetches from it again
}

// distribution is one run of distribute_files.
type distribution struct {
	b       AgentBuilder
	sources int // agent_sources
	port    int // agent_port
	noFetch atomic.Bool

	mu   sync.Mutex
	data map[string][]byte // each build's bytes, read once

	uploaded, fetched atomic.Int64
}

// distributeFiles puts the agent built for each host's platform into a
// remote_murder_path the guard (guard.go) accepts, unless the host
// already runs the identical build: the controller uploads it to a few
// hosts and the others fetch it from those (see above).
func distributeFiles(ctx context.Context) error {
	sel := tasks.Roles(roleTracker, roleSeeder, rolePeer).Step("distribute files")
	if tasks.DryRun(ctx) {
		return tasks.On(ctx, sel, func(ctx context.Context, h *tasks.Host) error {
			return dryRunDistribute(ctx, h, settingsOf(ctx, h))
		})
	}
	d := &distribution{b: agents(ctx), data: map[string][]byte{}}
	var err error
	if d.sources, d.port, err = fanoutArgs(ctx); err != nil {
		return err
	}
	var mu sync.Mutex
	found := map[*roles.Host]*target{}
	res := tasks.Each(ctx, sel, func(ctx context.Context, h *tasks.Host) error {
		t, err := d.check(ctx, h, settingsOf(ctx, h))
		if t != nil {
			mu.Lock()
			found[h.Server()] = t
			mu.Unlock()
		}
		return err
	})
	var todo []*target
	for _, r := range res {
		if r.Host != nil && found[r.Host.Server()] != nil {
			todo = append(todo, found[r.Host.Server()])
		}
	}
	err = d.run(ctx, todo)
	if len(todo) > 0 {
		tasks.Log(ctx, "distribute files: the controller sent the agent to %d host(s); %d fetched it from other hosts", d.uploaded.Load(), d.fetched.Load())
	}
	return errors.Join(res.Err(), err)
}

// fanoutArgs reads agent_sources and agent_port.
func fanoutArgs(ctx context.Context) (int, int, error) {
	n, err := strconv.Atoi(tasks.Arg(ctx, "agent_sources"))
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf("agent_sources=%q: want a number of hosts, at least 1", tasks.Arg(ctx, "agent_sources"))
	}
	port, err := strconv.Atoi(tasks.Arg(ctx, "agent_port"))
	if err != nil || port < 0 || port > 65535 {
		return 0, 0, fmt.Errorf("agent_port=%q: want a port number (0: any free port)", tasks.Arg(ctx, "agent_port"))
	}
	return n, port, nil
}

// dryRunDistribute prints what distribute_files may run on h.
func dryRunDistribute(ctx context.Context, h *tasks.Host, s settings) error {
	if err := checkMurderPath(s.MurderPath); err != nil {
		return err
	}
	fetch := install{url: agentURL("SOURCE", 0, "SHA256"), sum: "SHA256", empty: true, serve: true}
	for _, line := range []string{s.factsCmd(), s.prepareCmd(), s.installCmd(fetch)} {
		_ = h.Run(ctx, line)
	}
	h.Info("upload the agent built for its platform to " + s.agent() + ", or fetch it from a host that has it")
	return nil
}

// check is step 1 on one host: the guard, and whether it needs the agent.
func (d *distribution) check(ctx context.Context, h *tasks.Host, s settings) (*target, error) {
	if err := checkMurderPath(s.MurderPath); err != nil {
		return nil, err
	}
	f, err := inspect(ctx, h, s)
	if err != nil {
		return nil, err
	}
	goos, goarch, err := platform(f.uname)
	if err != nil {
		return nil, err
	}
	local, sum, err := d.b.Build(ctx, goos, goarch)
	if err != nil {
		return nil, err
	}
	if f.agent == sum {
		h.Info(fmt.Sprintf("agent %s/%s is up to date (sha256:%.12s)", goos, goarch, sum))
		return nil, nil
	}
	if f.count >= maxMurderEntries {
		return nil, fmt.Errorf("Cowardly refusing to remove files! Check the remote_murder_path (%s holds %d entries).", s.MurderPath, f.count)
	}
	return &target{server: h.Server(), s: s, platform: goos + "/" + goarch, local: local, sum: sum, empty: f.count > 0}, nil
}

// run is steps 2 and 3 on the hosts that need the agent.
func (d *distribution) run(ctx context.Context, todo []*target) error {
	var order []string
	groups := map[string][]*target{}
	for _, t := range todo {
		if groups[t.platform] == nil {
			order = append(order, t.platform)
		}
		groups[t.platform] = append(groups[t.platform], t)
	}
	counts := make([]int, len(order))
	for i, p := range order {
		counts[i] = len(groups[p])
	}
	var batch []*target
	waiting := make([][]*target, len(order))
	for i, n := range splitSources(counts, d.sources) {
		g := groups[order[i]]
		for _, t := range g[:n] {
			t.serve = len(g) > n
		}
		batch, waiting[i] = append(batch, g[:n]...), g[n:]
	}
	if len(todo) > 0 {
		tasks.Log(ctx, "distribute files: %d host(s) need the agent: uploading it to %d, the others fetch it from those in about %d wave(s)", len(todo), len(batch), waves(len(todo), len(batch)))
	}
	var errs []error
	for len(batch) > 0 {
		errs = append(errs, d.wave(ctx, batch))
		if ctx.Err() != nil {
			break
		}
		batch = nil
		for i, p := range order {
			var next []*target
			next, waiting[i] = d.pair(groups[p], waiting[i])
			batch = append(batch, next...)
		}
	}
	return errors.Join(errs...)
}

// pair picks the next wave of one platform among its waiting hosts: each
// paired with a live server of group, or, with none (or fetching given
// up), all of them to upload.
func (d *distribution) pair(group, waiting []*target) (next, rest []*target) {
	var servers []*target
	for _, t := range group {
		if t.url != "" && !t.bad.Load() {
			servers = append(servers, t)
		}
	}
	if len(servers) == 0 || d.noFetch.Load() {
		for _, t := range waiting {
			t.from, t.serve = nil, false
		}
		return waiting, nil
	}
	idx := assign(len(servers), len(waiting))
	next, rest = waiting[:len(idx)], waiting[len(idx):]
	for j, k := range idx {
		next[j].from, next[j].serve = servers[k], len(rest) > 0
	}
	return next, rest
}

// wave installs the agent on batch at once: each host fetches it from its
// server, or gets it from the controller. When every fetch of a wave
// fails (a firewall between the hosts, say), the rest are uploaded.
func (d *distribution) wave(ctx context.Context, batch []*target) error {
	hosts := make([]*roles.Host, len(batch))
	byServer := map[*roles.Host]*target{}
	for i, t := range batch {
		hosts[i], byServer[t.server] = t.server, t
	}
	var tried, ok atomic.Int64
	err := tasks.On(ctx, tasks.Servers(hosts...).Step("distribute files"), func(ctx context.Context, h *tasks.Host) error {
		t := byServer[h.Server()]
		if t.from == nil {
			return d.upload(ctx, h, t)
		}
		tried.Add(1)
		if d.fetch(ctx, h, t) {
			ok.Add(1)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return d.upload(ctx, h, t)
	})
	if tried.Load() > 0 && ok.Load() == 0 {
		d.noFetch.Store(true)
	}
	return err
}

// fetch has h fetch the agent from t.from, and reports whether it did.
func (d *distribution) fetch(ctx context.Context, h *tasks.Host, t *target) bool {
	out, err := output(ctx, h, t.s.installCmd(install{url: t.from.url, sum: t.sum, empty: t.empty, serve: t.serve, port: d.port}))
	if err == nil {
		done, port := installed(out)
		if done {
			d.fetched.Add(1)
			h.Info(fmt.Sprintf("fetched agent %s from %s to %s (sha256:%.12s)%s", t.platform, t.from.server, t.s.agent(), t.sum, t.served(port)))
			return true
		}
		err = fmt.Errorf("unexpected answer %q", out)
	}
	if sourceFailed(err) {
		t.from.bad.Store(true)
	}
	h.Info(fmt.Sprintf("could not fetch the agent from %s (%v): uploading it instead", t.from.server, err))
	return false
}

// upload sends the agent from the controller on the install line's
// standard input: one session that writes, checks and renames it.
func (d *distribution) upload(ctx context.Context, h *tasks.Host, t *target) error {
	data, err := d.read(t.local)
	if err != nil {
		return err
	}
	serve := t.serve && !d.noFetch.Load()
	out, err := output(ctx, h.WithInput(data), t.s.installCmd(install{sum: t.sum, empty: t.empty, serve: serve, port: d.port}))
	if err != nil {
		return fmt.Errorf("uploading the agent: %w", err)
	}
	done, port := installed(out)
	if !done {
		return fmt.Errorf("uploading the agent: unexpected answer %q", out)
	}
	d.uploaded.Add(1)
	h.Info(fmt.Sprintf("uploaded agent %s to %s (sha256:%.12s)%s", t.platform, t.s.agent(), t.sum, t.served(port)))
	return nil
}

// served notes that t serves the agent on port (0: it does not) and says
// so for the operator.
func (t *target) served(port int) string {
	if port == 0 {
		return ""
	}
	t.url = agentURL(t.server.Name, port, t.sum)
	return fmt.Sprintf(", serving it on port %d", port)
}

// read returns the bytes of a build, read once per run.
func (d *distribution) read(path string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b, ok := d.data[path]; ok {
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the agent: %w", err)
	}
	d.data[path] = b
	return b, nil
}
