package remote

import (
	"crypto/ed25519"
	"crypto/fips140"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/melbahja/goph"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// authMethods: the configured identity files, else the ssh-agent, else the
// default keys in ~/.ssh. Never a password prompt: deploys run unattended.
func authMethods(files []string) ([]ssh.AuthMethod, error) {
	if len(files) > 0 {
		var signers []ssh.Signer
		for _, f := range files {
			s, err := loadKey(f)
			if err != nil {
				return nil, err
			}
			signers = append(signers, s)
		}
		return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, nil
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if c, err := net.Dial("unix", sock); err == nil {
			return []ssh.AuthMethod{ssh.PublicKeysCallback(agent.NewClient(c).Signers)}, nil
		}
	}
	home, _ := os.UserHomeDir()
	var signers []ssh.Signer
	for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		if s, err := loadKey(filepath.Join(home, ".ssh", name)); err == nil {
			signers = append(signers, s)
		}
	}
	if len(signers) == 0 {
		return nil, errors.New("no SSH key: set ssh.identity_files in murder.yaml, start an ssh-agent, or create ~/.ssh/id_ed25519")
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, nil
}

func loadKey(path string) (ssh.Signer, error) {
	s, err := goph.GetSigner(path, "")
	var pp *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &pp):
		return nil, fmt.Errorf("identity file %s is protected by a passphrase: add it to an ssh-agent instead", path)
	case err != nil:
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	return s, nil
}

// HostKeyError is an unknown or changed host key.
type HostKeyError struct {
	Host    string
	Changed bool
	File    string
	Line    int
}

func (e *HostKeyError) kind() string {
	if e.Changed {
		return "hostkey-changed"
	}
	return "hostkey-unknown"
}

func (e *HostKeyError) Error() string {
	if e.Changed {
		return fmt.Sprintf("host key of %s CHANGED: it differs from %s line %d; someone may be intercepting the connection. If the host was reinstalled, remove the old key with: ssh-keygen -R %s", e.Host, e.File, e.Line, e.Host)
	}
	return fmt.Sprintf("host key of %s is unknown: it is not in %s (host_key_checking: strict). Verify and add it (ssh-keyscan), or set host_key_checking: accept-new", e.Host, e.File)
}

// hostKeys checks host keys against a known_hosts file. In accept-new mode
// an unknown host's key is appended; in off mode it is accepted without
// being recorded. A key that differs from a recorded one is refused in
// every mode.
type hostKeys struct {
	file, mode string
	mu         sync.RWMutex // dials read known_hosts at once; accept-new writes it
	check      ssh.HostKeyCallback
	caLines    map[int]bool // numbers of the file's @cert-authority lines
	plain      plainIndex   // the file's keys by host when all its lines are plain
}

func newHostKeys(file, mode string) (*hostKeys, error) {
	if mode == "" {
		mode = "strict"
	}
	if mode != "strict" && mode != "accept-new" && mode != "off" {
		return nil, fmt.Errorf("host_key_checking %q: want strict, accept-new or off", mode)
	}
	if file == "" {
		home, _ := os.UserHomeDir()
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	h := &hostKeys{file: file, mode: mode}
	if err := h.load(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *hostKeys) load() error {
	if _, err := os.Stat(h.file); errors.Is(err, os.ErrNotExist) {
		h.check = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
		h.caLines, h.plain = nil, nil
		return nil
	}
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return fmt.Errorf("known_hosts %s: %w", h.file, err)
	}
	ca, plain, err := scanKnownHosts(h.file)
	if err != nil {
		return fmt.Errorf("known_hosts %s: %w", h.file, err)
	}
	h.check, h.caLines, h.plain = cb, ca, plain
	return nil
}

// lookup checks key against known_hosts (read lock held): through the
// index when there is one and key is a plain key (a certificate needs
// knownhosts' checks), else by knownhosts' scan.
func (h *hostKeys) lookup(hostname string, remote net.Addr, key ssh.PublicKey) error {
	if _, cert := key.(*ssh.Certificate); h.plain != nil && !cert && hostname != "" {
		return h.plain.check(hostname, remote, key)
	}
	return h.check(hostname, remote, key)
}

// probeKey is a key no known_hosts records: checking it against a host's
// entries fails with a KeyError whose Want lists them all. nil when none
// could be made (the system's randomness failed): nothing is then known
// to be recorded, and the package's default algorithms are offered.
var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	return k
})

