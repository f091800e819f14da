package murder

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/murderfleet/murder/tasks/remote"
)

// distribute_files empties remote_murder_path (all but run/) and puts an
// agent there that root may run later. Its guard refuses a directory that
// is not murder's to empty (checked in Go before connecting, and again on
// the host's answer: home directories, and where symbolic links lead) and
// a directory another local user could write to.

// systemDirs are refused as remote_murder_path, and so is every directory
// directly below those of belowSystemDirs (/usr/local, /var/lib...).
var systemDirs = map[string]bool{
	"/bin": true, "/boot": true, "/dev": true, "/etc": true, "/home": true,
	"/lib": true, "/lib32": true, "/lib64": true, "/libx32": true, "/opt": true,
	"/proc": true, "/root": true, "/run": true, "/sbin": true, "/srv": true,
	"/sys": true, "/tmp": true, "/usr": true, "/var": true,
	// macOS: /etc, /tmp and /var are links into /private; users live in /Users.
	"/private": true, "/Users": true,
}

var belowSystemDirs = []string{"/usr", "/var", "/private"}

// pathRefusal says why distribute_files must not empty p ("is a system
// directory"), or "" when the path alone shows no reason.
func pathRefusal(p string) string {
	switch {
	case !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "is not a clean absolute path"
	case p == "/":
		return "is the root directory"
	case systemDirs[p] || slices.Contains(belowSystemDirs, path.Dir(p)):
		return "is a system directory"
	}
	return ""
}

// homeRefusal says why p must not be emptied given the host's home
// directories: it is one, or holds one.
func homeRefusal(p string, homes []string) string {
	for _, h := range homes {
		if !path.IsAbs(h) {
			continue
		}
		h = path.Clean(h)
		switch {
		case h == p:
			return "is a home directory"
		case p != "/" && strings.HasPrefix(h, p+"/"):
			return "contains the home directory " + h
		}
	}
	return ""
}

// checkMurderPath is the guard that needs no host: it runs before
// connecting, in a dry run too.
func checkMurderPath(p string) error {
	if why := pathRefusal(p); why != "" {
		return fmt.Errorf("remote_murder_path %s %s: refusing to empty it", quoteOdd(p), why)
	}
	return nil
}

// quoteOdd is p as it is, or Go-quoted when it holds control characters.
func quoteOdd(p string) string {
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return strconv.Quote(p)
	}
	return p
}

// hostFacts is what factsCmd and prepareCmd report.
type hostFacts struct {
	uname  string
	uid    string
	homes  []string // the SSH user's $HOME, then the passwd database's
	exists bool     // remote_murder_path is a directory (then the rest is set)
	real   string   // its physical path (symbolic links resolved)
	owner  string   // its owner's uid
	mode   string   // its permission bits, octal
	count  int      // entries below it, recursively, hidden ones included
	// created: this run made remote_murder_path, so it holds no agent.
	created bool
	// agent is the SHA-256 of remote_murder_path/murder-agent, "" when
	// there is no executable agent there.
	agent string
}

// parseFacts reads the key=value lines of factsCmd or prepareCmd into f.
func parseFacts(out string, f *hostFacts) error {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("unexpected line %q in the host's answer", line)
		}
		switch k {
		case "uname":
			f.uname = v
		case "uid":
			f.uid = v
		case "home":
			if v != "" {
				f.homes = append(f.homes, v)
			}
		case "real":
			f.real, f.exists = v, true
		case "owner":
			f.owner = v
		case "agent":
			f.agent = v
		case "mode":
			f.mode = v
		case "count":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("unexpected entry count %q", v)
			}
			f.count = n
		}
	}
	return nil
}

