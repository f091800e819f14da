package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/fips140"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyServer is an in-process SSH server on 127.0.0.1 with the given host
// keys. It accepts the test identity and, for jump host tests, forwards
// direct-tcpip channels to 127.0.0.1 only; it refuses sessions.
type keyServer struct {
	Addr string
	Port int
	Keys []ssh.PublicKey // host keys, in the order given
}

func newED25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newECDSASigner(t *testing.T) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startKeyServer(t *testing.T, client ssh.PublicKey, hostKeys ...ssh.Signer) *keyServer {
	t.Helper()
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) == string(client.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	srv := &keyServer{}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
		srv.Keys = append(srv.Keys, k.PublicKey())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Addr = ln.Addr().String()
	srv.Port = ln.Addr().(*net.TCPAddr).Port

	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				serveKeyConn(c, cfg, track, &wg)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return srv
}

func serveKeyConn(c net.Conn, cfg *ssh.ServerConfig, track func(net.Conn), wg *sync.WaitGroup) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "direct-tcpip" {
			nc.Reject(ssh.Prohibited, "sessions are not served")
			continue
		}
		host, port, ok := parseDirectTCPIP(nc.ExtraData())
		if !ok || host != "127.0.0.1" {
			nc.Reject(ssh.Prohibited, "only 127.0.0.1 is forwarded")
			continue
		}
		fwd, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
		if err != nil {
			nc.Reject(ssh.ConnectionFailed, err.Error())
			continue
		}
		track(fwd)
		ch, creqs, err := nc.Accept()
		if err != nil {
			fwd.Close()
			continue
		}
		go ssh.DiscardRequests(creqs)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(ch, fwd)
			ch.Close()
		}()
		go func() {
			defer wg.Done()
			_, _ = io.Copy(fwd, ch)
			fwd.Close()
		}()
	}
}

// parseDirectTCPIP reads the destination of a direct-tcpip channel
// (RFC 4254 section 7.2).
func parseDirectTCPIP(b []byte) (string, uint32, bool) {
	if len(b) < 4 {
		return "", 0, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(len(b)) < 8+uint64(n) {
		return "", 0, false
	}
	return string(b[4 : 4+n]), binary.BigEndian.Uint32(b[4+n:]), true
}

// hostKeyFixture: an identity file and a known_hosts path in a temp dir.
type hostKeyFixture struct {
	identity string
	dir      string
	client   ssh.PublicKey
}

func newHostKeyFixture(t *testing.T) *hostKeyFixture {
	p, pub := writeKey(t, "")
	return &hostKeyFixture{identity: p, dir: t.TempDir(), client: pub}
}

// knownHosts writes lines to a new known_hosts file and returns its path.
func (f *hostKeyFixture) knownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(f.dir, "known_hosts_"+strconv.Itoa(len(lines))+"_"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *hostKeyFixture) config(known, mode string) Config {
	return Config{
		User: "deploy", IdentityFiles: []string{f.identity}, KnownHosts: known,
		HostKeyChecking: mode, Timeout: 5 * time.Second,
	}
}

func keyLine(addr string, k ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, k)
}

func hashedLine(addr string, k ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.HashHostname(knownhosts.Normalize(addr))}, k)
}

