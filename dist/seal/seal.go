// Package seal encrypts murder's archives for the hosts of one deploy with
// age (X25519 recipients). The payload format is age's STREAM: 64 KiB
// ChaCha20-Poly1305 chunks, so a reader decrypts and authenticates as it
// goes, without a second pass over the file, and a tampered, truncated or
// reordered chunk is an error before its bytes are handed on.
//
// The package is small on purpose: the controller imports it to make keys
// without linking the BitTorrent client.
package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"filippo.io/age"
)

// Magic starts every age file (its header's version line).
const Magic = "age-encryption.org/v1"

// maxIdentitySize bounds an identity file: a key is 74 characters, so
// anything much larger is not one.
const maxIdentitySize = 64 << 10

// NewKey makes a fresh X25519 key pair: identity (AGE-SECRET-KEY-1...) is
// the secret the peers decrypt with, recipient (age1...) the public half
// the seeder encrypts to.
func NewKey() (identity, recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", fmt.Errorf("seal: generating a key: %w", err)
	}
	return id.String(), id.Recipient().String(), nil
}

// Encrypt returns a writer that encrypts what it is given to recipient and
// writes the result to w. Close writes the final chunk; without it the file
// is truncated and will not decrypt.
func Encrypt(w io.Writer, recipient string) (io.WriteCloser, error) {
	r, err := age.ParseX25519Recipient(strings.TrimSpace(recipient))
	if err != nil {
		return nil, fmt.Errorf("seal: recipient %q: %w", recipient, err)
	}
	ew, err := age.Encrypt(w, r)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return ew, nil
}

// Decrypt reads r's age header now, failing if identity cannot open it, and
// returns a reader of the plaintext. The reader's errors say what failed:
// a chunk that does not authenticate (tampered, corrupted, truncated, or
// followed by trailing data) is an error, never passed on.
func Decrypt(r io.Reader, identity string) (io.Reader, error) {
	ids, err := parseIdentities(identity)
	if err != nil {
		return nil, err
	}
	pr, err := age.Decrypt(r, ids...)
	if err != nil {
		return nil, openError(err)
	}
	return authReader{pr}, nil
}

// openError says why a header did not open, a wrong key in those words.
func openError(err error) error {
	var nomatch *age.NoIdentityMatchError
	if errors.As(err, &nomatch) {
		return errors.New("seal: the archive is not encrypted to this identity (wrong key)")
	}
	return fmt.Errorf("seal: %w", err)
}

// authReader names the cause of a failed read of the plaintext.
type authReader struct{ r io.Reader }

func (a authReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("seal: decrypting: %w (the encrypted file is tampered with, corrupt or truncated)", err)
	}
	return n, err
}

func parseIdentities(identity string) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(strings.NewReader(identity))
	if err != nil {
		// age's message quotes nothing of the key, so it is safe to show.
		return nil, fmt.Errorf("seal: identity: %w", err)
	}
	return ids, nil
}

// IsEncrypted reports whether header, the first bytes of a file (at least
// len(Magic)), begins an age file.
func IsEncrypted(header []byte) bool {
	return bytes.HasPrefix(header, []byte(Magic))
}

// ReadIdentity reads an identity from the file at path, or from stdin when
// path is "-" (the controller sends it over the SSH session's stdin, never
// on a command line, where other local users could read it in ps). A file
// must be a regular file that only its owner can access (mode & 077 == 0).
// Surrounding whitespace is trimmed and the result is checked to parse.
func ReadIdentity(path string, stdin io.Reader) (string, error) {
	s, err := ReadSecret(path, stdin)
	if err != nil {
		return "", err
	}
	if _, err := parseIdentities(s); err != nil {
		return "", fmt.Errorf("seal: identity %s: not an age identity", describe(path))
	}
	return s, nil
}

// ReadSecret reads a secret the controller hands over: from stdin for
// path "-", else from a file only its owner may read. Surrounding space is
// trimmed; an empty secret is an error.
func ReadSecret(path string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = readCapped(stdin, "the secret on stdin")
	} else {
		b, err = readPrivateFile(path)
	}
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("seal: secret %s is empty", describe(path))
	}
	return s, nil
}

func describe(path string) string {
	if path == "-" {
		return "on stdin"
	}
	return "file " + path
}

// readPrivateFile checks the opened file itself, so a file swapped after a
// check is not read, and refuses to follow a final symlink.
func readPrivateFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("seal: identity file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: identity file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: identity file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("seal: identity file %s has mode %04o: it must be readable by its owner only (chmod 600)", path, perm)
	}
	return readCapped(f, "identity file "+path)
}

func readCapped(r io.Reader, what string) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("seal: %s: no input", what)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxIdentitySize+1))
	if err != nil {
		return nil, fmt.Errorf("seal: reading %s: %w", what, err)
	}
	if len(b) > maxIdentitySize {
		return nil, fmt.Errorf("seal: %s is larger than %d bytes: not an identity", what, maxIdentitySize)
	}
	return b, nil
}