// guard refuses p on the host's facts: a home directory (or one holding
// one), a symbolic link to a refused directory, or a directory the SSH
// user does not own or others may write to.
func (f *hostFacts) guard(p string) error {
	if why := homeRefusal(p, f.homes); why != "" {
		return fmt.Errorf("remote_murder_path %s %s: refusing to empty it", p, why)
	}
	if !f.exists {
		return nil
	}
	if f.real != p {
		why := pathRefusal(f.real)
		if why == "" {
			why = homeRefusal(f.real, f.homes)
		}
		if why != "" {
			return fmt.Errorf("remote_murder_path %s leads to %s, which %s: refusing to empty it", p, f.real, why)
		}
	}
	const swap = "another local user could swap the agent that root then runs"
	if f.uid == "" || f.owner != f.uid {
		return fmt.Errorf("remote_murder_path %s is owned by uid %s, not by the SSH user (uid %s): refusing to use it: %s", p, f.owner, f.uid, swap)
	}
	mode, err := strconv.ParseUint(f.mode, 8, 32)
	if err != nil {
		return fmt.Errorf("remote_murder_path %s: unexpected mode %q", p, f.mode)
	}
	if mode&0o022 != 0 {
		return fmt.Errorf("remote_murder_path %s is writable by group or others (mode %s): refusing to use it: %s", p, f.mode, swap)
	}
	return nil
}

// The commands of distribute_files run before the agent exists.

func platformCmd() string { return "uname -sm" }

// factsCmd asks, in one command that creates nothing, the platform, the
// SSH user's uid and home, every home directory of the passwd database
// and, if remote_murder_path is a directory, its facts (dirFacts) and the
// SHA-256 of the agent there (agentSum), so that a host already running
// the build costs one session.
func (s settings) factsCmd() string {
	return `printf 'uname=%s\nuid=%s\nhome=%s\n' "$(` + platformCmd() + `)" "$(id -u)" "$HOME" && ` +
		`{ getent passwd 2>/dev/null || cat /etc/passwd; } | cut -d: -f6 | sed 's/^/home=/' && ` +
		`if [ -d ` + remote.Quote(s.MurderPath) + ` ]; then ` + s.dirFacts() + ` && ` + s.agentSum() + `; fi`
}

// agentSum prints the agent's SHA-256 (GNU's sha256sum, else the BSDs'
// and macOS's shasum) when it is an executable file. It hashes the file
// rather than asking the agent its version: nothing there runs before
// the guard has accepted the directory.
func (s settings) agentSum() string {
	a := remote.Quote(s.agent())
	return `if [ -f ` + a + ` ] && [ -x ` + a + ` ]; then printf 'agent=%s\n' "$( { sha256sum < ` + a + ` || shasum -a 256 < ` + a + `; } 2>/dev/null | cut -d' ' -f1)"; fi`
}

// prepareCmd creates remote_murder_path and reports its facts. The
// directory gets mode 755 whatever the SSH session's umask (002 where
// pam_umask gives users their own group), which the guard would refuse.
func (s settings) prepareCmd() string {
	return remote.Command("mkdir", "-p", "-m", "755", "--", s.MurderPath) + " && " + s.dirFacts()
}

// dirFacts prints remote_murder_path's physical path, owner uid, mode
// (GNU stat, else BSD's) and entry count.
func (s settings) dirFacts() string {
	return remote.Command("cd", "-P", "--", s.MurderPath) + ` && printf 'real=%s\nowner=%s\nmode=%s\ncount=%s\n' "$(pwd -P)" ` +
		`"$(stat -c %u . 2>/dev/null || stat -f %u .)" "$(stat -c %a . 2>/dev/null || stat -f %Lp .)" "$(` + countHere + `)"`
}

// countCmd counts the entries below remote_murder_path recursively, hidden
// ones too, as the original's `find P/* | wc -l` did, for its "cowardly
// refusing" guard. It lists from inside the directory (through P if it is
// a symbolic link) so that a line break in P does not count twice.
func (s settings) countCmd() string {
	return remote.Command("cd", "-P", "--", s.MurderPath) + " && " + countHere
}

// countHere counts the entries below the working directory.
const countHere = "find . -mindepth 1 | wc -l"

// emptyCmd empties remote_murder_path except run/, which holds the pid
// files of running trackers and seeders.
func (s settings) emptyCmd() string {
	return remote.Command("find", "-H", s.MurderPath, "-mindepth", "1", "-maxdepth", "1", "!", "-name", "run", "-exec", "rm", "-rf", "--", "{}", "+")
}
