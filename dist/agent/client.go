package agent

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/mse"
	pp "github.com/anacrolix/torrent/peer_protocol"
	"github.com/anacrolix/torrent/storage"
	"golang.org/x/time/rate"
)

// swarmFlags are the BitTorrent settings shared by seeder and peer.
type swarmFlags struct {
	port        int
	ipv6        bool
	maxConns    int
	halfOpen    int
	dialTimeout time.Duration
	uploadBps   int64
	downloadBps int64
	verbose     bool
	chunk       int
	maxRequests int
	// requireEncryption: every peer connection is TLS keyed by the
	// transfer (peertls.go).
	requireEncryption bool
}

// defaultMaxConns bounds each peer's connections. A swarm does not need a
// full mesh: a few sources keep a peer's link busy, and every connection
// costs CPU in anacrolix (request and availability bookkeeping per piece
// and connection), on the host and on the seeder it competes for. Four
// left a host with too few sources at the end of some transfers; five
// moved the bench's transfers as fast as six, with less CPU (the figures
// are in the commit that set it and in the README).
const defaultMaxConns = 5

// defaultSeederConns bounds the seeder's connections. The seeder's link
// is the scarce one, and a few connections with a whole piece in flight
// each keep it busy on a data-centre link; fewer peers fed directly by
// the seeder was measured faster than six, and four faster than two or
// three once the bench's hosts ran cubic (under bbr, whose losses at the
// links' queues distorted it, three had been measured best). A link with
// a large bandwidth-delay product needs more (--max-conns).
const defaultSeederConns = 4

// wholePieceRequests is how many whole-piece requests a connection keeps
// in flight (--max-requests 0 with whole-piece requests). anacrolix hands
// a request over to a connection that has fewer in flight and received
// data more recently, and cancels it at the first; a whole piece asked of
// a busy peer has usually been sent already, so both copies arrive and one
// is thrown away. With anacrolix's pipelining a peer of the bench's n=10,
// 256 MiB fleet received ~87 such pieces (17 % of the archive) on top; with
// one piece per connection ~33. A connection still has a whole piece
// coming, and a peer has one per connection, which keeps its link busy.
// Measured with ten connections: n=10 at 256 MiB (3 reps) 32.5 -> 30.0 s,
// seeder 1.30 -> 1.18 S; n=40 at 128 MiB (2 reps) 35.0 -> 30.2 s, seeder
// 1.89 -> 1.61 S; one rep each at n=10: one 30.9 s, two 31.5 s, four
// 31.7 s, unlimited 32.6 s.
const wholePieceRequests = 1

// register adds the swarm flags to fs; maxConns is --max-conns' default.
func (s *swarmFlags) register(fs *flag.FlagSet, maxConns int) {
	fs.IntVar(&s.port, "port", 0, "BitTorrent listen port (0: any free port)")
	fs.BoolVar(&s.ipv6, "ipv6", false, "also use IPv6")
	fs.IntVar(&s.maxConns, "max-conns", maxConns, "established connections per torrent")
	fs.IntVar(&s.halfOpen, "half-open", 40, "connection attempts in flight per torrent")
	fs.DurationVar(&s.dialTimeout, "dial-timeout", 2*time.Second, "peer connection timeout")
	fs.Int64Var(&s.uploadBps, "max-upload-rate", 0, "upload cap in bytes/s (0: none)")
	fs.Int64Var(&s.downloadBps, "max-download-rate", 0, "download cap in bytes/s (0: none)")
	fs.BoolVar(&s.verbose, "verbose", false, "log the BitTorrent library's info messages")
	fs.IntVar(&s.chunk, "chunk-size", 0, "bytes per block request (0: a whole piece up to 1 MiB; 16384 to download from other BitTorrent clients)")
	fs.IntVar(&s.maxRequests, "max-requests", 0, "requests in flight per connection (0: one with whole-piece requests, else what the other peer allows)")
	fs.BoolVar(&s.requireEncryption, "require-encryption", false, "make and accept only TLS peer connections keyed by the transfer's token: only holders of the .torrent can connect, and the network sees neither the info-hash nor the data")
}

// check refuses what anacrolix would take without a word and then never
// connect: fewer than one connection, or one attempt, at a time.
func (s swarmFlags) check() error {
	switch {
	case s.maxConns < 1:
		return usagef("--max-conns %d: want at least 1", s.maxConns)
	case s.halfOpen < 1:
		return usagef("--half-open %d: want at least 1", s.halfOpen)
	}
	return nil
}

// requestCap is how many requests a connection keeps in flight; 0 leaves
// it to anacrolix and the other peer.
func (s swarmFlags) requestCap() int {
	switch {
	case s.maxRequests > 0:
		return s.maxRequests
	case s.chunk <= 0:
		return wholePieceRequests
	}
	return 0
}

// capRequests makes every connection keep at most k requests in flight.
// anacrolix sends as many as the other peer's extended handshake allows
// (reqq; 250 until it arrives), so both are lowered as they are read.
func capRequests(cfg *torrent.ClientConfig, k int) {
	cfg.Callbacks.PeerConnAdded = append(cfg.Callbacks.PeerConnAdded, func(pc *torrent.PeerConn) {
		pc.PeerMaxRequests = min(pc.PeerMaxRequests, k)
	})
	cfg.Callbacks.ReadExtendedHandshake = func(_ *torrent.PeerConn, d *pp.ExtendedHandshakeMessage) {
		if d.Reqq <= 0 || d.Reqq > k {
			d.Reqq = k
		}
	}
}

