package tasks

import (
	"strings"

	"github.com/murderfleet/murder/tasks/remote"
)

// Quote quotes s as one word for the remote shell, for the lines given
// to Host.Run.
func Quote(s string) string { return remote.Quote(s) }

// wrap applies the host's With, As and Within to a command line, in the
// order SSHKit does: the directory first (checked, so that a missing one
// fails with its name), then sudo, then the environment inside it, where
// sudo would otherwise reset it.
func (h *Host) wrap(line string) string {
	if len(h.env) > 0 {
		words := make([]string, len(h.env))
		for i, kv := range h.env {
			name, value, _ := strings.Cut(kv, "=")
			words[i] = name + "=" + remote.Quote(value)
		}
		line = "export " + strings.Join(words, " ") + "; " + line
	}
	if h.user != "" {
		line = "sudo -n -u " + remote.Quote(h.user) + " -- sh -c " + remote.Quote(line)
	}
	if h.dir != "" {
		missing := "within: directory " + h.dir + " does not exist"
		line = "cd " + remote.Quote(h.dir) + " 2>/dev/null || { echo " + remote.Quote(missing) + " >&2; exit 1; }; " + line
	}
	return line
}

func envName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	})
}
