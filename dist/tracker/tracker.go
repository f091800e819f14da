// Package tracker is the HTTP BitTorrent tracker that murder's agent runs on the
// host of role `tracker`. It replaces the original murder_tracker.py (BitTornado).
//
// It is tuned for a datacenter fleet: peers re-announce every 15 s, an answer
// holds 50 peers unless the client asks for more (up to 200), there is no NAT
// check, and peers that stop announcing expire after two minutes. It answers
// only for registered info-hashes (see [Server.Allow], [Config.AllowDir] and
// [AllowFile]) so that a mistyped or stale torrent fails loudly instead of
// forming an empty swarm.
//
// A transfer registered with a token (a private tracker's "passkey", see
// [passkey.New] and [AnnounceURL]) is answered only on /<token>/announce and
// /<token>/scrape; one registered without a token only on /announce and
// /scrape. Nobody without the token can join, list or disturb its swarm.
//
// Routes: /announce and /<token>/announce (BEP 3, 7, 23), /scrape and
// /<token>/scrape (the common scrape extension, BEP 48), /status (JSON, see
// [Status]) and /metrics (Prometheus text format). The last two need the
// admin token ([Config.AdminToken]); /status also answers a transfer's own
// token for that transfer's swarms.
package tracker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/murderfleet/murder/dist/passkey"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// Defaults applied by [New] to zero fields of [Config]. The intervals are the
// original murder tracker's datacenter tuning. Its 500 peers per answer are
// not: with ten thousand hosts that is 3 KB and 500 dials per re-announce for
// no gain, since a peer keeps at most a few dozen connections and asks again
// every interval.
const (
	DefaultInterval    = 15 * time.Second
	DefaultMinInterval = 5 * time.Second
	DefaultPeerTTL     = 2 * time.Minute
	DefaultMaxNumWant  = 200
	DefaultNumWant     = 50
	// DefaultMaxPeersPerSwarm bounds a swarm's memory (and so the tracker's)
	// against a flood of made-up peer_ids, well above a fleet's size.
	DefaultMaxPeersPerSwarm = 20000
)

// Config configures a [Server]. Zero fields take the Default* values.
type Config struct {
	// Interval is the re-announce interval told to peers.
	Interval time.Duration
	// MinInterval is the minimum re-announce interval told to peers.
	MinInterval time.Duration
	// PeerTTL is how long a peer stays listed after its last announce.
	PeerTTL time.Duration
	// MaxNumWant caps the number of peers in one answer, whatever numwant asks.
	MaxNumWant int
	// DefaultNumWant is the number of peers answered when numwant is absent.
	DefaultNumWant int
	// AllowDir, if set, is a directory of .torrent files and/or empty files
	// named by a 40-character hex info-hash; each registers its info-hash.
	// A .torrent whose announce URL is /<token>/announce registers it with
	// that token (see [AnnounceURL]); such files are secrets and belong in
	// an owner-only directory.
	AllowDir string
	// AllowAll answers for any info-hash on the tokenless routes. Info-hashes
	// registered with a token are still answered only to their token.
	AllowAll bool
	// MaxPeersPerSwarm caps a swarm: a new peer beyond it is refused, while
	// the peers already in it keep re-announcing.
	MaxPeersPerSwarm int
	// AdminToken, if set, opens /status and /metrics to requests bearing it
	// ("Authorization: Bearer <token>"); see [LoadAdminToken] and
	// [WriteAdminToken]. Without it only a transfer's own token opens
	// /status, for that transfer.
	AdminToken string
	// TLS, if set, serves https beside plain http on the same port
	// (SelfSignedTLS): murder's announce URLs are https.
	TLS *tls.Config
	// Logger receives the tracker's logs; nil discards them.
	Logger *slog.Logger
}

// Server is an HTTP BitTorrent tracker. It is an [http.Handler]; [Server.Serve]
// runs it with peer expiry.
type Server struct {
	cfg Config
	log *slog.Logger
	// now is the clock; tests replace it to expire peers without sleeping.
	now func() time.Time

	announces, announcesFailed atomic.Uint64 // for /metrics

	mu      sync.Mutex
	swarms  map[metainfo.Hash]*swarm
	allowed map[metainfo.Hash]string // from Allow: info-hash to token, "" for none
	dir     dirState                 // from AllowDir; has its own lock for scans
	scratch []*peer                  // reused by announces to collect the sample
	seen    idxSet                   // reused by announces to draw the sample
}

// New returns a Server for cfg, with defaults applied. With an AllowDir it scans
// the directory once and fails if it cannot be read.
func New(cfg Config) (*Server, error) {
	if err := applyDefaults(&cfg); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:     cfg,
		log:     log,
		now:     time.Now,
		swarms:  make(map[metainfo.Hash]*swarm),
		allowed: make(map[metainfo.Hash]string),
	}
	if cfg.AllowDir != "" {
		if err := s.scanDir(); err != nil {
			return nil, fmt.Errorf("tracker: %w", err)
		}
	}
	return s, nil
}

