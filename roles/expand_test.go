package roles

import (
	"strings"
	"testing"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"HOST": "w01.example.com", "EMPTY": "", "BRANCH": "main"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct{ in, want, err string }{
		{in: "plain", want: "plain"},
		{in: "${HOST}", want: "w01.example.com"},
		{in: "deploy@${HOST}:22", want: "deploy@w01.example.com:22"},
		{in: "${UNSET:-fallback}", want: "fallback"},
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${BRANCH:-x}", want: "main"},
		{in: "${UNSET:-}", want: ""},
		{in: "${UNSET:-a:-b}", want: "a:-b"},
		{in: "$$", want: "$"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "$$$${HOST}", want: "$${HOST}"},
		{in: "kill `cat $PIDFILE`", want: "kill `cat $PIDFILE`"},
		{in: "cost $", want: "cost $"},
		{in: "${HOST}${BRANCH}", want: "w01.example.commain"},
		{in: "${UNSET}", err: "environment variable UNSET is not set"},
		{in: "${EMPTY}", err: "environment variable EMPTY is not set"},
		{in: "${HOST", err: "unterminated ${"},
		{in: "${}", err: "not an environment variable name"},
		{in: "${1X}", err: "not an environment variable name"},
		{in: "${A B}", err: "not an environment variable name"},
	} {
		got, err := expandEnv(tc.in, getenv)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("expandEnv(%q): error %v, want one containing %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("expandEnv(%q): %v", tc.in, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("expandEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseExpandsEnv(t *testing.T) {
	t.Setenv("MURDER_TEST_BRANCH", "release-7")
	t.Setenv("MURDER_TEST_HOST", "w07.example.com")
	text := "set:\n  branch: ${MURDER_TEST_BRANCH}\n  application: ${MURDER_TEST_APP:-shop}\n" +
		"roles:\n  app:\n    - host: ${MURDER_TEST_HOST}\nssh:\n  user: deploy\n  known_hosts: /dev/null\n"
	c, err := Parse(strings.NewReader(text), "murder.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Global(); v.Branch != "release-7" || v.Application != "shop" {
		t.Errorf("branch %q application %q", v.Branch, v.Application)
	}
	if h := c.Roles["app"][0]; h.Name != "w07.example.com" {
		t.Errorf("host %q", h.Name)
	}
	_, err = Parse(strings.NewReader("set:\n  branch: ${MURDER_TEST_UNSET}\nroles:\n  app: [w01]\nssh:\n  user: deploy\n  known_hosts: /dev/null\n"), "murder.yaml")
	if err == nil || !strings.Contains(err.Error(), "murder.yaml:2") || !strings.Contains(err.Error(), "MURDER_TEST_UNSET") {
		t.Errorf("unset variable: %v, want an error naming murder.yaml:2 and the variable", err)
	}
}
