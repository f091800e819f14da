package roles

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// HostKeyChecking is the policy for unknown or changed SSH host keys.
type HostKeyChecking string

// Host key policies, as in OpenSSH's StrictHostKeyChecking.
const (
	HostKeyStrict    HostKeyChecking = "strict"     // unknown keys are refused (default)
	HostKeyAcceptNew HostKeyChecking = "accept-new" // unknown keys are recorded, changed keys refused
	HostKeyOff       HostKeyChecking = "off"        // no checking: test setups only
)

// SSH holds the connection settings, with defaults applied. Choosing among
// identity files, the agent and default keys is the SSH layer's job.
type SSH struct {
	User            string          // default user; default $USER
	Port            int             // default port; default 22
	IdentityFiles   []string        // private keys, ~ expanded; empty means agent or default keys
	KnownHosts      string          // default ~/.ssh/known_hosts, ~ expanded
	HostKeyChecking HostKeyChecking // default strict
	Gateway         *Host           // jump host, nil when none
	Timeout         time.Duration   // dial and handshake timeout; default 10s
	Keepalive       time.Duration   // keepalive interval, 0 disables; default 15s
	MaxHosts        int             // hosts worked on at once; default 100
}

// Hooks are Capistrano's before/after task hooks: task -> tasks to run
// before (or after) it, in order. Whether the tasks exist is checked by the
// tasks package.
type Hooks struct {
	Before map[string][]string
	After  map[string][]string
}

var sshKeys = []string{"user", "port", "identity_files", "known_hosts", "host_key_checking", "gateway", "timeout", "keepalive", "max_hosts"}

// decodeSSH reads the ssh: section. The default user and port must be known
// before servers are read, so this runs first.
func (d *decoder) decodeSSH(n *yaml.Node) SSH {
	s := SSH{Port: DefaultSSHPort, HostKeyChecking: HostKeyStrict, Timeout: 10 * time.Second,
		Keepalive: 15 * time.Second, MaxHosts: 100, IdentityFiles: []string{}}
	var gateway *yaml.Node
	entries, _ := d.mapping(n, "ssh")
	for _, e := range entries {
		if e.key == "gateway" {
			gateway = e.v // needs the default user and port, whatever the key order
			continue
		}
		d.decodeSSHKey(&s, e)
	}
	d.sshDefaults(&s)
	if gateway != nil {
		s.Gateway = d.decodeGateway(gateway, &s)
	}
	return s
}

// decodeSSHKey reads one key of the ssh: section into s.
func (d *decoder) decodeSSHKey(s *SSH, e entry) {
	w := "ssh." + e.key
	switch e.key {
	case "user":
		if u, ok := d.str(e.v, w); ok && d.check(e.v, w, checkUser(u)) {
			s.User = u
		}
	case "port":
		if p, ok := d.integer(e.v, w); ok && d.check(e.v, w, checkPort(p)) {
			s.Port = p
		}
	case "identity_files":
		files, _ := d.strList(e.v, w)
		for i, f := range files {
			p, err := expandHome(f)
			if d.check(e.v, fmt.Sprintf("%s[%d]", w, i), err) {
				s.IdentityFiles = append(s.IdentityFiles, p)
			}
		}
	case "known_hosts":
		if f, ok := d.str(e.v, w); ok {
			p, err := expandHome(f)
			if err == nil {
				err = nonEmpty(f)
			}
			if d.check(e.v, w, err) {
				s.KnownHosts = p
			}
		}
	case "host_key_checking":
		if v, ok := d.str(e.v, w); ok && d.check(e.v, w, checkHostKeyChecking(v)) {
			s.HostKeyChecking = HostKeyChecking(v)
		}
	case "timeout", "keepalive":
		d.decodeDuration(s, e)
	case "max_hosts":
		if m, ok := d.integer(e.v, w); ok && d.check(e.v, w, atLeastOne(m)) {
			s.MaxHosts = m
		}
	default:
		d.errorf(e.k, "ssh", "unknown key %q%s", e.key, suggest(e.key, sshKeys))
	}
}

func (d *decoder) decodeDuration(s *SSH, e entry) {
	v, ok := d.duration(e.v, "ssh."+e.key)
	switch {
	case !ok:
	case e.key == "keepalive":
		s.Keepalive = v
	case v == 0:
		// A zero timeout would mean "wait forever": the hang users complained about.
		d.errorf(d.node(e.v), "ssh.timeout", "must be greater than 0")
	default:
		s.Timeout = v
	}
}

