package remote

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// plainIndex holds the keys of a known_hosts file made only of plain
// lines (no hashed names, no patterns, no @cert-authority or @revoked
// markers, as ssh-keyscan and accept-new write them), by normalized host.
// knownhosts scans every line of the file for each lookup: with ten
// thousand hosts, each dial's two lookups were the controller's largest
// CPU cost, growing as hosts squared. For such a file a map answers the
// same: a plain line can only match the host it names.
type plainIndex map[string][]knownhosts.KnownKey

// scanKnownHosts reads file once for the numbers of its @cert-authority
// lines and, when every line is plain, its index (nil otherwise: lookups
// then scan with knownhosts).
func scanKnownHosts(file string) (caLines map[int]bool, plain plainIndex, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	caLines, plain = map[int]bool{}, plainIndex{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if line[0] == '@' {
			if w := strings.Fields(string(line)); w[0] == "@cert-authority" {
				caLines[n] = true
			}
			plain = nil
			continue
		}
		if plain != nil && !plain.add(file, n, line) {
			plain = nil
		}
	}
	return caLines, plain, sc.Err()
}

// add indexes one line; false when it is not plain (or not understood:
// knownhosts then decides what it means).
func (ix plainIndex) add(file string, n int, line []byte) bool {
	marker, hosts, key, _, _, err := ssh.ParseKnownHosts(line)
	if err != nil || marker != "" || len(hosts) == 0 {
		return false
	}
	for _, h := range hosts {
		if h == "" || strings.HasPrefix(h, "|") || strings.ContainsAny(h, "*?!") ||
			(strings.HasPrefix(h, "[") && !strings.Contains(h, "]:")) {
			return false
		}
	}
	for _, h := range hosts {
		k := knownhosts.Normalize(h)
		ix[k] = append(ix[k], knownhosts.KnownKey{Key: key, Filename: file, Line: n})
	}
	return true
}

// check answers as knownhosts' callback does for a plain key: nil when
// key is recorded for hostname, else a KeyError listing the keys that are
// (none: an unknown host).
func (ix plainIndex) check(hostname string, _ net.Addr, key ssh.PublicKey) error {
	want := ix[knownhosts.Normalize(hostname)]
	for _, k := range want {
		if bytes.Equal(k.Key.Marshal(), key.Marshal()) {
			return nil
		}
	}
	return &knownhosts.KeyError{Want: want}
}
