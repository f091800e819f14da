// Package passkey makes and checks murder's transfer tokens ("passkeys"):
// a murder torrent announces to https://HOST:PORT/<token>/announce, and
// the tracker answers for its info-hash only on that path, so whoever
// lacks the token can neither join the swarm, nor learn who is in it, nor
// disturb it. The peers derive their TLS keys from it too. It is a package
// of its own so that the controller, which only makes tokens, does not
// link the tracker.
package passkey

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

const (
	minTokenLen = 22 // 128 bits of base64url
	maxTokenLen = 128
	// tokenBytes is the entropy of New: 192 bits, 32 characters.
	tokenBytes = 24
)

// New returns a fresh transfer token: 24 random bytes from crypto/rand
// in unpadded base64url, 32 characters.
func New() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new transfer token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Valid checks that s can be a transfer token: 22 to 128 characters of
// [A-Za-z0-9_-], so that it stands in a URL path unescaped.
func Valid(s string) error {
	if len(s) < minTokenLen || len(s) > maxTokenLen {
		return fmt.Errorf("tracker token of %d characters: want %d to %d", len(s), minTokenLen, maxTokenLen)
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar(s[i]) {
			// Not the token itself in the message: it is a secret, and this
			// error may be logged.
			return fmt.Errorf("tracker token: character %d is not one of A-Z a-z 0-9 _ -", i+1)
		}
	}
	return nil
}

func tokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}
