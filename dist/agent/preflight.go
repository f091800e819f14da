package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"syscall"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/tracker"

	"github.com/murderfleet/murder/internal/ctxio"
)

// preflight announces once, directly, so that an unreachable tracker or
// one that refuses the torrent is a clear error now rather than a stall
// later. With the agent's own announcer, that first announce starts it.
func (s *swarm) preflight(ctx context.Context, tf *torrentFile, ip net.IP, left int64) error {
	var err error
	if s.ann != nil {
		err = s.ann.start(ctx)
	} else {
		err = retryTransient(ctx, func() error { return announceOnce(ctx, tf, s.cl, ip, left) })
	}
	if err != nil {
		return fmt.Errorf("tracker %s: %w", tf.announceURL(), err)
	}
	return nil
}

// retryTransient calls announce until it succeeds or fails for good: a
// busy tracker host or a lost SYN must not fail a peer of a large fleet,
// so timeouts and unreachable routes are tried three times. A refused
// connection or the tracker's own failure reason is an answer.
func retryTransient(ctx context.Context, announce func() error) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = announce(); err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		ctxio.Sleep(ctx, time.Duration(attempt)*time.Second)
	}
	return err
}

func announceOnce(ctx context.Context, tf *torrentFile, cl *torrent.Client, ip net.IP, left int64) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req := tracker.AnnounceRequest{
		InfoHash: tf.mi.HashInfoBytes(),
		PeerId:   cl.PeerID(),
		Port:     uint16(cl.LocalPort()),
		Left:     left,
		NumWant:  0,
		Key:      1,
	}
	_, err := tracker.Announce{TrackerUrl: tf.announceURL(), Request: req, ClientIp4: krpc.NodeAddr{IP: ip.To4()}, Context: ctx}.Do()
	return announceCause(err)
}

// announceCause is the cause of a failed announce: the request URL an
// HTTP error repeats holds the tracker and a long query, but the cause
// ("connection refused") is what the operator needs.
func announceCause(err error) error {
	if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// transient reports a failure worth another announce.
func transient(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || (errors.As(err, &ne) && ne.Timeout())
}
