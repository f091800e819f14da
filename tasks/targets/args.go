package targets

import (
	"os"
	"regexp"
	"strings"
)

// commandLine holds the `name=value` words of the command line. Mage would
// take them for target names, so init moves them out of os.Args before
// mage's generated main parses it, as Capistrano 2 moved them into its
// environment. tasks.ParseArgs rejects unknown names, so a typo is an
// error, not a silently ignored word.
var commandLine []string

var argWord = regexp.MustCompile(`^[a-z_][a-z0-9_]*=`)

func init() {
	os.Args, commandLine = splitArgs(os.Args)
}

// splitArgs separates name=value words from mage's own arguments and
// rewrites target names spelled with underscores, as in the original
// README (murder:start_tracker), to the names mage knows
// (murder:starttracker; mage ignores case).
func splitArgs(args []string) (rest, words []string) {
	if len(args) == 0 {
		return args, nil
	}
	rest = []string{args[0]}
	for _, a := range args[1:] {
		switch {
		case argWord.MatchString(a):
			words = append(words, a)
		case a == "deploy":
			// `cap deploy` ran the namespace's default task.
			rest = append(rest, "deploy:default")
		case strings.Contains(a, ":") && !strings.HasPrefix(a, "-"):
			rest = append(rest, strings.ReplaceAll(a, "_", ""))
		default:
			rest = append(rest, a)
		}
	}
	return rest, words
}
