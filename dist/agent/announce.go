package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	neturl "net/url"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/tracker"
	trHttp "github.com/anacrolix/torrent/tracker/http"
	"github.com/anacrolix/torrent/tracker/shared"
)

// announcer announces one torrent to its HTTP(S) tracker itself, over one
// connection kept alive from announce to announce. anacrolix's own
// announcer disables keep-alive, so every re-announce of every peer is a
// new connection and, to murder's https tracker, a TLS handshake: about
// fifteen times the CPU of an announce on a kept connection, for the
// tracker of a large fleet. It also says at once when the download
// completes and when the peer leaves, so the tracker's counts (which
// murder:peer shows as progress) are current.
type announcer struct {
	t        *torrent.Torrent
	addPeers func([]torrent.PeerInfo) int // t.AddPeers; a test's own
	alone    func() bool                  // lacks pieces and has no connection; a test's own
	soon     time.Duration                // aloneAfter; a test's own
	client   trHttp.Client
	req      tracker.AnnounceRequest
	opt      trHttp.AnnounceOpt

	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

// aloneAfter is how soon a peer that lacks pieces and has no connection
// asks the tracker again, doubling while it stays alone, up to the
// interval. The first peers to announce are handed only those before
// them, the seeder's slots among them, which may all be taken by then;
// at the tracker's interval such a peer would sit idle for a large part
// of a transfer.
const aloneAfter = 2 * time.Second

// announceTimeout bounds one announce: a tracker that does not answer in
// that long is asked again at the next interval.
const announceTimeout = 15 * time.Second

// ownAnnounce reports whether the agent announces tf itself: when every
// tracker it lists is HTTP(S). Others (udp://) are left to anacrolix.
func ownAnnounce(tf *torrentFile) bool {
	urls := []string{tf.mi.Announce}
	for _, tier := range tf.mi.UpvertedAnnounceList() {
		urls = append(urls, tier...)
	}
	return !slices.ContainsFunc(urls, func(s string) bool {
		u, err := neturl.Parse(s)
		return s != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https"))
	})
}

func newAnnouncer(tf *torrentFile, cl *torrent.Client, t *torrent.Torrent, ip net.IP) (*announcer, error) {
	u, err := neturl.Parse(tf.announceURL())
	if err != nil {
		return nil, fmt.Errorf("announce URL: %w", err)
	}
	return &announcer{
		t:        t,
		addPeers: t.AddPeers,
		alone:    func() bool { return t.BytesMissing() > 0 && t.Stats().ActivePeers == 0 },
		soon:     aloneAfter,
		// The tracker's certificate is its own, made when it started:
		// nothing a peer could check it against (anacrolix does not
		// either); TLS keeps the token and the swarm from onlookers.
		client: trHttp.NewClient(u, trHttp.NewClientOpts{AllowKeepAlive: true, ServerName: u.Hostname()}),
		req: tracker.AnnounceRequest{
			InfoHash: tf.mi.HashInfoBytes(),
			PeerId:   cl.PeerID(),
			Port:     uint16(cl.LocalPort()),
			Key:      rand.Int32(),
		},
		opt: trHttp.AnnounceOpt{ClientIp4: ip.To4()},
	}, nil
}

// announce tells the tracker where the torrent stands and hands the peers
// it answers with to the client; it returns the interval to wait.
func (a *announcer) announce(ctx context.Context, event tracker.AnnounceEvent) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, announceTimeout)
	defer cancel()
	st := a.t.Stats()
	req := a.req
	req.Event = event
	req.Left = a.t.BytesMissing()
	req.Uploaded, req.Downloaded = st.BytesWrittenData.Int64(), st.BytesReadUsefulData.Int64()
	res, err := a.client.Announce(ctx, req, a.opt)
	if err != nil {
		return 0, announceCause(err)
	}
	interval := max(time.Duration(res.Interval)*time.Second, time.Second)
	if req.Left == 0 {
		// A peer that has every piece (a seeder from the start, a peer
		// once its download completes) adds none: the leechers know it
		// from the tracker and dial it. Dialing the fifty the tracker just listed, the moment it
		// finished, cost the n=10 bench about a sixth more CPU and a
		// second of makespan. A seeder that dialed the peers of its
		// re-announce would also replace connections they had made to
		// it: anacrolix, at its connection limit, drops an incoming
		// connection for each outgoing one until the two are even, and
		// the pieces in flight on the dropped ones are asked again.
		return interval, nil
	}
	peers := make([]torrent.PeerInfo, 0, len(res.Peers))
	for _, p := range res.Peers {
		pi := torrent.PeerInfo{Addr: &net.TCPAddr{IP: p.IP, Port: p.Port}, Source: torrent.PeerSourceTracker}
		copy(pi.Id[:], p.ID)
		peers = append(peers, pi)
	}
	a.addPeers(peers)
	return interval, nil
}

// start makes the first announce ("started"), trying a transient failure
// three times, and then re-announces in the background until stop.
func (a *announcer) start(ctx context.Context) error {
	var interval time.Duration
	err := retryTransient(ctx, func() (err error) {
		interval, err = a.announce(ctx, shared.Started)
		return err
	})
	if err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel, a.done = cancel, make(chan struct{})
	go a.loop(loopCtx, interval)
	return nil
}

// loop re-announces every interval, and at once when the download
// completes, and sooner while the peer is alone (aloneAfter). A failed
// announce is tried again at the next interval: the swarm keeps its
// connections meanwhile.
func (a *announcer) loop(ctx context.Context, interval time.Duration) {
	defer close(a.done)
	completed := a.t.Complete().On()
	if a.t.BytesMissing() == 0 {
		completed = nil // a seeder: it started complete
	}
	last, wait := time.Now(), a.soon
	timer := time.NewTimer(a.next(interval, &wait))
	defer timer.Stop()
	for {
		event := shared.None
		select {
		case <-ctx.Done():
			return
		case <-completed:
			completed, event = nil, shared.Completed
		case <-timer.C:
		}
		if since := time.Since(last); event == shared.None && since < interval && !a.alone() {
			timer.Reset(interval - since) // an early turn no longer needed
			continue
		}
		if next, err := a.announce(ctx, event); err == nil {
			interval = next
		}
		last = time.Now()
		timer.Reset(a.next(interval, &wait))
	}
}

// next is how long to wait for the next announce: the interval, or, while
// the peer is alone, wait (doubled for the time after).
func (a *announcer) next(interval time.Duration, wait *time.Duration) time.Duration {
	if !a.alone() {
		*wait = a.soon
		return interval
	}
	d := min(*wait, interval)
	*wait *= 2
	return d
}

// stop ends the re-announces and tells the tracker that this peer leaves,
// so that it is not handed to others until it expires.
func (a *announcer) stop() {
	a.stopOnce.Do(func() {
		if a.cancel == nil {
			return // never started
		}
		a.cancel()
		<-a.done
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = a.announce(ctx, shared.Stopped)
		a.client.Close()
	})
}
