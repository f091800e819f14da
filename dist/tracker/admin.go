package tracker

import (
	"errors"
	"fmt"
	"github.com/murderfleet/murder/dist/passkey"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// Admin tokens guard /status and /metrics. Clients send them as
// "Authorization: Bearer <token>".
const (
	minAdminTokenLen = 16
	maxAdminTokenLen = 1024
)

// ValidAdminToken checks that s can be an admin token: 16 to 1024 printable
// ASCII characters without spaces, so that it fits an Authorization header.
func ValidAdminToken(s string) error {
	if len(s) < minAdminTokenLen || len(s) > maxAdminTokenLen {
		return fmt.Errorf("admin token of %d characters: want %d to %d", len(s), minAdminTokenLen, maxAdminTokenLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("admin token: character %d is not printable ASCII", i+1)
		}
	}
	return nil
}

// LoadAdminToken reads the admin token from path: the file's content without
// surrounding white space. The file must be readable by its owner only (mode
// & 077 == 0), since whoever can read it can see every transfer.
func LoadAdminToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("admin token file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("admin token file %s: mode %04o lets others read it; chmod 600 it", path, perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxAdminTokenLen+64))
	if err != nil {
		return "", fmt.Errorf("admin token file %s: %w", path, err)
	}
	token := strings.TrimSpace(string(b))
	if err := ValidAdminToken(token); err != nil {
		return "", fmt.Errorf("admin token file %s: %w", path, err)
	}
	return token, nil
}

// WriteAdminToken generates an admin token and writes it to path with mode
// 0600, replacing a file left there by an earlier run. The file is created
// exclusively after the removal, so a file planted in between makes it fail
// instead of being written through.
func WriteAdminToken(path string) (string, error) {
	token, err := passkey.New()
	if err != nil {
		return "", err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("admin token file: remove the stale one: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	_, err = f.WriteString(token + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // a half-written token is of no use to anyone
		return "", fmt.Errorf("admin token file %s: %w", path, err)
	}
	return token, nil
}

// bearer is the token of an "Authorization: Bearer <token>" header, "" when
// there is none.
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// isAdmin reports whether r carries the admin token. Without a configured
// admin token nobody is.
func (s *Server) isAdmin(r *http.Request) bool {
	return s.cfg.AdminToken != "" && tokensEqual(bearer(r), s.cfg.AdminToken)
}

// unauthorized answers 401 with a one-line reason that says nothing about
// the swarms.
func unauthorized(w http.ResponseWriter, reason string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="murder-tracker"`)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "unauthorized: "+reason, http.StatusUnauthorized)
}