// sshDefaults fills in what depends on the environment: $USER and $HOME.
func (d *decoder) sshDefaults(s *SSH) {
	if s.KnownHosts == "" {
		p, err := expandHome("~/.ssh/known_hosts")
		d.check(nil, "ssh.known_hosts", err)
		s.KnownHosts = p
	}
	if s.User != "" {
		return
	}
	s.User = os.Getenv("USER")
	if s.User == "" {
		if u, err := user.Current(); err == nil {
			s.User = u.Username
		}
	}
	if err := checkUser(s.User); err != nil {
		d.errorf(nil, "ssh.user", "not set, and the local user cannot be used: %v", err)
	}
}

// decodeGateway reads the jump host, written like a server.
func (d *decoder) decodeGateway(n *yaml.Node, s *SSH) *Host {
	str, ok := d.str(n, "ssh.gateway")
	if !ok {
		return nil
	}
	u, h, p, err := ParseServer(str)
	if !d.check(n, "ssh.gateway", err) {
		return nil
	}
	if u == "" {
		u = s.User
	}
	if p == 0 {
		p = s.Port
	}
	return &Host{Name: h, Port: p, User: u, defaultPort: s.Port, key: hostKey(h, p)}
}

// decodeHooks reads the hooks: section.
func (d *decoder) decodeHooks(n *yaml.Node) Hooks {
	hooks := Hooks{Before: map[string][]string{}, After: map[string][]string{}}
	entries, _ := d.mapping(n, "hooks")
	for _, e := range entries {
		switch e.key {
		case "before":
			d.decodeHookMap(e.v, "hooks.before", hooks.Before)
		case "after":
			d.decodeHookMap(e.v, "hooks.after", hooks.After)
		default:
			d.errorf(e.k, "hooks", "unknown key %q%s", e.key, suggest(e.key, []string{"before", "after"}))
		}
	}
	return hooks
}

// decodeHookMap reads task -> [tasks]; a single task may be written as a
// plain string, as in Capistrano's `before "a", "b"`.
func (d *decoder) decodeHookMap(n *yaml.Node, where string, into map[string][]string) {
	entries, _ := d.mapping(n, where)
	for _, e := range entries {
		w := where + "." + e.key
		if !d.check(e.k, where, checkTaskName(e.key)) {
			continue
		}
		v := d.node(e.v)
		var tasks []string
		if v.Kind == yaml.ScalarNode && !isNull(v) {
			tasks = []string{v.Value}
		} else if list, ok := d.strList(v, w); ok {
			tasks = list
		}
		seen := map[string]bool{}
		for i, t := range tasks {
			iw := fmt.Sprintf("%s[%d]", w, i)
			switch {
			case !d.check(v, iw, checkTaskName(t)):
			case t == e.key:
				d.errorf(v, iw, "task %q hooked to itself", t)
			case seen[t]:
				d.errorf(v, iw, "task %q listed twice", t)
			default:
				seen[t] = true
				into[e.key] = append(into[e.key], t)
			}
		}
	}
}

// checkTaskName accepts "namespace:task" names (and bare "deploy"-style
// names): segments of letters, digits and '_' joined by single colons.
func checkTaskName(s string) error {
	for seg := range strings.SplitSeq(s, ":") {
		ok := seg != ""
		for _, r := range seg {
			ok = ok && (isAlnum(r) || r == '_')
		}
		if !ok {
			return fmt.Errorf("task name %q must look like namespace:task (letters, digits, '_' and ':')", s)
		}
	}
	return nil
}

func checkHostKeyChecking(v string) error {
	switch HostKeyChecking(v) {
	case HostKeyStrict, HostKeyAcceptNew, HostKeyOff:
		return nil
	}
	return fmt.Errorf("%q not supported (allowed: strict, accept-new, off)", v)
}

func atLeastOne(n int) error {
	if n < 1 {
		return fmt.Errorf("must be at least 1, got %d", n)
	}
	return nil
}

func nonEmpty(s string) error {
	if s == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

// check records err (if any) at n and reports whether there was none.
func (d *decoder) check(n *yaml.Node, where string, err error) bool {
	if err != nil {
		if n != nil {
			n = d.node(n)
		}
		d.errorf(n, where, "%v", err)
	}
	return err == nil
}

// expandHome expands a leading "~" or "~/" to the local home directory.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		if strings.HasPrefix(p, "~") {
			return p, fmt.Errorf("%q: only ~/ is expanded, not ~user/", p)
		}
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p, fmt.Errorf("cannot expand %q: %w", p, err)
	}
	return filepath.Join(home, p[1:]), nil
}
