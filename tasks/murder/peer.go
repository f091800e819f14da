package murder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/murderfleet/murder/dist/torrentcheck"
	"github.com/murderfleet/murder/tasks"
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
func peer(ctx context.Context) error {
	stall, err := stallTimeout(tasks.Arg(ctx, "stall_timeout"))
	if err != nil {
		return err
	}
	local := localTorrent(ctx)
	tt, err := readTorrent(local)
	if err != nil && !tasks.DryRun(ctx) {
		return err
	}
	key, err := transferKey(ctx)
	if err != nil {
		return err
	}
	if tt.sealed && key == nil {
		// Refused now, not after every peer has downloaded it all.
		return fmt.Errorf("torrent %s is of an encrypted archive, and its key is not at %s: run murder:peer where murder:create_torrent ran, with the same tag and temp_path", local, keyFile(ctx))
	}
	// One SSH session a host: the destination checked, the .torrent
	// written from stdin, the peer started.
	started := tasks.Each(ctx, tasks.Roles(rolePeer).Step("start peer"), func(ctx context.Context, h *tasks.Host) error {
		s := settingsOf(ctx, h)
		line := remote.Command(s.checkDestCmd()...) + " && " + remote.Command(s.startPeerCmd(stall)...)
		if err := h.WithInput(tt.data).Run(ctx, line); err != nil {
			return err
		}
		h.Mark("peer started")
		return nil
	})
	if tasks.DryRun(ctx) {
		return tasks.On(ctx, tasks.Just(started.OK()...).Step("peer"), func(ctx context.Context, h *tasks.Host) error {
			s := settingsOf(ctx, h)
			h.Info(fmt.Sprintf("until done, every %v:", pollEvery))
			return errors.Join(h.Execute(ctx, s.peerStatusCmd(0)...), h.WithInput(key).Execute(ctx, s.extractCmd(key != nil)...))
		})
	}
	followed := follow(ctx, started.OK(), tt.size, len(started), key)
	if ctx.Err() != nil {
		var all []*tasks.Host
		for _, r := range started {
			all = append(all, r.Host)
		}
		stopPeers(ctx, all) // also those whose start was cut short
	}
	return errors.Join(started.Err(), followed.Err())
}

// localTransfer is the local .torrent murder:peer hands every peer.
type localTransfer struct {
	data   []byte
	size   int64 // of the archive it describes
	sealed bool  // the archive is encrypted: extracting needs the key
}

// readTorrent reads the local .torrent, once, and checks it. One without
// the SHA-256 that murder:create_torrent records is refused now: every
// peer would download it, then refuse to extract what it cannot verify
// whole.
func readTorrent(path string) (localTransfer, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return localTransfer{}, fmt.Errorf("no torrent at %s on this machine: run murder:create_torrent (or murder:download_torrent) with the same tag first", path)
	case err == nil && fi.Size() > torrentcheck.MaxSize:
		return localTransfer{}, fmt.Errorf("torrent %s on this machine is larger than %d bytes; refusing it", path, torrentcheck.MaxSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return localTransfer{}, fmt.Errorf("torrent %s on this machine: %w", path, err)
	}
	mi, ext, err := torrentcheck.Parse(b, path)
	if err != nil {
		return localTransfer{}, fmt.Errorf("torrent %s on this machine: %w", path, err)
	}
	if ext.SHA256 == "" {
		return localTransfer{}, fmt.Errorf("torrent %s on this machine records no SHA-256, so the peers could not verify the whole archive and would refuse to extract it: make it with murder:create_torrent", path)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return localTransfer{}, fmt.Errorf("torrent %s on this machine: %w", path, err)
	}
	return localTransfer{data: b, size: info.TotalLength(), sealed: ext.Sealed}, nil
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
// polls of the others. ssh.max_hosts bounds the SSH commands in flight
// (polls and extracts), not the number of hosts followed.
//
// When every host fits in max_hosts, each poll waits on the host for the
// peer's result (status --wait) for as long as the loop would otherwise
// sleep: the end is seen at once, with no more sessions than polling. A
// larger fleet polls with commands that answer at once, so that no host
// waits for a free slot while others hold theirs.
func follow(ctx context.Context, hosts []*tasks.Host, size int64, total int, key []byte) tasks.Results {
	f := &follower{size: size, key: key, marks: map[string]hostMarks{},
		longPoll: len(hosts) <= tasks.Config(ctx).SSH.MaxHosts}
	prog := newProgress(ctx, total, size)
	finished := make(chan tasks.Results, 1)
	go func() { finished <- tasks.Each(ctx, tasks.Just(hosts...).Step("peer"), f.host) }()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		var res tasks.Results
		ended := false
		select {
		case res = <-finished:
			ended = true
		case <-tick.C:
		}
		bytes, rate, done := f.sum()
		prog.show(bytes, rate, done)
		if ended {
			prog.end()
			return res
		}
	}
}

