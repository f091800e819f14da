package murder

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/murderfleet/murder/internal/agentproto"
	"github.com/murderfleet/murder/internal/ctxio"
	"github.com/murderfleet/murder/tasks"
)

// pollEvery is how often murder:peer refreshes its progress line, and how
// often the tracker's host reports the swarm.
var pollEvery = time.Second

// finishWait is how long each `status --wait` waits on a host for its
// peer's result. Peers extract by themselves, so the ask only learns the
// result: a transfer that ends within it costs a host one ask. Hosts
// beyond max_hosts wait for a slot, which delays only the news, not the
// transfer.
var finishWait = time.Minute

// follow waits for every started peer's result: each peer downloads,
// verifies and extracts by itself, and the controller asks each host once
// (status --wait) for how it ended. The fleet's progress in the meantime
// comes from the tracker, which hears from every peer anyway: one SSH
// session on the tracker's host, not a poll per host.
func follow(ctx context.Context, hosts []*tasks.Host, tt localTransfer, total int, started map[string]time.Time) tasks.Results {
	f := &follower{size: tt.size, seeders: countHosts(ctx, roleSeeder), started: started, have: map[string]int64{}}
	prog := newProgress(ctx, total, tt.size)
	feedCtx, stopFeed := context.WithCancel(ctx)
	fed := make(chan struct{})
	defer func() { stopFeed(); <-fed }()    // the session is closed before the run ends
	if tasks.Config(ctx).SSH.MaxHosts > 1 { // the feed holds a slot throughout
		go func() { defer close(fed); f.feed(feedCtx, tt.data) }()
	} else {
		close(fed)
	}
	finished := make(chan tasks.Results, 1)
	go func() { finished <- tasks.Each(ctx, tasks.Just(hosts...).Step("peer"), f.host) }()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var rate rateWindow
	for {
		var res tasks.Results
		ended := false
		select {
		case res = <-finished:
			ended = true
		case <-tick.C:
		}
		bytes, done := f.sum(total)
		prog.show(bytes, rate.add(tasks.Now(ctx), bytes), done)
		if ended {
			prog.end()
			return res
		}
	}
}

// follower is the shared state of one murder:peer's per-host waits.
type follower struct {
	size    int64 // the archive's size
	seeders int   // seeder hosts: seeds in the tracker's counts that are no peers

	started map[string]time.Time // when each host's start returned (read-only)

	mu         sync.Mutex
	have       map[string]int64 // bytes of unfinished hosts, from asks that ran out
	done       int
	swarm      agentproto.Swarm // the tracker's latest view
	swarmKnown bool
}

