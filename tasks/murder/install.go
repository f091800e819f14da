package murder

import (
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/murderfleet/murder/tasks/remote"
)

// The command lines that put the agent on a host, whether the controller
// uploads it or the host fetches it from another host's serve-agent: one
// session each, every value quoted (testdata/commands.golden). The file
// is written beside the agent, checked against the SHA-256 of the build
// and only then renamed over murder-agent, so that a failed or corrupt
// transfer never leaves a half-written agent where root would run it.

// install describes one installation of the agent.
type install struct {
	url   string // fetch from there; "": read the standard input (an upload)
	sum   string // the build's SHA-256, hex
	empty bool   // empty remote_murder_path (but run/) first
	serve bool   // then serve the agent to other hosts (serve-agent)
	port  int    // serve-agent's port (0: any free one)
}

// The exit statuses of installCmd's own failures.
const (
	exitNoFetcher = 3 // neither curl nor wget
	exitDownload  = 4 // the download failed: the source is unreachable or gone
	exitChecksum  = 5 // the file has another SHA-256 than the build
)

// installCmd is the shell line of one installation. It prints "installed"
// once the agent is in place, then serve-agent's report.
func (s settings) installCmd(in install) string {
	var b strings.Builder
	b.WriteString("set -e; ")
	if in.empty {
		b.WriteString(s.emptyCmd() + "; ")
	}
	b.WriteString(`tmp=` + remote.Quote(s.MurderPath) + `/.murder-agent.new.$$; trap 'rm -f -- "$tmp"' EXIT; `)
	if in.url == "" {
		b.WriteString(`cat > "$tmp"; `)
	} else {
		b.WriteString(fetchCmd(in.url))
	}
	sum := remote.Quote(in.sum)
	b.WriteString(`got=$( { sha256sum < "$tmp" || shasum -a 256 < "$tmp"; } 2>/dev/null || true); got=${got%% *}; ` +
		`if [ "$got" != ` + sum + ` ]; then printf 'murder: the agent received has sha256 %s, want %s\n' "${got:-unknown}" ` + sum + ` >&2; exit ` + strconv.Itoa(exitChecksum) + `; fi; ` +
		`chmod 755 "$tmp"; mv -f -- "$tmp" ` + remote.Quote(s.agent()) + `; trap - EXIT; echo installed`)
	if in.serve {
		b.WriteString("; " + remote.Command(s.serveAgentCmd(in.port)...) + ` || echo 'murder: serve-agent did not start' >&2`)
	}
	return b.String()
}

// fetchCmd downloads url into "$tmp" with curl, else wget, both bounded
// in time so that a silent source fails the fetch instead of the task.
func fetchCmd(url string) string {
	u := remote.Quote(url)
	fail := ` || { printf '%s\n' ` + remote.Quote("murder: could not download the agent from "+url) + ` >&2; exit ` + strconv.Itoa(exitDownload) + `; }; `
	return `if command -v curl >/dev/null 2>&1; then curl -fsS --connect-timeout 10 --max-time 300 -o "$tmp" ` + u + fail +
		`elif command -v wget >/dev/null 2>&1; then wget -q -T 30 -O "$tmp" ` + u + fail +
		`else echo 'murder: neither curl nor wget is installed' >&2; exit ` + strconv.Itoa(exitNoFetcher) + `; fi; `
}

// serveAgentCmd starts a detached serve-agent, which reports its port.
func (s settings) serveAgentCmd(port int) []string {
	return []string{s.agent(), "serve-agent", "--detach", "--run-dir", s.runDir(), "--port", strconv.Itoa(port)}
}

// agentURL is where a host serves the agent: its name as murder.yaml
// gives it, as the peers reach the tracker.
func agentURL(host string, port int, sum string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/murder-agent/" + sum
}

var servingRE = regexp.MustCompile(`(?m)^serving murder-agent sha256:[0-9a-f]+ on port ([0-9]+)`)

// installed reads installCmd's output: whether the agent is in place, and
// the port it is served on (0: not served).
func installed(out string) (bool, int) {
	ok := strings.HasPrefix(out, "installed\n") || out == "installed"
	m := servingRE.FindStringSubmatch(out)
	if !ok || m == nil {
		return ok, 0
	}
	port, _ := strconv.Atoi(m[1])
	return ok, port
}

// sourceFailed reports whether a failed fetch is the source's fault (not
// reachable, or serving other bytes), so that no one fetches from it
// again.
func sourceFailed(err error) bool {
	var e *remote.ExitError
	return errors.As(err, &e) && (e.Code == exitDownload || e.Code == exitChecksum)
}
