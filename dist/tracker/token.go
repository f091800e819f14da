package tracker

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/anacrolix/torrent/metainfo"
)

// Transfer tokens ("passkeys"): a murder torrent announces to
// http://HOST:PORT/<token>/announce, and the tracker answers for its
// info-hash only on that path. Whoever lacks the token can neither join the
// swarm, nor learn who is in it, nor disturb it.
const (
	minTokenLen = 22 // 128 bits of base64url
	maxTokenLen = 128
	// tokenBytes is the entropy of NewToken: 192 bits, 32 characters.
	tokenBytes = 24
)

// NewToken returns a fresh transfer token: 24 random bytes from crypto/rand
// in unpadded base64url, 32 characters.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new tracker token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidToken checks that s can be a transfer token: 22 to 128 characters of
// [A-Za-z0-9_-], so that it stands in a URL path unescaped.
func ValidToken(s string) error {
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

// AnnounceURL is the announce URL of a transfer at the tracker on host:port:
// http://host:port/<token>/announce, or the tokenless
// http://host:port/announce when token is "". host may be an IPv6 literal
// without brackets. The token is not validated here; see [ValidToken].
func AnnounceURL(host string, port int, token string) string {
	hostPort := net.JoinHostPort(host, strconv.Itoa(port))
	if token == "" {
		return "http://" + hostPort + "/announce"
	}
	// A token is a murder transfer's: its announces go over TLS.
	return "https://" + hostPort + "/" + token + "/announce"
}

// tokensEqual compares a presented token with a registered one in constant
// time, so response times do not reveal how much of a guess was right.
func tokensEqual(presented, registered string) bool {
	return subtle.ConstantTimeCompare([]byte(presented), []byte(registered)) == 1
}

// splitTokenPath splits a request path of the form /<token>/<route> into
// its token and route ("announce" or "scrape"); ok is false for any other
// shape. The token is not validated.
func splitTokenPath(path string) (token, route string, ok bool) {
	rest, found := strings.CutPrefix(path, "/")
	if !found {
		return "", "", false
	}
	token, route, found = strings.Cut(rest, "/")
	if !found || token == "" || (route != "announce" && route != "scrape") {
		return "", "", false
	}
	return token, route, true
}

// torrentToken is the transfer token a torrent's announce URLs carry: "" for
// a tokenless torrent. URLs of another shape than /<token>/announce or
// /announce (another tracker's) are ignored; a malformed token, or two
// different tokens, is an error, so that a damaged torrent is refused rather
// than served without a token.
func torrentToken(mi *metainfo.MetaInfo) (string, error) {
	token := ""
	// The announce key too, which clients ignore beside an announce-list:
	// a torrent whose two disagree is refused rather than half-read.
	for _, tier := range append(mi.UpvertedAnnounceList(), []string{mi.Announce}) {
		for _, raw := range tier {
			t, err := urlToken(raw)
			switch {
			case err != nil:
				return "", err
			case t == "":
			case token != "" && t != token:
				return "", fmt.Errorf("announce URLs carry two different tokens")
			default:
				token = t
			}
		}
	}
	return token, nil
}

// urlToken is the token in the path of an announce URL, "" when it has none.
func urlToken(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("announce URL is not a URL: %w", err)
	}
	token, route, ok := splitTokenPath(u.Path)
	if !ok || route != "announce" {
		return "", nil
	}
	if err := ValidToken(token); err != nil {
		return "", fmt.Errorf("announce URL of host %s: %w", u.Host, err)
	}
	return token, nil
}

// TorrentToken is the transfer token mi's announce URLs carry ("" for a
// tokenless torrent): what opens the tracker's /status for that transfer.
func TorrentToken(mi *metainfo.MetaInfo) (string, error) { return torrentToken(mi) }