// TestHostKeyOtherType: a host with an ed25519 and an ECDSA host key is
// accepted whichever of the two known_hosts holds, as OpenSSH does, and a
// different key is still refused as CHANGED in every mode.
func TestHostKeyOtherType(t *testing.T) {
	fx := newHostKeyFixture(t)
	edKey, ecKey := newED25519Signer(t), newECDSASigner(t)
	srv := startKeyServer(t, fx.client, edKey, ecKey)
	ed, ec := edKey.PublicKey(), ecKey.PublicKey()
	other := newED25519Signer(t).PublicKey()
	otherEC := newECDSASigner(t).PublicKey()
	tg := Target{Name: "two-keys", Host: "127.0.0.1", Port: srv.Port}
	if !strings.HasPrefix(keyLine(srv.Addr, ed), "[127.0.0.1]:"+strconv.Itoa(srv.Port)+" ") {
		t.Fatalf("entry %q is not for [127.0.0.1]:PORT", keyLine(srv.Addr, ed))
	}

	for _, tt := range []struct {
		name  string
		lines []string
	}{
		{"ed25519 only", []string{keyLine(srv.Addr, ed)}},
		{"ecdsa only", []string{keyLine(srv.Addr, ec)}},
		{"both", []string{keyLine(srv.Addr, ec), keyLine(srv.Addr, ed)}},
		{"hashed ed25519", []string{hashedLine(srv.Addr, ed)}},
		{"hashed ecdsa", []string{hashedLine(srv.Addr, ec)}},
		{"ed25519 among other hosts' entries", []string{
			keyLine("127.0.0.1:1", ec), // same address, another port
			keyLine("127.0.0.1", otherEC),
			keyLine(srv.Addr, ed),
		}},
	} {
		for _, mode := range []string{"strict", "accept-new", "off"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				known := fx.knownHosts(t, tt.lines...)
				dial(t, newDialer(t, fx.config(known, mode)), tg)
				if b, _ := os.ReadFile(known); string(b) != strings.Join(tt.lines, "\n")+"\n" {
					t.Errorf("known_hosts changed to:\n%s", b)
				}
			})
		}
	}

	for _, tt := range []struct {
		name  string
		lines []string
	}{
		{"different ed25519", []string{keyLine(srv.Addr, other)}},
		{"hashed different ed25519", []string{hashedLine(srv.Addr, other)}},
		{"different ecdsa", []string{keyLine(srv.Addr, otherEC)}},
		{"different ed25519 and ecdsa", []string{keyLine(srv.Addr, other), keyLine(srv.Addr, otherEC)}},
	} {
		for _, mode := range []string{"strict", "accept-new", "off"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				known := fx.knownHosts(t, tt.lines...)
				de := dialErr(t, newDialer(t, fx.config(known, mode)), tg)
				if de.Kind != "hostkey-changed" || !strings.Contains(de.Msg, "CHANGED") {
					t.Errorf("DialError = %+v, want hostkey-changed", de)
				}
				if b, _ := os.ReadFile(known); string(b) != strings.Join(tt.lines, "\n")+"\n" {
					t.Errorf("known_hosts changed to:\n%s", b)
				}
			})
		}
	}
}

// TestHostKeyTypeChanged: a host whose only key is of a type known_hosts
// does not hold for it is reported as CHANGED, not as a failed algorithm
// negotiation: the recorded types are preferred, not the only ones offered.
func TestHostKeyTypeChanged(t *testing.T) {
	fx := newHostKeyFixture(t)
	srv := startKeyServer(t, fx.client, newED25519Signer(t))
	tg := Target{Name: "ed-only", Host: "127.0.0.1", Port: srv.Port}
	known := fx.knownHosts(t, keyLine(srv.Addr, newECDSASigner(t).PublicKey()))
	de := dialErr(t, newDialer(t, fx.config(known, "strict")), tg)
	if de.Kind != "hostkey-changed" {
		t.Errorf("DialError = %+v, want hostkey-changed", de)
	}
}

// TestHostKeyUnknownHostTwoKeys: with nothing recorded the defaults stand:
// strict refuses, accept-new records the key the server chose, and that
// record then satisfies strict checking.
func TestHostKeyUnknownHostTwoKeys(t *testing.T) {
	fx := newHostKeyFixture(t)
	srv := startKeyServer(t, fx.client, newED25519Signer(t), newECDSASigner(t))
	tg := Target{Name: "two-keys", Host: "127.0.0.1", Port: srv.Port}
	known := filepath.Join(fx.dir, "known_hosts_new")

	de := dialErr(t, newDialer(t, fx.config(known, "strict")), tg)
	if de.Kind != "hostkey-unknown" {
		t.Errorf("strict: DialError = %+v, want hostkey-unknown", de)
	}
	d := newDialer(t, fx.config(known, "accept-new"))
	dial(t, d, tg)
	dial(t, d, tg)
	b, err := os.ReadFile(known)
	if err != nil || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("known_hosts after accept-new: %q, %v", b, err)
	}
	dial(t, newDialer(t, fx.config(known, "strict")), tg)
}

