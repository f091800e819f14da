package testfleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// privsepDir is the privilege separation directory sshd insists on.
const privsepDir = "/run/sshd"

// writeKeys creates the client identity, authorized_keys, known_hosts and
// every host's key and sshd config in the work dir.
func (f *Fleet) writeKeys() error {
	clientPub, err := writeNewKey(f.IdentityFile(), "testfleet-"+f.ID)
	if err != nil {
		return fmt.Errorf("fleet %s: client key: %w", f.ID, err)
	}
	if err := os.WriteFile(f.IdentityFile()+".pub", ssh.MarshalAuthorizedKey(clientPub), 0o644); err != nil {
		return fmt.Errorf("fleet %s: client key: %w", f.ID, err)
	}
	authorized := filepath.Join(f.dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(clientPub), 0o644); err != nil {
		return fmt.Errorf("fleet %s: authorized_keys: %w", f.ID, err)
	}
	if err := os.MkdirAll(privsepDir, 0o755); err != nil {
		return fmt.Errorf("fleet %s: %w", f.ID, err)
	}
	var known strings.Builder
	for _, h := range f.Hosts {
		if err := os.Mkdir(h.dir, 0o755); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		pub, err := writeNewKey(h.hostKey(), "testfleet-"+f.ID+"-"+h.Name)
		if err != nil {
			return fmt.Errorf("host %s: host key: %w", h.Name, err)
		}
		known.WriteString(knownhosts.Line([]string{h.IP}, pub) + "\n")
		if err := os.WriteFile(h.config(), []byte(h.sshdConfig(authorized)), 0o644); err != nil {
			return fmt.Errorf("host %s: sshd config: %w", h.Name, err)
		}
	}
	if err := os.WriteFile(f.KnownHostsFile(), []byte(known.String()), 0o644); err != nil {
		return fmt.Errorf("fleet %s: known_hosts: %w", f.ID, err)
	}
	return f.disablePenalties()
}

// writeNewKey writes a fresh ed25519 private key in OpenSSH format with
// mode 0600 and returns its public half.
func writeNewKey(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return sshPub, nil
}

func (h *Host) hostKey() string { return filepath.Join(h.dir, "ssh_host_ed25519_key") }
func (h *Host) config() string  { return filepath.Join(h.dir, "sshd_config") }

// sshdConfig returns the host's sshd_config. Limits are high because
// murder's tests open many sessions to one host at once.
func (h *Host) sshdConfig(authorized string) string {
	lines := []string{
		"ListenAddress " + h.IP + ":22",
		"HostKey " + quote(h.hostKey()),
		"PidFile " + quote(filepath.Join(h.dir, "sshd.pid")),
		"AuthorizedKeysFile " + quote(authorized),
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"Subsystem sftp internal-sftp",
		"MaxStartups 1000",
		"MaxSessions 200",
		"LogLevel ERROR",
	}
	return strings.Join(lines, "\n") + "\n"
}

// quote wraps a path for sshd_config, which splits unquoted words.
func quote(s string) string { return `"` + s + `"` }

// disablePenalties turns off OpenSSH >= 9.8 per-source penalties where the
// installed sshd knows them: every test connection comes from the one
// gateway address, and probes or killed sessions would otherwise get it
// refused.
func (f *Fleet) disablePenalties() error {
	if len(f.Hosts) == 0 {
		return nil
	}
	const opt = "PerSourcePenalties no"
	probe := exec.CommandContext(context.Background(), f.Hosts[0].sshdPath,
		"-t", "-f", f.Hosts[0].config(), "-o", strings.Replace(opt, " ", "=", 1))
	if probe.Run() != nil {
		return nil // older sshd: option unknown, nothing to disable
	}
	for _, h := range f.Hosts {
		fh, err := os.OpenFile(h.config(), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("host %s: sshd config: %w", h.Name, err)
		}
		_, err = fmt.Fprintln(fh, opt)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("host %s: sshd config: %w", h.Name, err)
		}
	}
	return nil
}
