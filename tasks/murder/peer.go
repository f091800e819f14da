package murder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/murderfleet/murder/dist/torrentcheck"
	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/remote"
)

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
	// One SSH session a host: the destination checked, the .torrent (and
	// the key) written from stdin, the peer started; it extracts by itself.
	input := tt.data
	if key != nil {
		input = append(append(bytes.TrimSpace(slices.Clone(key)), '\n'), tt.data...)
	}
	var mu sync.Mutex
	starts := map[string]time.Time{}
	started := tasks.Each(ctx, tasks.Roles(rolePeer).Step("start peer"), func(ctx context.Context, h *tasks.Host) error {
		s := settingsOf(ctx, h)
		line := remote.Command(s.checkDestCmd()...) + " && " + remote.Command(s.startPeerCmd(stall, key != nil)...)
		if err := h.WithInput(input).Run(ctx, line); err != nil {
			return err
		}
		now := tasks.Now(ctx) // the host's own moments are placed after this one
		h.MarkAt("peer started", now)
		mu.Lock()
		starts[h.String()] = now
		mu.Unlock()
		return nil
	})
	if tasks.DryRun(ctx) {
		feed := tasks.On(ctx, tasks.Roles(roleTracker).Once().Step("progress"), func(ctx context.Context, h *tasks.Host) error {
			h.Info("the swarm's progress, until every peer is done:")
			return h.WithInput(tt.data).Execute(ctx, settingsOf(ctx, h).swarmStatusCmd(pollEvery)...)
		})
		return errors.Join(feed, tasks.On(ctx, tasks.Just(started.OK()...).Step("peer"), func(ctx context.Context, h *tasks.Host) error {
			h.Info("until it has downloaded and extracted:")
			return h.Execute(ctx, settingsOf(ctx, h).peerStatusCmd(finishWait)...)
		}))
	}
	var followed tasks.Results
	if len(started.OK()) > 0 {
		followed = follow(ctx, started.OK(), tt, len(started), starts)
	}
	if ctx.Err() != nil {
		var all []*tasks.Host
		for _, r := range started {
			all = append(all, r.Host)
		}
		// Also those whose start was cut short; such a start, its session
		// gone, stops the peer it spawned by itself (the agent's hangup.go).
		stopPeers(ctx, all)
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
	tor, err := torrentcheck.Parse(b, path)
	if err != nil {
		return localTransfer{}, fmt.Errorf("%w (on this machine)", err)
	}
	if tor.Extension.SHA256 == "" {
		return localTransfer{}, fmt.Errorf("torrent %s on this machine records no SHA-256, so the peers could not verify the whole archive and would refuse to extract it: make it with murder:create_torrent", path)
	}
	return localTransfer{data: b, size: tor.Length, sealed: tor.Extension.Sealed}, nil
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