// TestHostKeyGateway: the jump host and the hosts dialed through it are
// each offered the algorithms of their own known_hosts entries.
func TestHostKeyGateway(t *testing.T) {
	fx := newHostKeyFixture(t)
	gwED, gwEC := newED25519Signer(t), newECDSASigner(t)
	gw := startKeyServer(t, fx.client, gwED, gwEC)
	hED, hEC := newED25519Signer(t), newECDSASigner(t)
	h := startKeyServer(t, fx.client, hED, hEC)
	tg := Target{Name: "behind", Host: "127.0.0.1", Port: h.Port}

	for _, tt := range []struct {
		name  string
		lines []string
		kind  string // "" for success
	}{
		{"ed25519 gateway, ed25519 host", []string{keyLine(gw.Addr, gwED.PublicKey()), keyLine(h.Addr, hED.PublicKey())}, ""},
		{"ed25519 gateway, hashed ecdsa host", []string{keyLine(gw.Addr, gwED.PublicKey()), hashedLine(h.Addr, hEC.PublicKey())}, ""},
		{"hashed ecdsa gateway, ed25519 host", []string{hashedLine(gw.Addr, gwEC.PublicKey()), keyLine(h.Addr, hED.PublicKey())}, ""},
		{"gateway key changed", []string{keyLine(gw.Addr, newED25519Signer(t).PublicKey()), keyLine(h.Addr, hED.PublicKey())}, "hostkey-changed"},
		{"host key changed", []string{keyLine(gw.Addr, gwED.PublicKey()), keyLine(h.Addr, newED25519Signer(t).PublicKey())}, "hostkey-changed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fx.config(fx.knownHosts(t, tt.lines...), "strict")
			cfg.Gateway = &Target{Name: "bastion", Host: "127.0.0.1", Port: gw.Port}
			d := newDialer(t, cfg)
			if tt.kind == "" {
				dial(t, d, tg)
				return
			}
			_, err := d.Dial(context.Background(), tg)
			var de *DialError
			if !errors.As(err, &de) || de.Kind != tt.kind {
				t.Errorf("Dial = %v, want a %s DialError", err, tt.kind)
			}
		})
	}
}

