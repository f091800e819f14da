package roles

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultSSHPort is the SSH port used when neither the server nor ssh.port names one.
const DefaultSSHPort = 22

// Host is one server. A server listed in several roles is a single *Host
// shared by all of them, so per-host state (connections, results) can be
// keyed by the pointer.
type Host struct {
	Name      string   // host as written (IPv6 literals without brackets)
	Port      int      // effective SSH port
	User      string   // effective SSH user
	NoRelease bool     // every declaration of this server says no_release: true
	Roles     []string // roles holding this host, in Config.Order
	// Properties are the server's properties: from murder.yaml, for
	// the user's filters (Capistrano 3's server properties).
	Properties map[string]string

	defaultPort int    // ssh.port of the config, to keep display names short
	key         string // identity: canonical host + port
	userLine    int    // line of the explicit user, 0 if defaulted
	set         layer  // per-host variable overrides
}

// String is the display name used to prefix output: the host as written,
// plus ":port" only when the port differs from the configured default.
func (h *Host) String() string {
	def := h.defaultPort
	if def == 0 {
		def = DefaultSSHPort
	}
	if h.Port == 0 || h.Port == def {
		return h.Name
	}
	return net.JoinHostPort(h.Name, strconv.Itoa(h.Port))
}

// Addr is the dialable "host:port" address, with IPv6 literals bracketed.
func (h *Host) Addr() string {
	port := h.Port
	if port == 0 {
		port = DefaultSSHPort
	}
	return net.JoinHostPort(h.Name, strconv.Itoa(port))
}

// ParseServer splits "[user@]host[:port]". IPv6 literals must be bracketed
// ("[::1]:22") because a bare "::1:22" is ambiguous. A missing user is ""
// and a missing port is 0. Host and user names are restricted to safe
// characters so that a hostile name can never reach a shell.
func ParseServer(s string) (user, host string, port int, err error) {
	if s == "" {
		return "", "", 0, errors.New("empty server")
	}
	rest := s
	if u, r, ok := strings.Cut(s, "@"); ok {
		if err := checkUser(u); err != nil {
			return "", "", 0, err
		}
		user, rest = u, r
	}
	host, portStr, hasPort, err := splitHostPort(rest)
	if err != nil {
		return "", "", 0, err
	}
	if hasPort {
		if port, err = parsePort(portStr); err != nil {
			return "", "", 0, err
		}
	}
	if err := checkHostName(host); err != nil {
		return "", "", 0, err
	}
	return user, host, port, nil
}

// splitHostPort separates host and port, handling bracketed IPv6.
func splitHostPort(s string) (host, port string, hasPort bool, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", false, fmt.Errorf("missing ] in %q", s)
		}
		host, after := s[1:end], s[end+1:]
		if !strings.Contains(host, ":") {
			return "", "", false, fmt.Errorf("brackets are only for IPv6 addresses, got %q", s)
		}
		if after == "" {
			return host, "", false, nil
		}
		if !strings.HasPrefix(after, ":") {
			return "", "", false, fmt.Errorf("unexpected %q after ] in %q", after, s)
		}
		return host, after[1:], true, nil
	}
	if strings.Count(s, ":") > 1 {
		return "", "", false, fmt.Errorf("IPv6 address %q must be written in brackets, e.g. [%s]:22", s, s)
	}
	host, port, hasPort = strings.Cut(s, ":")
	return host, port, hasPort, nil
}

// parsePort reads a decimal port number in 1..65535.
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing port after ':'")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("port %q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || checkPort(n) != nil {
		return 0, fmt.Errorf("port %s out of range 1..65535", s)
	}
	return n, nil
}

// checkPort checks a TCP port number.
func checkPort(n int) error {
	if n < 1 || n > 65535 {
		return fmt.Errorf("port %d out of range 1..65535", n)
	}
	return nil
}

// checkHostName allows letters, digits, '.', '-', '_' and IPv6 literals.
// A leading '-' is refused too, since ssh or a shell would read it as an option.
func checkHostName(s string) error {
	switch {
	case s == "":
		return errors.New("empty host name")
	case strings.Contains(s, ":"):
		return checkIPv6(s)
	case len(s) > 253:
		return fmt.Errorf("host name %.20q... longer than 253 characters", s)
	case s[0] == '-' || s[0] == '.':
		return fmt.Errorf("host name %q must not start with %q", s, s[0])
	}
	for _, r := range s {
		if !isAlnum(r) && r != '.' && r != '-' && r != '_' {
			return fmt.Errorf("host name %q: character %q not allowed (letters, digits, '.', '-', '_')", s, r)
		}
	}
	return nil
}

// checkIPv6 accepts an IPv6 literal, with an optional zone of safe characters.
func checkIPv6(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return fmt.Errorf("invalid IPv6 address %q", s)
	}
	for _, r := range a.Zone() {
		if !isAlnum(r) && r != '.' && r != '-' && r != '_' {
			return fmt.Errorf("IPv6 zone in %q: character %q not allowed", s, r)
		}
	}
	return nil
}

// checkUser allows POSIX-portable user names: [a-z_][a-z0-9_.-]*.
func checkUser(s string) error {
	bad := s == "" || len(s) > 32 || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z')
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("user name %q not allowed (must match [a-z_][a-z0-9_.-]*, at most 32 characters)", s)
	}
	return nil
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// canonicalHost makes equal hosts compare equal: DNS names are
// case-insensitive and IPv6 literals have many spellings.
func canonicalHost(name string) string {
	if a, err := netip.ParseAddr(name); err == nil {
		return a.String()
	}
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// hostKey is the identity of a server: the same host and port is the same host.
func hostKey(name string, port int) string {
	return net.JoinHostPort(canonicalHost(name), strconv.Itoa(port))
}
