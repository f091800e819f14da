package localfleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const identityFile = "id_ed25519"

// writeIdentity generates the fleet's client key, writes it to path in
// OpenSSH format (mode 0600, as OpenSSH insists) and its public half to
// path+".pub", and returns the public key in wire format.
func writeIdentity(path string) ([]byte, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate client key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "murder-localfleet")
	if err != nil {
		return nil, fmt.Errorf("marshal client key: %w", err)
	}
	// Remove first: WriteFile keeps the mode of an existing file, and a
	// leftover key from an earlier run might be readable by others.
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("replace client key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("write client key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("client public key: %w", err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " murder-localfleet\n"
	if err := os.WriteFile(path+".pub", []byte(line), 0o644); err != nil {
		return nil, fmt.Errorf("write client public key: %w", err)
	}
	return sshPub.Marshal(), nil
}

// newHostKey generates a host key.
func newHostKey() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate host key: %w", err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("host key signer: %w", err)
	}
	return s, nil
}

// writeKnownHosts writes one line per host, keyed by "[IP]:Port" as
// OpenSSH and knownhosts.New expect for a non-default port.
func writeKnownHosts(path string, hosts []*host) error {
	var b strings.Builder
	for _, h := range hosts {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(h.Addr)}, h.signer.PublicKey()))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write known_hosts: %w", err)
	}
	return nil
}
