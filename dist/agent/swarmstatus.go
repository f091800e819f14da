package agent

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/murderfleet/murder/dist/torrentcheck"
	"github.com/murderfleet/murder/dist/tracker"
	"github.com/murderfleet/murder/internal/agentproto"
)

// runSwarmStatus: swarm-status [--every D] [--for D], the transfer's
// .torrent on stdin. Run on the tracker's host, it asks the tracker on
// loopback for the transfer's swarm (authenticated with the transfer's own
// token, read from the torrent) and prints one agentproto.Swarm line per
// interval, so a controller follows a whole fleet's progress through one
// SSH session instead of asking every host. It ends after --for, when its
// reader goes away (the session closed: the write fails), or after a few
// failed asks in a row.
func runSwarmStatus(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("swarm-status", flag.ContinueOnError)
	every := fs.Duration("every", 0, "print a line this often (0: once)")
	limit := fs.Duration("for", time.Hour, "stop after this long")
	if _, err := parseFlags(fs, args, 0, 0); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(env.stdin, torrentcheck.MaxSize+1))
	if err != nil {
		return fmt.Errorf("reading the torrent on stdin: %w", err)
	}
	q, err := newSwarmQuery(b)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	failures := 0
	for {
		s, err := q.ask(ctx)
		if err == nil {
			failures = 0
			if _, err := fmt.Fprintln(env.stdout, s.Format()); err != nil {
				return nil // nobody reads any more
			}
		} else if ctx.Err() != nil {
			return nil
		} else if failures++; failures >= 3 || *every == 0 {
			return err
		}
		if *every == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

// swarmQuery asks the local tracker for one transfer's swarm.
type swarmQuery struct {
	url, token, infoHash string
	client               *http.Client
}

func newSwarmQuery(torrent []byte) (*swarmQuery, error) {
	tf, err := parseTorrent(torrent, "on stdin")
	if err != nil {
		return nil, err
	}
	mi := tf.mi
	token, err := tracker.TorrentToken(mi)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("the torrent on stdin carries no transfer token: its tracker's status is not open to it")
	}
	u, err := url.Parse(mi.Announce)
	if err != nil || u.Port() == "" {
		return nil, fmt.Errorf("the torrent on stdin announces to %q, which names no port", mi.Announce)
	}
	// Loopback, in plain HTTP: the token never leaves this host.
	return &swarmQuery{
		url:      "http://" + net.JoinHostPort("127.0.0.1", u.Port()) + "/status",
		token:    token,
		infoHash: mi.HashInfoBytes().HexString(),
		client:   &http.Client{Timeout: 10 * time.Second},
	}, nil
}

// ask returns the swarm's counters; a transfer not registered yet, or
// with no peers, is all zeros.
func (q *swarmQuery) ask(ctx context.Context) (agentproto.Swarm, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.url, nil)
	if err != nil {
		return agentproto.Swarm{}, err
	}
	req.Header.Set("Authorization", "Bearer "+q.token)
	resp, err := q.client.Do(req)
	if err != nil {
		return agentproto.Swarm{}, fmt.Errorf("asking the tracker: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return agentproto.Swarm{}, fmt.Errorf("asking the tracker: %s", resp.Status)
	}
	var st tracker.Status
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&st); err != nil {
		return agentproto.Swarm{}, fmt.Errorf("the tracker's status: %w", err)
	}
	for _, sw := range st.Swarms {
		if sw.InfoHash == q.infoHash {
			return agentproto.Swarm{Seeds: sw.Complete, Leechers: sw.Incomplete, Left: sw.BytesLeft}, nil
		}
	}
	return agentproto.Swarm{}, nil
}
