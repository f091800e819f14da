package roles

import (
	"fmt"
	"strings"
)

// expandEnv expands ${X} and ${X:-default} in a murder.yaml string from
// the environment, so that one file can serve several machines or CI
// runs (servers, branch, paths given when murder runs). $$ is a literal
// $; any other $ is kept as written, so that shell commands such as
// "kill `cat $PIDFILE`" need no escaping. An unset X without a default
// is an error: a silently empty host or path would be worse. X:-default
// uses the default also when X is set but empty, as the shell does.
func expandEnv(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q (write $$ for a literal $)", s)
			}
			v, err := expandOne(s[i+2:i+end], getenv)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), nil
}

// expandOne expands the inside of one ${...}: NAME or NAME:-default.
func expandOne(ref string, getenv func(string) string) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validEnvName(name) {
		return "", fmt.Errorf("${%s}: %q is not an environment variable name (write $$ for a literal $)", ref, name)
	}
	v := getenv(name)
	switch {
	case v != "":
		return v, nil
	case hasDef:
		return def, nil
	}
	return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
}

// validEnvName accepts the names a POSIX shell accepts.
func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
