package remote

import (
	"fmt"
	"strings"
)

// Quote returns s as one POSIX shell word: single-quoted unless it consists
// only of characters no shell treats specially. Every user value that
// reaches a remote command line goes through Quote; the original Murder
// pasted tags and paths unquoted.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./_-", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command joins argv into a command line, quoting every word.
func Command(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

// CheckArg reports an argument that cannot be passed safely at all: a NUL
// byte ends a C string, so the remote side would see something else.
func CheckArg(name, value string) error {
	if strings.ContainsRune(value, 0) {
		return fmt.Errorf("%s contains a NUL byte", name)
	}
	return nil
}
