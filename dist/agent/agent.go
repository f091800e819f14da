// Package agent implements murder-agent, the one program every host of a
// murder fleet runs. Its subcommands keep the positional arguments of the
// original Python scripts (murder_tracker.py, murder_make_torrent.py,
// murder_client.py) so operators recognise them, and add what the original
// lacked: detached modes without screen, pid files, stop by pid file, stall
// timeouts and whole-file verification.
package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand of the agent.
type command struct {
	usage string // arguments, for the usage line
	help  string // one line
	run   func(ctx context.Context, env *runEnv, args []string) error
}

// runEnv carries the process's standard streams to a subcommand.
type runEnv struct {
	stdin          io.Reader // where `--identity-file -` reads the key
	stdout, stderr io.Writer
}

// commands lists the subcommands. Hidden worker modes start with "_".
var commands = map[string]command{
	"tracker":      {"[flags]", "run the HTTP tracker (--detach to daemonize)", runTracker},
	"make-torrent": {"[flags] FILE TRACKERHOST:PORT TARGET", "write a .torrent for FILE to TARGET", runMakeTorrent},
	"seeder":       {"[flags] TORRENT FILE [IP]", "seed FILE until stopped (--detach to daemonize)", runSeeder},
	"peer":         {"[flags] TORRENT FILE [IP]", "download FILE, then keep seeding for a while in the background", runPeer},
	"stop":         {"[flags] KIND [TAG]", "stop a detached tracker, seeder, peer or serve-agent by its pid file", runStop},
	"status":       {"[flags] KIND TAG", "print the latest report of a detached peer or seeder", runStatus},
	"swarm-status": {"[flags] < TORRENT", "print a transfer's swarm as the tracker on this host sees it", runSwarmStatus},
	"register":     {"[flags] TORRENT...", "allow torrents at the local tracker", runRegister},
	"pack":         {"[flags] SRC DST", "pack directory SRC into the .tgz DST (or copy a file with --file)", runPack},
	"extract":      {"[flags] ARCHIVE DEST", "verify and extract ARCHIVE into DEST atomically", runExtract},
	"prepare":      {"[flags] DEST", "create DEST and check it is empty (or empty it)", runPrepare},
	"clean":        {"PATH...", "remove files, ignoring absence", runClean},
	"release":      {"setup|list|switch|rollback|cleanup|remove DEPLOY_TO [ARG]", "manage Capistrano's releases/ and current", runRelease},
	"serve-agent":  {"[flags]", "serve this agent over HTTP to the hosts that fetch it (--detach to daemonize)", runServeAgent},
	"_worker":      {"", "", runWorker},
}

// Run executes the agent with args (without the program name) and returns
// the process exit code: 0 on success, 1 on failure, 2 on bad usage.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := &runEnv{stdin: os.Stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, Version())
		return 0
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "murder-agent: unknown command %q (try --help)\n", args[0])
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "murder-agent %s: %v\nusage: murder-agent %s %s\n", args[0], err, args[0], cmd.usage)
		return 2
	default:
		fmt.Fprintf(stderr, "murder-agent %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: murder-agent COMMAND [flags] ARGS\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		if !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].help)
	}
	fmt.Fprintf(w, "  %-13s %s\n", "--version", "print the version")
}

// usageError marks errors in the command line, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// parseFlags parses fs over args and checks the positional argument count.
func parseFlags(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usagef("%v", err)
	}
	rest := fs.Args()
	if len(rest) < min || (max >= 0 && len(rest) > max) {
		return nil, usagef("expected %s arguments, got %d", argCount(min, max), len(rest))
	}
	return rest, nil
}

func argCount(min, max int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("at least %d", min)
	case min == max:
		return fmt.Sprint(min)
	default:
		return fmt.Sprintf("%d to %d", min, max)
	}
}
