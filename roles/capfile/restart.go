package capfile

import "strings"

// restartTask3 translates Capistrano 3's restart task when it only
// touches a file or restarts a service on the app servers:
//
//	on roles(:app) do execute :touch, release_path.join('tmp/restart.txt') end
//	on roles(:app) do execute :sudo, :systemctl, :restart, :puma end
//
// murder runs restart_command in the current release, so paths inside
// the release become relative ones.
func (c *converter) restartTask3(st stmt, _ block, args []value, opts value) bool {
	body := split(cut(st).body)
	if len(args) != 1 || len(opts.pairs) > 0 || len(body) != 1 || callName(body[0]) != "on" {
		return false
	}
	on := cut(body[0])
	if !on.has || snippet(on.head) != "`on roles(:app)`" && snippet(on.head) != "`on roles :app`" {
		return false
	}
	inner := split(on.body)
	if len(inner) != 1 || callName(inner[0]) != "execute" || cut(inner[0]).has {
		return false
	}
	var words []string
	for _, arg := range splitArgs(dropNewlines(inner[0].toks[1:])) {
		w, ok := restartWord(arg)
		if !ok {
			return false
		}
		words = append(words, w)
	}
	if !isRestart(words) {
		return false
	}
	return c.setVar(c.at(st.first), "restart_command", value{kind: vString, s: strings.Join(words, " "), line: st.first}) == ""
}

// restartWord reads a plain word, or a path inside the release.
func restartWord(arg []token) (string, bool) {
	switch {
	case len(arg) == 1 && arg[0].kind == kSymbol && arg[0].parts == nil:
		return arg[0].text, true
	case len(arg) == 1 && arg[0].kind == kString && len(arg[0].parts) <= 1 && (len(arg[0].parts) == 0 || !arg[0].parts[0].interp):
		if len(arg[0].parts) == 0 {
			return "", false
		}
		s := arg[0].parts[0].lit
		return s, s != "" && !strings.ContainsAny(s, " \t'\"$`;&|<>")
	case len(arg) == 6 && (arg[0].text == "release_path" || arg[0].text == "current_path") && arg[2].text == "join" && arg[4].kind == kString:
		return restartWord(arg[4:5])
	}
	return "", false
}

// isRestart accepts `touch FILE` and service restarts.
func isRestart(w []string) bool {
	if len(w) > 0 && w[0] == "sudo" {
		w = w[1:]
	}
	switch {
	case len(w) == 2 && w[0] == "touch":
		return true
	case len(w) == 3 && w[0] == "service" && (w[2] == "restart" || w[2] == "reload"):
		return true
	case len(w) == 3 && w[0] == "systemctl" && (w[1] == "restart" || w[1] == "reload"):
		return true
	}
	return false
}