// TestHostKeyConcurrentDials: one Dialer shared by goroutines dialing
// hosts that record different key types (run with -race).
func TestHostKeyConcurrentDials(t *testing.T) {
	fx := newHostKeyFixture(t)
	var lines []string
	var targets []Target
	for i := range 4 {
		ed, ec := newED25519Signer(t), newECDSASigner(t)
		srv := startKeyServer(t, fx.client, ed, ec)
		k := ed.PublicKey()
		if i%2 == 1 {
			k = ec.PublicKey()
		}
		lines = append(lines, keyLine(srv.Addr, k))
		targets = append(targets, Target{Name: "h" + strconv.Itoa(i), Host: "127.0.0.1", Port: srv.Port})
	}
	d := newDialer(t, fx.config(fx.knownHosts(t, lines...), "strict"))
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(targets))
	for range 3 {
		for _, tg := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := d.Dial(context.Background(), tg)
				if err != nil {
					errs <- err
					return
				}
				c.Close()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// hostCertSigner: key certified as a host key for 127.0.0.1 by ca.
func hostCertSigner(t *testing.T, ca, key ssh.Signer) ssh.Signer {
	t.Helper()
	cert := &ssh.Certificate{
		Key: key.PublicKey(), CertType: ssh.HostCert, KeyId: "test host",
		ValidPrincipals: []string{"127.0.0.1"}, ValidBefore: ssh.CertTimeInfinity,
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHostKeyCertificates: a host that shows a certificate and a plain key
// is checked against whichever known_hosts holds: the CA when a
// @cert-authority line matches it, else its plain key (x/crypto/ssh does
// not fall back from a certificate to the certified key as OpenSSH does).
func TestHostKeyCertificates(t *testing.T) {
	fx := newHostKeyFixture(t)
	ca, hostKey := newED25519Signer(t), newED25519Signer(t)
	srv := startKeyServer(t, fx.client, hostCertSigner(t, ca, hostKey), hostKey)
	srvEC := startKeyServer(t, fx.client, newECDSASigner(t), hostCertSigner(t, ca, hostKey))
	caLine := "@cert-authority " + keyLine(srv.Addr, ca.PublicKey())
	for _, tt := range []struct {
		name  string
		srv   *keyServer
		lines []string
		kind  string
	}{
		{"plain key recorded", srv, []string{keyLine(srv.Addr, hostKey.PublicKey())}, ""},
		{"hashed plain key recorded", srv, []string{hashedLine(srv.Addr, hostKey.PublicKey())}, ""},
		{"cert authority", srv, []string{caLine}, ""},
		// A pattern without a port is for port 22: the host is unknown, the
		// defaults are offered and it shows its certificate, which has no
		// authority (as before; the unknown-host path is unchanged).
		{"cert authority for port 22 only", srvEC, []string{"@cert-authority 127.0.0.* " + strings.SplitN(keyLine(srv.Addr, ca.PublicKey()), " ", 2)[1]}, "handshake"},
		{"cert authority for the port", srvEC, []string{"@cert-authority [127.0.0.?]:" + strconv.Itoa(srvEC.Port) + " " + strings.SplitN(keyLine(srv.Addr, ca.PublicKey()), " ", 2)[1]}, ""},
		{"cert authority, other key recorded plain", srv, []string{caLine, keyLine(srv.Addr, newED25519Signer(t).PublicKey())}, ""},
		{"other cert authority", srv, []string{"@cert-authority " + keyLine(srv.Addr, newED25519Signer(t).PublicKey())}, "handshake"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tg := Target{Name: "cert", Host: "127.0.0.1", Port: tt.srv.Port}
			d := newDialer(t, fx.config(fx.knownHosts(t, tt.lines...), "strict"))
			if tt.kind == "" {
				dial(t, d, tg)
				return
			}
			de := dialErr(t, d, tg)
			if de.Kind != tt.kind {
				t.Errorf("DialError = %+v, want %s", de, tt.kind)
			}
		})
	}
}

// TestHostKeyAlgorithms: which entries count for an address, and the order
// of the algorithms offered.
func TestHostKeyAlgorithms(t *testing.T) {
	fx := newHostKeyFixture(t)
	ed := newED25519Signer(t).PublicKey()
	ec := newECDSASigner(t).PublicKey()
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec384Signer, err := ssh.NewSignerFromKey(ec384)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := parsePub(t, testRSAPub)
	keyPart := func(k ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) }

	rsaAlgs := []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	certAlgs := []string{ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01, ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01}
	for _, a := range ssh.SupportedAlgorithms().HostKeys { // ML-DSA
		if isCertAlgorithm(a) && !slices.Contains(certAlgs, a) {
			certAlgs = append(certAlgs, a)
		}
	}
	if !fips140.Enabled() {
		rsaAlgs = append(rsaAlgs, ssh.KeyAlgoRSA)
		certAlgs = append(certAlgs, ssh.CertAlgoRSAv01)
	}
	const addr = "127.0.0.1:2222"
	const addr22 = "127.0.0.1:22"
	for _, tt := range []struct {
		name  string
		addr  string
		lines []string
		first []string // the algorithms offered first, in order; nil: defaults
	}{
		{"nothing recorded", addr, nil, nil},
		{"other port", addr, []string{keyLine("127.0.0.1:2223", ed), keyLine("127.0.0.1", ed)}, nil},
		{"port 22 entry is no [host]:port entry", addr22, []string{keyLine(addr, ed)}, nil},
		{"port 22", addr22, []string{"127.0.0.1 " + keyPart(ec)}, []string{ssh.KeyAlgoECDSA256}},
		{"[host]:port", addr, []string{keyLine(addr, ed)}, []string{ssh.KeyAlgoED25519}},
		{"hashed", addr, []string{hashedLine(addr, ec)}, []string{ssh.KeyAlgoECDSA256}},
		{"hashed port 22", addr22, []string{hashedLine(addr22, ed)}, []string{ssh.KeyAlgoED25519}},
		{"hashed for another port", addr, []string{hashedLine("127.0.0.1:2223", ed)}, nil},
		{"pattern list", addr, []string{"w01,[127.0.0.1]:2222 " + keyPart(ec384Signer.PublicKey())}, []string{ssh.KeyAlgoECDSA384}},
		{"negated pattern", addr, []string{"[127.0.0.*]:2222,![127.0.0.1]:2222 " + keyPart(ed)}, nil},
		{"rsa", addr, []string{keyLine(addr, rsaKey)}, rsaAlgs},
		{"ecdsa and ed25519", addr, []string{keyLine(addr, ec), keyLine(addr, ed)}, []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256}},
		{"cert authority", addr, []string{"@cert-authority " + keyLine(addr, ed)},
			certAlgs},
		{"cert authority and plain key", addr, []string{"@cert-authority " + keyLine(addr, ed), keyLine(addr, ec)},
			append(slices.Clone(certAlgs), ssh.KeyAlgoECDSA256)},
		{"revoked key", addr, []string{"@revoked " + keyLine(addr, ec), keyLine(addr, ed)}, []string{ssh.KeyAlgoED25519}},
		{"only revoked", addr, []string{"@revoked " + keyLine(addr, ec)}, nil},
		{"revoked for every host", addr, []string{"@revoked * " + keyPart(ec), keyLine(addr, ed)}, []string{ssh.KeyAlgoED25519}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			known := filepath.Join(fx.dir, "nonesuch")
			if tt.lines != nil {
				known = fx.knownHosts(t, append([]string{"# comment", ""}, tt.lines...)...)
			}
			hk, err := newHostKeys(known, "strict")
			if err != nil {
				t.Fatal(err)
			}
			got := hk.algorithms(tt.addr)
			if tt.first == nil {
				if got != nil {
					t.Errorf("algorithms = %q, want nil (the defaults)", got)
				}
				return
			}
			want := slices.Concat(tt.first, slices.DeleteFunc(hostKeyAlgorithms(), func(a string) bool { return slices.Contains(tt.first, a) }))
			if !slices.Equal(got, want) {
				t.Errorf("algorithms =\n%q, want\n%q", got, want)
			}
		})
	}
}

// testRSAPub is an RSA public key (generating one per test run is slow).
const testRSAPub = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDUBVV6mYSfUU2RN9aN7STq/WmOOZWGqrBI4k+aQc9KPPgWv+reBjmG42owfC14WT1O4AHvbkY/DJT+jgUV9Eg0w/au28ckAxBd94glwHbApvRLgs7vSaQGCIGfFM+7ZrUXNMBhcUp1br3ztiasPAoU0kLgnrhpAzT5lUkJA6ZLRMPRQ6Lp0fwP4tv5lAkI1prK8Mx7xvnRHvgyhRRyvxQd0udTTBDjCUatxKjPknElMoBLTukGe4Ya/X6Tol9N3f3Kfzq9tz/VG8O6dzZzbCQZ/4g67s42crgeJq31f7Xb6Ka7Oyy0ySbQaBdSRHgBjccnrfz23BgmETLi8LYkMsSR"

func parsePub(t *testing.T, line string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