// follower is the shared state of one murder:peer's per-host loops.
type follower struct {
	size int64  // the archive's size
	key  []byte // the transfer's key, for the extractions; nil: none
	// longPoll: polls wait on the host for the result (status --wait).
	longPoll bool
	mu       sync.Mutex
	marks    map[string]hostMarks // each host's last two answers and its end
}

// hostMarks are a host's last two answers and how its loop ended.
type hostMarks struct {
	prev, cur    pollMark
	done, failed bool // extracted; failed anywhere
}

// host waits until h's peer is done, then extracts.
func (f *follower) host(ctx context.Context, h *tasks.Host) (err error) {
	defer func() { f.end(h, err) }()
	if err := f.untilDone(ctx, h); err != nil {
		return err
	}
	h.Mark("downloaded")
	if err := h.WithInput(f.key).Execute(ctx, settingsOf(ctx, h).extractCmd(f.key != nil)...); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	h.Mark("extracted")
	return nil
}

// end records how h's loop ended.
func (f *follower) end(h *tasks.Host, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.marks[h.String()]
	m.done, m.failed = err == nil, err != nil
	f.marks[h.String()] = m
}

// untilDone polls h, spacing the polls with pollGap: sleeping between
// them, or waiting on the host (status --wait) when longPoll.
func (f *follower) untilDone(ctx context.Context, h *tasks.Host) error {
	gap := pollEvery
	var prev pollMark
	for {
		var ask time.Duration
		if f.longPoll {
			// The host answers the moment its peer is done, so a long
			// wait delays nothing; it only spaces the SSH sessions (each
			// one an sshd session, a shell and an agent process on the
			// host) and the progress line's samples. The first ask is
			// short so that a rate is known after the second.
			ask = longPollWait * pollEvery
			if prev.at.IsZero() {
				ask = pollEvery
			}
		}
		have, done, err := pollPeer(ctx, h, ask)
		if err != nil {
			return err
		}
		cur := pollMark{have: have, at: tasks.Now(ctx)}
		if have > 0 || done {
			h.Mark("first bytes seen") // by this poll: at most a poll interval late
		}
		if done {
			cur.have = f.size // status says "done", not how much
		}
		f.mu.Lock()
		f.marks[h.String()] = hostMarks{prev: prev, cur: cur}
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

// sum is the bytes held fleet-wide, counting extracted hosts whole; the
// fleet's rate, the sum of each unfinished host's rate between its last
// two answers (answers come every few seconds per host, so a rate taken
// from the sum's changes would jump whenever several hosts answer at
// once); and the hosts extracted.
func (f *follower) sum() (bytes int64, rate float64, done int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.marks {
		if m.done {
			bytes += f.size
			done++
			continue
		}
		bytes += m.cur.have
		// A host done and extracting, or failed, adds no more bytes.
		if m.cur.have < f.size && !m.failed {
			rate += markRate(m.prev, m.cur)
		}
	}
	return bytes, rate, done
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
func pollPeer(ctx context.Context, h *tasks.Host, wait time.Duration) (int64, bool, error) {
	limit := 3*tasks.Config(ctx).SSH.Timeout + wait
	line, err := h.Timeout(limit).Capture(ctx, settingsOf(ctx, h).peerStatusCmd(wait)...)
	if err != nil {
		if errors.Is(err, tasks.ErrTimeout) {
			return 0, false, fmt.Errorf("status: no answer within %v (host hung or cut off)", limit)
		}
		return 0, false, err
	}
	switch {
	case line == "done":
		return 0, true, nil
	case strings.HasPrefix(line, "error: "):
		return 0, false, errors.New(strings.TrimPrefix(line, "error: "))
	}
	return field(line, "have"), false, nil
}

// stopPeers stops the peers this run started after an interrupt, and
// removes their partial downloads; a few seconds are all mage allows.
func stopPeers(ctx context.Context, hosts []*tasks.Host) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*time.Second)
	defer cancel()
	tasks.Log(ctx, "interrupted: stopping peers on %d host(s)", len(hosts))
	_ = tasks.On(ctx, tasks.Just(hosts...).Step("stop peer"), func(ctx context.Context, h *tasks.Host) error {
		s := settingsOf(ctx, h)
		return h.Run(ctx, remote.Command(s.stopPeeringCmd()...)+"; "+remote.Command(s.cleanTempCmd()...))
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

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