// host waits for h's result and records where its time and bytes went.
func (f *follower) host(ctx context.Context, h *tasks.Host) error {
	d, err := f.untilDone(ctx, h)
	f.mu.Lock()
	delete(f.have, h.String())
	if err == nil {
		f.done++
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	start := f.started[h.String()]
	for _, m := range []struct {
		name string
		at   time.Duration
	}{{"first byte", d.FirstByte}, {"downloaded", d.Downloaded}, {"extracted", d.Extracted}} {
		if m.at > 0 {
			h.MarkAt(m.name, start.Add(m.at))
		}
	}
	h.Mark("result seen")
	h.Count("bytes from seeder", d.FromSeeder)
	h.Count("bytes from peers", d.FromPeers)
	if d.Extracted > 0 && d.Behind >= 0 {
		h.Count("bytes extracted after download", d.Behind)
	}
	return nil
}

// untilDone asks h for its peer's result until there is one.
func (f *follower) untilDone(ctx context.Context, h *tasks.Host) (agentproto.PeerDone, error) {
	for {
		asked := time.Now()
		line, err := askPeer(ctx, h, finishWait)
		if err != nil {
			return agentproto.PeerDone{}, err
		}
		if d, ok := agentproto.ParseDone(line); ok {
			return d, nil
		}
		if msg, ok := strings.CutPrefix(line, "error: "); ok {
			return agentproto.PeerDone{}, errors.New(msg)
		}
		if strings.HasPrefix(line, "progress ") {
			f.mu.Lock()
			f.have[h.String()] = agentproto.Field(line, "have")
			f.mu.Unlock()
		}
		// An agent answers a wait at its end; one that answers at once
		// is not asked again at once.
		if time.Since(asked) < pollEvery {
			if ctxio.Sleep(ctx, pollEvery); ctx.Err() != nil {
				return agentproto.PeerDone{}, ctx.Err()
			}
		}
	}
}

// askPeer asks one peer for its state, waiting on the host up to wait for
// its result. The ask is bounded (three SSH timeouts beyond the wait): a
// host that stops answering must not hold a slot until keepalives give up.
func askPeer(ctx context.Context, h *tasks.Host, wait time.Duration) (string, error) {
	limit := 3*tasks.Config(ctx).SSH.Timeout + wait
	line, err := h.Timeout(limit).Capture(ctx, settingsOf(ctx, h).peerStatusCmd(wait)...)
	if errors.Is(err, tasks.ErrTimeout) {
		return "", fmt.Errorf("status: no answer within %v (host hung or cut off)", limit)
	}
	return line, err
}

// sum is the bytes held fleet-wide, counting finished hosts whole, and
// the hosts finished. Between results it trusts the tracker's count when
// that says more (it lags by up to an announce interval).
func (f *follower) sum(total int) (bytes int64, done int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	bytes = int64(f.done) * f.size
	for _, n := range f.have {
		bytes += n
	}
	if f.swarmKnown {
		peers := f.swarm.Seeds - f.seeders + f.swarm.Leechers
		seen := int64(peers)*f.size - f.swarm.Left
		bytes = max(bytes, min(seen, int64(total)*f.size))
	}
	return bytes, f.done
}

// feed follows the swarm as the tracker sees it, through one session on
// the tracker's host, until ctx ends. Without it (an older tracker, a
// tracker host that is down) progress comes from the results alone.
func (f *follower) feed(ctx context.Context, torrent []byte) {
	_ = tasks.On(ctx, tasks.Roles(roleTracker).Once().Aside().Step("progress"), func(ctx context.Context, h *tasks.Host) error {
		pr, pw := io.Pipe()
		go f.readFeed(pr)
		err := h.WithInput(torrent).Stream(ctx, pw, settingsOf(ctx, h).swarmStatusCmd(pollEvery)...)
		pw.Close()
		if err != nil && ctx.Err() == nil {
			tasks.Log(ctx, "progress from the tracker on %s ended (%v); following the results alone", h, err)
		}
		return nil // progress is no part of the task's outcome
	})
}

func (f *follower) readFeed(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if s, ok := agentproto.ParseSwarm(sc.Text()); ok {
			f.mu.Lock()
			f.swarm, f.swarmKnown = s, true
			f.mu.Unlock()
		}
	}
}

// rateWindow is the fleet's rate over the last rateSpan of samples: the
// tracker's count moves in steps as peers announce, so a rate between
// two ticks would jump.
type rateWindow struct{ samples []rateSample }

type rateSample struct {
	at    time.Time
	bytes int64
}

const rateSpan = 10 * time.Second

// add records a sample and returns the rate in bytes/s (0 until known).
func (w *rateWindow) add(at time.Time, bytes int64) float64 {
	w.samples = append(w.samples, rateSample{at, bytes})
	for len(w.samples) > 2 && at.Sub(w.samples[1].at) >= rateSpan {
		w.samples = w.samples[1:]
	}
	first := w.samples[0]
	dt := at.Sub(first.at).Seconds()
	if dt <= 0 || bytes <= first.bytes {
		return 0
	}
	return float64(bytes-first.bytes) / dt
}

// countHosts is the number of hosts in role.
func countHosts(ctx context.Context, role string) int {
	hs, err := tasks.Roles(role).Hosts(ctx)
	if err != nil {
		return 0
	}
	return len(hs)
}