func applyDefaults(cfg *Config) error {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&cfg.Interval, DefaultInterval)
	setDur(&cfg.MinInterval, DefaultMinInterval)
	setDur(&cfg.PeerTTL, DefaultPeerTTL)
	if cfg.MaxNumWant == 0 {
		cfg.MaxNumWant = DefaultMaxNumWant
	}
	if cfg.DefaultNumWant == 0 {
		cfg.DefaultNumWant = DefaultNumWant
	}
	if cfg.MaxPeersPerSwarm == 0 {
		cfg.MaxPeersPerSwarm = DefaultMaxPeersPerSwarm
	}
	if cfg.AdminToken != "" {
		if err := ValidAdminToken(cfg.AdminToken); err != nil {
			return fmt.Errorf("tracker: config: %w", err)
		}
	}
	switch {
	case cfg.Interval < time.Second || cfg.MinInterval < 0 || cfg.PeerTTL < 0:
		return fmt.Errorf("tracker: config: intervals must be positive (interval at least 1s), got interval %v, min interval %v, peer TTL %v",
			cfg.Interval, cfg.MinInterval, cfg.PeerTTL)
	case cfg.MinInterval > cfg.Interval:
		return fmt.Errorf("tracker: config: min interval %v exceeds interval %v", cfg.MinInterval, cfg.Interval)
	case cfg.PeerTTL <= cfg.Interval:
		// Peers would vanish between two announces.
		return fmt.Errorf("tracker: config: peer TTL %v must exceed interval %v", cfg.PeerTTL, cfg.Interval)
	case cfg.MaxPeersPerSwarm < 0:
		return fmt.Errorf("tracker: config: max peers per swarm must not be negative, got %d", cfg.MaxPeersPerSwarm)
	case cfg.MaxNumWant < 0 || cfg.DefaultNumWant < 0:
		return fmt.Errorf("tracker: config: numwant limits must not be negative, got max %d, default %d",
			cfg.MaxNumWant, cfg.DefaultNumWant)
	}
	cfg.DefaultNumWant = min(cfg.DefaultNumWant, cfg.MaxNumWant)
	return nil
}

// Allow registers ih without a token: the tracker answers announces and
// scrapes for it on /announce and /scrape.
func (s *Server) Allow(ih metainfo.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.allowed[ih]; !ok {
		s.allowed[ih] = ""
		s.log.Info("tracker: info-hash registered", "info_hash", ih.HexString())
	}
}

// AllowToken registers ih with a transfer token: the tracker answers for it
// only on /<token>/announce and /<token>/scrape. It replaces an earlier
// registration of ih by Allow or AllowToken.
func (s *Server) AllowToken(ih metainfo.Hash, token string) error {
	if err := passkey.Valid(token); err != nil {
		return fmt.Errorf("register %s: %w", ih.HexString(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed[ih] = token
	s.log.Info("tracker: info-hash registered with a token", "info_hash", ih.HexString())
	return nil
}

// ServeHTTP routes /announce, /scrape, /<token>/announce, /<token>/scrape,
// /status and /metrics; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/announce":
		s.serveAnnounce(w, r, "")
	case "/scrape":
		s.serveScrape(w, r, "")
	case "/status":
		s.serveStatus(w, r)
	case "/metrics":
		s.serveMetrics(w, r)
	default:
		token, route, ok := splitTokenPath(r.URL.Path)
		switch {
		case !ok:
			http.NotFound(w, r)
		case route == "announce":
			s.serveAnnounce(w, r, token)
		default:
			s.serveScrape(w, r, token)
		}
	}
}

// Serve answers HTTP on ln and expires idle peers until ctx is done, then shuts
// down gracefully. It returns nil when stopped by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second, // a /status with ?peers=1 of a large fleet is megabytes
		// Keeps a peer's keep-alive connection across a re-announce or two,
		// so ten thousand hosts do not make ten thousand handshakes every
		// interval.
		IdleTimeout:    max(time.Minute, 2*s.cfg.Interval),
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.log.Info("tracker: serving", "addr", ln.Addr().String())

	janitorDone := make(chan struct{})
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go func() {
		defer close(janitorDone)
		s.janitor(janitorCtx)
	}()

	if s.cfg.TLS != nil {
		ln = dualListener{Listener: ln, tls: s.cfg.TLS}
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()

	var err error
	select {
	case err = <-serveErr:
		err = fmt.Errorf("tracker: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
		// A fresh context: ctx is already done, but in-flight announces deserve
		// a moment to finish.
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if serr := hs.Shutdown(shutCtx); serr != nil {
			// Stopping was asked for and happens anyway: cut the stragglers.
			s.log.Warn("tracker: graceful shutdown timed out, closing connections", "err", serr)
			_ = hs.Close() // its only error is the listener's, already closed by Shutdown
		}
		if serr := <-serveErr; !errors.Is(serr, http.ErrServerClosed) {
			err = fmt.Errorf("tracker: serve on %s: %w", ln.Addr(), serr)
		}
		s.log.Info("tracker: stopped", "addr", ln.Addr().String())
	}
	stopJanitor()
	<-janitorDone
	return err
}

// janitor expires idle peers until ctx is done. It sweeps several times per
// TTL so a peer outlives its TTL by a fraction of it at most.
func (s *Server) janitor(ctx context.Context) {
	t := time.NewTicker(max(s.cfg.PeerTTL/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n := s.expire(); n > 0 {
				s.log.Debug("tracker: expired idle peers", "count", n)
			}
		}
	}
}
