package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
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
	mu         sync.Mutex
	check      ssh.HostKeyCallback
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
		return nil
	}
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return fmt.Errorf("known_hosts %s: %w", h.file, err)
	}
	h.check = cb
	return nil
}

func (h *hostKeys) callback() ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		err := h.check(hostname, remote, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err
		}
		if len(ke.Want) > 0 {
			return &HostKeyError{Host: hostname, Changed: true, File: ke.Want[0].Filename, Line: ke.Want[0].Line}
		}
		switch h.mode {
		case "accept-new":
			return h.add(hostname, key)
		case "off":
			return nil
		}
		return &HostKeyError{Host: hostname, File: h.file}
	}
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