// clientConfig is anacrolix's configuration tuned for a datacenter fleet:
// no DHT, no UPnP, no IPv6 unless asked, TCP only (TLS with
// --require-encryption, set up by usePeerTLS), no MSE stream encryption,
// short dial timeouts, few connections per peer (defaultMaxConns) and few
// requests in flight on each (wholePieceRequests).
func clientConfig(s swarmFlags, ip net.IP, st storage.ClientImpl, logw io.Writer) *torrent.ClientConfig {
	cfg := torrent.NewDefaultClientConfig()
	cfg.NoDHT = true
	cfg.NoDefaultPortForwarding = true // UPnP
	cfg.DisableIPv6 = !s.ipv6
	// uTP exists to yield to other traffic on home links; on a datacenter
	// LAN it only costs CPU, which the 2-core hosts of a fleet lack.
	cfg.DisableUTP = true
	cfg.DisableWebtorrent = true
	cfg.DisableWebseeds = true
	cfg.DisableTrackers = false
	cfg.Seed = true
	cfg.ListenPort = s.port
	cfg.PublicIp4 = ip
	cfg.DefaultStorage = st
	// anacrolix considers pieces for requests in its order (rarest first)
	// only until their lengths add up to MaxUnverifiedBytes, 64 MiB by
	// default: a peer of a larger artifact asked only for the 64 MiB it
	// ranked first, which mostly the seeder had, and the swarm crawled at
	// the seeder's rate until those were in (bench n=10, 256 MiB: 12 s at
	// a third of the links' rate). Unverified data is bounded by the file
	// anyway. n=10 256 MiB 40-43 -> 33.5 s, n=40 75 -> 67 s.
	cfg.MaxUnverifiedBytes = 0
	// MSE's RC4 hides traffic from ISPs at a high CPU cost, and its
	// obfuscation lets in anyone who knows the info-hash; a transfer that
	// must be hidden uses TLS keyed by its token instead (peertls.go), with
	// plain BitTorrent inside. Plaintext is still offered to peers that ask
	// for the header.
	cfg.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{Preferred: false, RequirePreferred: false}
	cfg.CryptoProvides = mse.CryptoMethodPlaintext
	// Without the fast extension (BEP 6) a cancel needs no answer. With it,
	// the other side answers a cancel it has not served with a reject, and
	// anacrolix adds no request to a connection whose last outstanding
	// request ended in a reject, waiting for an unchoke or a have instead.
	// A seeder sends neither: each request another connection took over
	// (request stealing) could leave one connection to it idle for the
	// rest of the transfer, and with an aria2c seeder the whole swarm
	// stalled one run in five.
	cfg.Extensions.SetBit(pp.ExtensionBitFast, false)
	cfg.DisableTCP = s.requireEncryption // usePeerTLS listens and dials
	cfg.NominalDialTimeout = s.dialTimeout
	cfg.MinDialTimeout = s.dialTimeout / 2
	cfg.HandshakesTimeout = 4 * time.Second
	cfg.EstablishedConnsPerTorrent = s.maxConns
	cfg.HalfOpenConnsPerTorrent = s.halfOpen
	cfg.TotalHalfOpenConns = 4 * s.halfOpen
	cfg.TorrentPeersHighWater = 2000
	cfg.TorrentPeersLowWater = 100
	// The default of 10 dials/s would take a minute to reach a few hundred
	// peers announced at once.
	cfg.DialRateLimiter = rate.NewLimiter(200, 50)
	if s.uploadBps > 0 {
		cfg.UploadRateLimiter = rate.NewLimiter(rate.Limit(s.uploadBps), int(max(s.uploadBps, 1<<20)))
	}
	if s.downloadBps > 0 {
		cfg.DownloadRateLimiter = rate.NewLimiter(rate.Limit(s.downloadBps), int(max(s.downloadBps, 1<<20)))
	}
	if k := s.requestCap(); k > 0 {
		capRequests(cfg, k)
	}
	level := slog.LevelWarn
	if s.verbose {
		level = slog.LevelInfo
	}
	cfg.Slogger = slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: level}))
	return cfg
}

// announceIP returns the address to announce: the explicit one if given,
// else the source address of the route to the tracker. The original ran
// `host $HOSTNAME`, which broke on hosts without DNS or with several
// addresses; the route is what the tracker and the other peers can reach.
//
// $MURDER_ANNOUNCE_IP, when set, stands in for a missing explicit IP: an
// operator can pin a host's address in its environment once.
func announceIP(explicit string, announceURL string) (net.IP, error) {
	if explicit == "" {
		explicit = os.Getenv("MURDER_ANNOUNCE_IP")
	}
	if explicit != "" {
		ip := net.ParseIP(explicit)
		if ip == nil {
			return nil, fmt.Errorf("IP %q is not an IP address", explicit)
		}
		return ip, nil
	}
	u, err := url.Parse(announceURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("announce URL %q is not a URL", announceURL)
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "80"
	}
	// A UDP "connection" sends nothing; it only asks the kernel for a route.
	c, err := net.Dial("udp4", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("finding the address to announce (route to tracker %s): %w", u.Host, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP, nil
}

// closeClient closes the client and reports the first error.
func closeClient(cl *torrent.Client) error {
	return errors.Join(cl.Close()...)
}