// recorded returns the types of the plain keys known_hosts holds for addr
// (host:port as dialed; hashed names, [host]:port entries and patterns
// match as in checking), and whether a @cert-authority line matches addr.
// @revoked lines record no key for a host and are not counted.
func (h *hostKeys) recorded(addr string) (types map[string]bool, ca bool) {
	probe := probeKey()
	if probe == nil {
		return nil, false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	err := h.lookup(addr, &net.TCPAddr{IP: net.IPv4zero}, probe)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil, false
	}
	for _, w := range ke.Want {
		if w.Filename == h.file && h.caLines[w.Line] {
			ca = true
			continue
		}
		if types == nil {
			types = map[string]bool{}
		}
		types[w.Key.Type()] = true
	}
	return types, ca
}

// algorithms returns the host key algorithms to offer addr, as OpenSSH
// orders HostKeyAlgorithms: first the certificate algorithms if a
// @cert-authority line matches the host, then the algorithms of the key
// types known_hosts records for it, then the rest. The server picks the
// first one it has, so a host recorded with its ed25519 key that also has
// an ECDSA key shows its ed25519 key and is not reported as CHANGED; a
// host whose keys are all of other types still shows one, to be refused
// as CHANGED rather than failing the negotiation. Nothing recorded: nil,
// the package defaults.
func (h *hostKeys) algorithms(addr string) []string {
	types, ca := h.recorded(addr)
	if len(types) == 0 && !ca {
		return nil
	}
	var first, plain, rest []string
	for _, alg := range hostKeyAlgorithms() {
		switch {
		case isCertAlgorithm(alg) && ca:
			first = append(first, alg)
		case !isCertAlgorithm(alg) && types[keyFormat(alg)]:
			plain = append(plain, alg)
		default:
			rest = append(rest, alg)
		}
	}
	return slices.Concat(first, plain, rest)
}

// hostKeyAlgorithms is the set x/crypto/ssh offers by default, in our
// order of preference: ed25519, ECDSA, RSA, with the SHA-1 "ssh-rsa"
// signatures last and left out in FIPS 140 mode, as the defaults do.
func hostKeyAlgorithms() []string {
	algs := []string{
		ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
		ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
		ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
	}
	// Anything newer the package supports (ML-DSA), after these.
	for _, alg := range ssh.SupportedAlgorithms().HostKeys {
		if !slices.Contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	if !fips140.Enabled() {
		algs = append(algs, ssh.CertAlgoRSAv01, ssh.KeyAlgoRSA)
	}
	return algs
}

func isCertAlgorithm(alg string) bool { return strings.Contains(alg, "-cert-v01@") }

// keyFormat is the key type (as in known_hosts) that alg signs with.
func keyFormat(alg string) string {
	switch alg {
	case ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512:
		return ssh.KeyAlgoRSA
	}
	return alg
}

func (h *hostKeys) callback() ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		h.mu.RLock()
		err := h.verdict(hostname, remote, key)
		h.mu.RUnlock()
		if err != errUnknownHost {
			return err
		}
		switch h.mode {
		case "accept-new":
			h.mu.Lock()
			defer h.mu.Unlock()
			// Another dial may have recorded the host meanwhile.
			if err := h.verdict(hostname, remote, key); err != errUnknownHost {
				return err
			}
			return h.add(hostname, key)
		case "off":
			return nil
		}
		return &HostKeyError{Host: hostname, File: h.file}
	}
}

// errUnknownHost is verdict's answer for a host known_hosts does not hold.
var errUnknownHost = errors.New("unknown host")

// verdict checks key against known_hosts (read lock held): nil when it is
// recorded, a CHANGED HostKeyError when another key is, errUnknownHost
// when the host is not there.
func (h *hostKeys) verdict(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := h.lookup(hostname, remote, key)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return err
	}
	if len(ke.Want) > 0 {
		return &HostKeyError{Host: hostname, Changed: true, File: ke.Want[0].Filename, Line: ke.Want[0].Line}
	}
	return errUnknownHost
}

func (h *hostKeys) add(hostname string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(h.file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(h.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("recording host key of %s: %w", hostname, err)
	}
	_, err = fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return h.load()
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
