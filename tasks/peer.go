package tasks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/roles"
	"github.com/murderfleet/murder/tasks/remote"
)

// pollEvery is how often murder:peer asks every unfinished peer for its
// state. Each ask is one short command on an open connection, so a fleet
// larger than max_hosts still downloads as one swarm: max_hosts bounds the
// commands in flight, not the peers downloading.
var pollEvery = time.Second

// longPollWait is how many poll intervals a `status --wait` waits on the
// host for the peer's result.
const longPollWait = 10

// peer runs the original murder:peer: check each destination, upload the
// .torrent, start the peer, then follow every peer to the end, extracting
// each one's files as soon as it holds the verified archive.
func peer(ctx context.Context, r *Runner) error {
	stall, err := stallTimeout(r.Args.Get("stall_timeout"))
	if err != nil {
		return err
	}
	local := r.localTorrent()
	size, err := torrentSize(local)
	if err != nil && !r.dryRun() {
		return err
	}
	hosts := r.roleHosts(rolePeer)
	live := r.step(ctx, hosts, "check destination", func(ctx context.Context, h *roles.Host) error {
		return r.exec(ctx, h, r.settings(h).checkDestCmd()...)
	})
	started := r.step(ctx, live, "start peer", func(ctx context.Context, h *roles.Host) error {
		s := r.settings(h)
		if err := r.upload(ctx, h, local, s.torrent()); err != nil {
			return err
		}
		return r.execLine(ctx, h, remote.Command(s.startPeerCmd(stall)...), nil)
	})
	if r.dryRun() {
		for _, h := range started {
			r.printf("  * [dry-run :: %s] %s (every %v until done)\n", h, remote.Command(r.settings(h).peerStatusCmd(0)...), pollEvery)
			r.printf("  * [dry-run :: %s] %s\n", h, remote.Command(r.settings(h).extractCmd()...))
		}
		return nil
	}
	err = r.follow(ctx, started, size, len(hosts))
	if ctx.Err() != nil {
		r.stopPeers(live) // also those whose start was cut short
	}
	return errors.Join(err, r.Report().Err())
}

// step runs fn on hosts and returns those that succeeded.
func (r *Runner) step(ctx context.Context, hosts []*roles.Host, name string, fn hostFunc) []*roles.Host {
	_ = r.each(ctx, hosts, name, fn)
	var ok []*roles.Host
	for _, h := range hosts {
		if !r.Report().failed(h) {
			ok = append(ok, h)
		}
	}
	return ok
}

// torrentSize reads the local .torrent that peer uploads. One without the
// SHA-256 that murder:create_torrent records is refused now: every peer
// would download it, then refuse to extract what it cannot verify whole.
func torrentSize(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("no torrent at %s on this machine: run murder:create_torrent (or murder:download_torrent) with the same tag first", path)
		}
		return 0, fmt.Errorf("torrent %s on this machine: %w", path, err)
	}
	mi, err := metainfo.Load(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("torrent %s on this machine: %w", path, err)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return 0, fmt.Errorf("torrent %s on this machine: %w", path, err)
	}
	var top struct {
		Murder struct {
			SHA256 string `bencode:"sha256"`
		} `bencode:"murder"`
	}
	if err := bencode.Unmarshal(b, &top); err != nil || top.Murder.SHA256 == "" {
		return 0, fmt.Errorf("torrent %s on this machine records no SHA-256, so the peers could not verify the whole archive and would refuse to extract it: make it with murder:create_torrent", path)
	}
	return info.TotalLength(), nil
}

// checkReplace refuses unsafe_please_delete with no_tag_directory on a
// directory directly below / : the pair replaces all of destination_path,
// and one slip (destination_path=/srv instead of /srv/app) would wipe a
// system directory. Deeper paths keep the original's behaviour.
func (s settings) checkReplace() error {
	dest := path.Clean(s.dest())
	if !s.UnsafeDelete || !s.NoTagDirectory || s.PathIsFile || strings.Count(dest, "/") > 1 {
		return nil
	}
	return fmt.Errorf("destination_path %s: unsafe_please_delete with no_tag_directory would replace everything in %s; refused for a directory directly below /", dest, dest)
}

