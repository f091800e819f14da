package tracker

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"time"
)

// SelfSignedTLS returns a TLS configuration with a fresh self-signed
// certificate. Murder's announce URLs are https so that someone capturing
// the network sees no info-hash, token or peer list in announces; the
// BitTorrent client does not verify a tracker's certificate (anacrolix
// skips it), so encryption, not authentication, is what it buys: the
// token, the torrent's hashes and the archive's authenticated encryption
// keep an active attacker from doing more than disturb.
func SelfSignedTLS() (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := SelfSignedCertificate(key, "murder tracker")
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// SelfSignedCertificate returns a certificate for key, signed by key and
// named name. Who relies on it checks the key, if anything (see
// SelfSignedTLS, and the agent's TLS between peers, which pins it).
func SelfSignedCertificate(key crypto.Signer, name string) (tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// dualListener serves TLS and plain HTTP on one port, told apart by a
// connection's first byte (a TLS handshake record starts with 0x16): murder's
// own torrents announce over https, other clients' plain torrents over
// http, at the same address.
type dualListener struct {
	net.Listener
	tls *tls.Config
}

// Accept never reads: a client that connects and says nothing must not
// hold up the others. The first Read of the connection decides.
func (l dualListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, tls: l.tls}, nil
}

// sniffConn becomes a TLS server connection or stays plain on its first
// Read; the http.Server's deadlines reach the socket beneath either way.
type sniffConn struct {
	net.Conn
	tls  *tls.Config
	once sync.Once
	rw   net.Conn
	err  error
}

func (c *sniffConn) decide() {
	br := bufio.NewReader(c.Conn)
	first, err := br.Peek(1)
	if err != nil {
		c.err = err
		return
	}
	plain := &peekedConn{Conn: c.Conn, r: br}
	if first[0] == 0x16 {
		c.rw = tls.Server(plain, c.tls)
		return
	}
	c.rw = plain
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.once.Do(c.decide)
	if c.err != nil {
		return 0, c.err
	}
	return c.rw.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.once.Do(c.decide)
	if c.err != nil {
		return 0, c.err
	}
	return c.rw.Write(p)
}

// Close closes the socket, whatever the first byte said: the server may
// close an idle connection while another goroutine is in its first Read.
func (c *sniffConn) Close() error { return c.Conn.Close() }

// peekedConn reads through the reader that peeked at its first byte.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
