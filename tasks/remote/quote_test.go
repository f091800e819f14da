package remote

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"plain", "plain"},
		{"/srv/app-1.2_x/Deploy+1", "/srv/app-1.2_x/Deploy+1"},
		{"host:8998", "host:8998"},
		{"a,b@c%d=e", "a,b@c%d=e"},
		{"my app", "'my app'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{`say "hi"`, `'say "hi"'`},
		{"$(rm -rf /)", "'$(rm -rf /)'"},
		{"`id`", "'`id`'"},
		{"a;b", "'a;b'"},
		{"a|b&c", "'a|b&c'"},
		{"$HOME", "'$HOME'"},
		{"*", "'*'"},
		{"~", "'~'"},
		{"!", "'!'"},
		{"a\nb", "'a\nb'"},
		{`back\slash`, `'back\slash'`},
		{"déploiement", "'déploiement'"},
		{"-rf", "-rf"}, // a leading dash is the program's business (use --), not the shell's
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{nil, ""},
		{[]string{"ls"}, "ls"},
		{[]string{"ls", "-A", "--", "/srv/my app"}, "ls -A -- '/srv/my app'"},
		{[]string{"echo", "", "x"}, "echo '' x"},
		{[]string{"/opt/murder agent", "it's"}, `'/opt/murder agent' 'it'\''s'`},
	}
	for _, tt := range tests {
		if got := Command(tt.argv...); got != tt.want {
			t.Errorf("Command(%q) = %s, want %s", tt.argv, got, tt.want)
		}
	}
}

// shellValues are the words the round trip through a real shell covers.
var shellValues = []string{
	"", "plain", "my app", "it's", "'", "''", `say "hi"`, "$(touch pwned)", "`touch pwned`", "a;touch pwned",
	"a|b", "a&b", "$HOME", "${PATH}", "*", "?", "[a]", "~", "~root", "!", "#comment", "a\nb", "a\tb", `\`, `\'`,
	"déploiement ☃", "-rf", "--", "a=b", "x>y", "x<y", "(a)", "{a,b}", "\x01\x7f", "\xff\xfe",
}

// TestQuoteShellRoundTrip runs Command's output through /bin/sh and checks
// that the shell sees exactly the original words, and ran nothing else.
func TestQuoteShellRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, v := range shellValues {
		argv := []string{"x", v, v + v, "y"}
		line := Command(argv...)
		cmd := exec.Command("/bin/sh", "-c", "set -- "+line+"\nprintf '%s\\0' \"$@\"")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%q: sh: %v", line, err)
			continue
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !slices.Equal(got, argv) {
			t.Errorf("sh parsed %s as %q, want %q", line, got, argv)
		}
	}
	if out, _ := exec.Command("ls", "-A", dir).Output(); len(out) != 0 {
		t.Errorf("quoted words ran commands: %s", out)
	}
}

// unquote parses one word as Quote writes it: bare safe characters, or
// single-quoted pieces joined by \'. It rejects anything else, so it
// also proves no shell-special character is left bare.
func unquote(w string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c == '\'':
			end := strings.IndexByte(w[i+1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("unterminated quote in %s", w)
			}
			b.WriteString(w[i+1 : i+1+end])
			i += end + 1
		case c == '\\' && i+1 < len(w) && w[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./_-", c) >= 0:
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("bare %q in %s", c, w)
		}
	}
	if w == "" {
		return "", errors.New("empty word")
	}
	return b.String(), nil
}

func FuzzQuote(f *testing.F) {
	for _, v := range shellValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		got, err := unquote(q)
		if err != nil {
			t.Fatalf("Quote(%q) = %s: %v", s, q, err)
		}
		if got != s {
			t.Fatalf("Quote(%q) = %s, which the shell reads as %q", s, q, got)
		}
	})
}

func TestCheckArg(t *testing.T) {
	if err := CheckArg("tag", "ok value with 'quotes'\n"); err != nil {
		t.Errorf("CheckArg = %v, want nil", err)
	}
	if err := CheckArg("tag", "a\x00b"); err == nil || !strings.Contains(err.Error(), "tag contains a NUL byte") {
		t.Errorf("CheckArg(NUL) = %v", err)
	}
}

func TestExitError(t *testing.T) {
	tests := []struct {
		err  error
		want string
		exit bool
	}{
		{&ExitError{Code: 3}, "exit status 3", true},
		{&ExitError{Code: -1, Signal: "TERM"}, "killed by signal TERM", true},
		{fmt.Errorf("stop peer: %w", &ExitError{Code: 1}), "stop peer: exit status 1", true},
		{errors.New("connection lost"), "connection lost", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		if tt.err != nil && tt.err.Error() != tt.want {
			t.Errorf("Error() = %q, want %q", tt.err, tt.want)
		}
		if IsExit(tt.err) != tt.exit {
			t.Errorf("IsExit(%v) = %v, want %v", tt.err, !tt.exit, tt.exit)
		}
	}
}