// stallTimeout checks the stall_timeout argument (how long a peer may go
// without data before it fails) and returns it in the agent's syntax; ""
// keeps the agent's default.
func stallTimeout(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return "", fmt.Errorf("stall_timeout=%s: want a positive duration such as 90s or 5m", v)
	}
	return d.String(), nil
}

// follow watches every started peer until it is done, then extracts its
// files. Each host has its own loop, so a host is extracted the moment a
// poll sees it done, and a slow extract or a slow host never holds up the
// polls of the others. max_hosts bounds the SSH commands in flight (polls
// and extracts), not the number of hosts followed.
//
// When every host fits in max_hosts, each poll waits on the host for the
// peer's result (status --wait) for as long as the loop would otherwise
// sleep: the end is seen at once, with no more sessions than polling. A
// larger fleet polls with commands that answer at once, so that no host
// waits for a free slot while others hold theirs.
func (r *Runner) follow(ctx context.Context, hosts []*roles.Host, size int64, total int) error {
	start := r.now()
	prog := newProgress(r, total, size)
	slots := max(1, r.Config.SSH.MaxHosts)
	f := &follower{r: r, start: start, size: size, last: map[*roles.Host]hostMarks{},
		slots: make(chan struct{}, slots), longPoll: len(hosts) <= slots}
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Go(func() {
			if err := f.host(ctx, h); err != nil {
				r.Report().fail(h, "peer", err)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-finished:
			done = true
		case <-tick.C:
		}
		pending := len(r.unfinished(hosts))
		bytes, rate := f.sum()
		prog.show(bytes, rate, total-pending-len(r.Report().Failed))
	}
	prog.end()
	return ctx.Err()
}

// follower is the shared state of one murder:peer's per-host loops.
type follower struct {
	r     *Runner
	start time.Time
	size  int64         // the archive's size
	slots chan struct{} // one per SSH command in flight
	// longPoll: polls wait on the host for the result (status --wait).
	longPoll bool
	mu       sync.Mutex
	last     map[*roles.Host]hostMarks // each host's last two answers, for the progress line
}

// hostMarks are a host's last two answers.
type hostMarks struct{ prev, cur pollMark }

// host waits until h's peer is done, then extracts.
func (f *follower) host(ctx context.Context, h *roles.Host) error {
	if err := f.untilDone(ctx, h); err != nil {
		return err
	}
	if err := f.slot(ctx, func() error { return f.r.exec(ctx, h, f.r.settings(h).extractCmd()...) }); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	f.r.Report().done(h, f.r.now().Sub(f.start))
	return nil
}

// untilDone polls h, spacing the polls with pollGap: sleeping between
// them, or waiting on the host (status --wait) when longPoll.
func (f *follower) untilDone(ctx context.Context, h *roles.Host) error {
	gap := pollEvery
	var prev pollMark
	for {
		var ask time.Duration
		if f.longPoll {
			// The host answers the moment its peer is done, so a long
			// wait delays nothing; it only spaces the SSH sessions (each
			// one an sshd session, a shell and an agent process on the
			// host: at n=40 on the bench machine sshd alone took 15 % of
			// the CPU with waits of 1-5 s) and the progress line's
			// samples (a log gets one line per 10 s anyway). The first
			// ask is short so that a rate is known after the second.
			ask = longPollWait * pollEvery
			if prev.at.IsZero() {
				ask = pollEvery
			}
		}
		var cur pollMark
		var done bool
		err := f.slot(ctx, func() (err error) {
			cur.have, done, err = f.r.pollPeer(ctx, h, ask)
			return err
		})
		if err != nil {
			return err
		}
		if done {
			cur.have = f.size // status says "done", not how much
		}
		cur.at = f.r.now()
		f.mu.Lock()
		f.last[h] = hostMarks{prev, cur}
		f.mu.Unlock()
		if done {
			return nil
		}
		gap, prev = pollGap(f.size, prev, cur), cur
		if f.longPoll {
			continue
		}
		if sleepCtx(ctx, gap); ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// slot runs fn holding one of max_hosts command slots.
func (f *follower) slot(ctx context.Context, fn func() error) error {
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-f.slots }()
	return fn()
}

// sum is the bytes held fleet-wide, counting finished hosts whole, and
// the fleet's rate: the sum of each unfinished host's rate between its last
// two answers. Answers come every few seconds per host, so a rate taken from
// the sum's changes would jump whenever several hosts answer at once.
func (f *follower) sum() (bytes int64, rate float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rep := f.r.Report()
	for h, m := range f.last {
		if rep.succeeded(h) {
			bytes += f.size
			continue
		}
		bytes += m.cur.have
		// A host done and extracting, or failed, adds no more bytes.
		if m.cur.have < f.size && !rep.failed(h) {
			rate += markRate(m.prev, m.cur)
		}
	}
	return bytes, rate
}

// pollMark is one poll's answer: bytes held, and when.
type pollMark struct {
	have int64
	at   time.Time
}

const maxPollGaps = 5

// markRate is a peer's download rate between two answers, 0 when unknown.
func markRate(prev, cur pollMark) float64 {
	dt := cur.at.Sub(prev.at).Seconds()
	if prev.at.IsZero() || dt <= 0 || cur.have <= prev.have {
		return 0
	}
	return float64(cur.have-prev.have) / dt
}

// pollGap spaces out the instant polls of a fleet larger than max_hosts
// (a long poll waits longPollWait instead): every poll is an SSH session
// (a process on the host), and in a fleet of hundreds on busy hosts those
// cost CPU the transfer needs. A peer is asked again after
// about half its expected remaining time (from its last two answers), at
// most every maxPollGaps poll intervals, and every pollEvery once it is
// within a few seconds of the end.
func pollGap(size int64, prev, cur pollMark) time.Duration {
	rate := markRate(prev, cur)
	if rate == 0 || cur.have >= size {
		return pollEvery
	}
	remaining := time.Duration(float64(size-cur.have) / rate * float64(time.Second))
	return min(max(remaining/2, pollEvery), maxPollGaps*pollEvery)
}

// pollPeer asks one peer for its state: bytes held, whether it is done.
//
// The ask is bounded (three SSH timeouts): a host that stops answering
// must not hold up the polling of the whole fleet until keepalives give up.
func (r *Runner) pollPeer(ctx context.Context, h *roles.Host, wait time.Duration) (int64, bool, error) {
	var out bytes.Buffer
	limit := 3*r.Config.SSH.Timeout + wait
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := r.execLine(pctx, h, remote.Command(r.settings(h).peerStatusCmd(wait)...), &out); err != nil {
		if pctx.Err() != nil && ctx.Err() == nil {
			return 0, false, fmt.Errorf("status: no answer within %v (host hung or cut off)", limit)
		}
		return 0, false, err
	}
	line := strings.TrimSpace(out.String())
	switch {
	case line == "done":
		return 0, true, nil
	case strings.HasPrefix(line, "error: "):
		return 0, false, errors.New(strings.TrimPrefix(line, "error: "))
	}
	return field(line, "have"), false, nil
}

func (r *Runner) unfinished(hosts []*roles.Host) []*roles.Host {
	var out []*roles.Host
	for _, h := range hosts {
		if !r.Report().finished(h) {
			out = append(out, h)
		}
	}
	return out
}

// stopPeers stops the peers this run started after an interrupt, and
// removes their partial downloads; a few seconds are all mage allows.
func (r *Runner) stopPeers(hosts []*roles.Host) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	r.printf(" ** interrupted: stopping peers on %d host(s)\n", len(hosts))
	_ = r.each(ctx, hosts, "stop peer", func(ctx context.Context, h *roles.Host) error {
		s := r.settings(h)
		line := remote.Command(s.stopPeeringCmd()...) + "; " + remote.Command(s.cleanTempCmd()...)
		return r.execLine(ctx, h, line, nil)
	})
}

// field reads "name=value" from a progress line.
func field(line, name string) int64 {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
