package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/murderfleet/murder/dist/tracker"
)

// Peer connections of a transfer with --require-encryption are TLS 1.3,
// both sides presenting one certificate whose key is derived from the
// transfer's token and info-hash, and each refusing a peer that presents
// any other. So only holders of the .torrent (which travels over SSH) can
// connect at all, and the network sees neither the info-hash nor a byte
// of the archive. This replaces BitTorrent's own MSE/RC4 obfuscation,
// which let anyone who knew the info-hash connect, and whose RC4 (pure Go,
// on both ends of every byte) was the largest CPU cost of a transfer;
// TLS's AES-GCM uses the CPU's AES instructions.

// peerTLSInfo names the key derivation, so that a key derived for another
// purpose from the same token can never equal this one.
const peerTLSInfo = "murder peer-wire TLS v1"

// peerTLSConfig returns the TLS configuration of every peer connection of
// the transfer mi describes, for both ends: the certificate derived from
// its token and info-hash, required from the other end too.
func peerTLSConfig(mi *metainfo.MetaInfo) (*tls.Config, error) {
	token, err := tracker.TorrentToken(mi)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("--require-encryption needs a murder torrent (its announce URL carries the transfer token the connections are keyed by); this one has none")
	}
	ih := mi.HashInfoBytes()
	seed, err := hkdf.Key(sha256.New, []byte(token), ih[:], peerTLSInfo, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("peer TLS key: %w", err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	// Certificates are not verified (each end pins the key instead), so
	// only the key in this one matters.
	cert, err := tracker.SelfSignedCertificate(key, "murder peer")
	if err != nil {
		return nil, fmt.Errorf("peer TLS certificate: %w", err)
	}
	want := key.Public().(ed25519.PublicKey)
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
		// The peer's key is checked in VerifyConnection, on both ends.
		InsecureSkipVerify:     true,
		ClientAuth:             tls.RequireAnyClientCert,
		SessionTicketsDisabled: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("peer presented no certificate")
			}
			got, ok := cs.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
			if !ok || !bytes.Equal(got, want) {
				return errors.New("peer is not of this transfer (its certificate is not the transfer's)")
			}
			return nil
		},
	}, nil
}

// tlsDialer dials peers and completes the TLS handshake within the
// dial's deadline, so that anacrolix's half-open limit covers it.
type tlsDialer struct {
	network string
	cfg     *tls.Config
}

func (d tlsDialer) DialerNetwork() string { return d.network }

func (d tlsDialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, d.network, addr)
	if err != nil {
		return nil, err
	}
	tc := newBatchedTLS(c, d.cfg, tls.Client)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS with peer %s: %w", addr, err)
	}
	return tc, nil
}

// usePeerTLS makes cl accept and dial only TLS peer connections keyed by
// mi (see peerTLSConfig) on port (0: any). cl must have been made with
// DisableTCP, so that it has no plain listener. The returned listener is
// the caller's to close (anacrolix does not close added listeners).
func usePeerTLS(cl *torrent.Client, mi *metainfo.MetaInfo, port int, ipv6 bool) (net.Listener, error) {
	cfg, err := peerTLSConfig(mi)
	if err != nil {
		return nil, err
	}
	network := "tcp4"
	if ipv6 {
		network = "tcp"
	}
	ln, err := net.Listen(network, net.JoinHostPort("", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("peer listener: %w", err)
	}
	tl := batchedListener{ln, cfg}
	cl.AddListener(tl)
	cl.AddDialer(tlsDialer{network: network, cfg: cfg})
	return tl, nil
}
