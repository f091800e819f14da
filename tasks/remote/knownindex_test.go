package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func newTestKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	return newED25519Signer(t).PublicKey()
}

// TestPlainIndexAnswersAsKnownhosts: for a file of plain lines, the
// index's answer to every lookup is knownhosts' own: the same verdict and
// the same recorded keys, in the same order, with their line numbers.
func TestPlainIndexAnswersAsKnownhosts(t *testing.T) {
	a, b, c := newTestKey(t), newTestKey(t), newTestKey(t)
	line := func(hosts string, k ssh.PublicKey) string {
		return knownhosts.Line(strings.Split(hosts, ","), k)
	}
	file := filepath.Join(t.TempDir(), "known_hosts")
	content := strings.Join([]string{
		"# a comment",
		line("w01", a),
		line("[w01]:2222", b),
		line("w02,10.0.0.2", a),
		"",
		line("w02", c), // a second key for w02
		line("::1", b),
		line("[2001:db8::7]:2200", c),
	}, "\n") + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	full, err := knownhosts.New(file)
	if err != nil {
		t.Fatal(err)
	}
	_, ix, err := scanKnownHosts(file)
	if err != nil || ix == nil {
		t.Fatalf("scanKnownHosts: index %v, %v", ix, err)
	}
	remote := &net.TCPAddr{IP: net.IPv4(10, 9, 9, 9), Port: 22}
	for _, host := range []string{"w01:22", "w01:2222", "w01:2200", "w02:22", "10.0.0.2:22", "w03:22", "[::1]:22", "[2001:db8::7]:2200", "[2001:db8::7]:22", "W01:22"} {
		for i, k := range []ssh.PublicKey{a, b, c} {
			want, got := describe(full(host, remote, k)), describe(ix.check(host, remote, k))
			if got != want {
				t.Errorf("%s with key %d: index says %s, knownhosts %s", host, i, got, want)
			}
		}
	}
}

// describe is a lookup's answer in words: ok, or the recorded lines.
func describe(err error) string {
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ke):
		var lines []string
		for _, w := range ke.Want {
			lines = append(lines, fmt.Sprintf("%s:%d:%s", filepath.Base(w.Filename), w.Line, ssh.FingerprintSHA256(w.Key)))
		}
		return "recorded " + strings.Join(lines, ",")
	}
	return "error " + err.Error()
}

// TestPlainIndexOnlyForPlainFiles: a hashed name, a pattern, a negation or
// a marker anywhere leaves every lookup to knownhosts.
func TestPlainIndexOnlyForPlainFiles(t *testing.T) {
	k := newTestKey(t)
	plain := knownhosts.Line([]string{"w01"}, k)
	for _, other := range []string{
		knownhosts.Line([]string{knownhosts.HashHostname("w02")}, k),
		knownhosts.Line([]string{"*.example.com"}, k),
		knownhosts.Line([]string{"w0?"}, k),
		knownhosts.Line([]string{"!w03", "w0*"}, k),
		"@cert-authority *.example.com " + string(ssh.MarshalAuthorizedKey(k)),
		"@revoked " + knownhosts.Line([]string{"w04"}, k),
	} {
		file := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(file, []byte(plain+"\n"+strings.TrimSpace(other)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, ix, err := scanKnownHosts(file)
		if err != nil || ix != nil {
			t.Errorf("file with %q: index %v, %v; want none", other, ix, err)
		}
	}
	h := &hostKeys{plain: plainIndex{}, check: func(string, net.Addr, ssh.PublicKey) error { return errors.New("scanned") }}
	if err := h.lookup("", &net.TCPAddr{}, k); err == nil || err.Error() != "scanned" {
		t.Errorf("a lookup without a host name: %v, want knownhosts' scan", err)
	}
}
