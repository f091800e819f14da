package tasks

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The command line as mage hands it to the magefile's binary. Mage would
// take `name=value` words for target names, so they are moved out of
// os.Args at init, before mage's generated main parses it, as Capistrano 2
// moved them into its environment; Run reads them through CommandLine.
//
// A registered task named on the command line is routed through the
// dispatcher target (RouteThrough: `invoke NAME`), so that
// `go tool mage app:restart` runs app:restart inside a run, with its hooks
// and summary, as `cap app:restart` did, and under any spelling
// (murder:start_tracker). Only words that name a registered task are
// touched: a target's own arguments stay as they are.
var cmdline struct {
	sync.Mutex
	words      []string          // name=value
	args       []string          // the rest of os.Args, as given
	dispatcher string            // target that runs a task by name; "" routes nothing
	spelled    map[string]string // canonical name -> mage target (MageTarget)
}

var argWord = regexp.MustCompile(`^[a-z_][a-z0-9_]*=`)

func init() {
	cmdline.args, cmdline.words = splitCommandLine(os.Args)
	os.Args = slices.Clone(cmdline.args)
}

// splitCommandLine separates name=value words from mage's own arguments.
func splitCommandLine(args []string) (rest, words []string) {
	if len(args) == 0 {
		return args, nil
	}
	rest = []string{args[0]}
	for _, a := range args[1:] {
		if argWord.MatchString(a) {
			words = append(words, a)
		} else {
			rest = append(rest, a)
		}
	}
	return rest, words
}

// CommandLine returns the `name=value` words of the command line.
func CommandLine() []string {
	cmdline.Lock()
	defer cmdline.Unlock()
	return slices.Clone(cmdline.words)
}

// RouteThrough names the mage target that runs a registered task by name
// (murder's targets package declares `invoke`); from then on the command
// line's task names are routed through it.
func RouteThrough(target string) {
	registry.Lock()
	defer registry.Unlock()
	cmdline.Lock()
	cmdline.dispatcher = target
	cmdline.Unlock()
	routeCommandLine()
}

// MageTarget makes a command-line word naming name, in any spelling
// (murder:import_capfile), the mage target target (murder:importcapfile):
// for a target that runs outside the runner, so is no registered task.
func MageTarget(name, target string) {
	registry.Lock()
	defer registry.Unlock()
	cmdline.Lock()
	if cmdline.spelled == nil {
		cmdline.spelled = map[string]string{}
	}
	cmdline.spelled[canonical(name)] = target
	cmdline.Unlock()
	routeCommandLine()
}

// routeCommandLine rewrites os.Args from the command line as given,
// routing every word that names a registered task. The registry's lock
// is held: it runs on each registration, so that tasks registered by the
// user's init functions, after murder's, are routed too.
func routeCommandLine() {
	cmdline.Lock()
	defer cmdline.Unlock()
	d := cmdline.dispatcher
	if (d == "" && cmdline.spelled == nil) || len(cmdline.args) == 0 {
		return
	}
	out := []string{cmdline.args[0]}
	for i, a := range cmdline.args[1:] {
		switch {
		case strings.HasPrefix(a, "-"):
			if a == "-h" || a == "-help" || a == "-l" || a == "-list" {
				return // mage lists or explains targets: leave its words alone
			}
		case i > 0 && d != "" && canonical(cmdline.args[i]) == canonical(d):
			// already the dispatcher's argument
		case cmdline.spelled[canonical(a)] != "":
			a = cmdline.spelled[canonical(a)]
		case d != "" && canonical(a) != canonical(d) && lookupLocked(a) != nil:
			out = append(out, d)
		}
		out = append(out, a)
	}
	os.Args = out
}
