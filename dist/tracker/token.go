package tracker

import (
	"crypto/subtle"
	"fmt"
	"github.com/murderfleet/murder/dist/passkey"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/anacrolix/torrent/metainfo"
)

// AnnounceURL is the announce URL of a transfer at the tracker on host:port:
// http://host:port/<token>/announce, or the tokenless
// http://host:port/announce when token is "". host may be an IPv6 literal
// without brackets. The token is not validated here; see [passkey.Valid].
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
	if err := passkey.Valid(token); err != nil {
		return "", fmt.Errorf("announce URL of host %s: %w", u.Host, err)
	}
	return token, nil
}

// TorrentToken is the transfer token mi's announce URLs carry ("" for a
// tokenless torrent): what opens the tracker's /status for that transfer.
func TorrentToken(mi *metainfo.MetaInfo) (string, error) { return torrentToken(mi) }
