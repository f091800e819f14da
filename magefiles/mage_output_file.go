//go:build ignore
// +build ignore

package main

import (
	_context "context"
	_flag "flag"
	_fmt "fmt"
	_io "io"
	_log "log"
	_os "os"
	_signal "os/signal"
	_filepath "path/filepath"
	_sort "sort"
	_strconv "strconv"
	_strings "strings"
	_syscall "syscall"
	_tabwriter "text/tabwriter"
	_time "time"
	devtargets_mageimport "github.com/murderfleet/murder/tasks/devtargets"
	targets_mageimport "github.com/murderfleet/murder/tasks/targets"
	
)

func main() {
	// Use local types and functions in order to avoid name conflicts with additional magefiles.
	type arguments struct {
		Verbose       bool          // print out log statements
		List          bool          // print out a list of targets
		Help          bool          // print out help for a specific target
		Timeout       _time.Duration // set a timeout to running the targets
		Args          []string      // args contain the non-flag command-line arguments
	}

	parseBool := func(env string) bool {
		val := _os.Getenv(env)
		if val == "" {
			return false
		}		
		b, err := _strconv.ParseBool(val)
		if err != nil {
			_log.Printf("warning: environment variable %s is not a valid bool value: %v", env, val)
			return false
		}
		return b
	}

	parseDuration := func(env string) _time.Duration {
		val := _os.Getenv(env)
		if val == "" {
			return 0
		}		
		d, err := _time.ParseDuration(val)
		if err != nil {
			_log.Printf("warning: environment variable %s is not a valid duration value: %v", env, val)
			return 0
		}
		return d
	}
	args := arguments{}
	fs := _flag.FlagSet{}
	fs.SetOutput(_os.Stdout)

	// default flag set with ExitOnError and auto generated PrintDefaults should be sufficient
	fs.BoolVar(&args.Verbose, "v", parseBool("MAGEFILE_VERBOSE"), "show verbose output when running targets")
	fs.BoolVar(&args.List, "l", parseBool("MAGEFILE_LIST"), "list targets for this binary")
	fs.BoolVar(&args.Help, "h", parseBool("MAGEFILE_HELP"), "print out help for a specific target")
	fs.DurationVar(&args.Timeout, "t", parseDuration("MAGEFILE_TIMEOUT"), "timeout in duration parsable format (e.g. 5m30s)")
	fs.Usage = func() {
		_fmt.Fprintf(_os.Stdout, `
%s [options] [target]

Commands:
  -l    list targets in this binary
  -h    show this help

Options:
  -h    show description of a target
  -t <string>
        timeout in duration parsable format (e.g. 5m30s)
  -v    show verbose output when running targets
 `[1:], _filepath.Base(_os.Args[0]))
	}
	if err := fs.Parse(_os.Args[1:]); err != nil {
		// flag will have printed out an error already.
		return
	}
	args.Args = fs.Args()
	if args.Help && len(args.Args) == 0 {
		fs.Usage()
		return
	}
		
	var printName = func(str string) string {
	// color is ANSI color type
	type color int

	// If you add/change/remove any items in this constant,
	// you will need to run "stringer -type=color" in this directory again.
	// NOTE: Please keep the list in an alphabetical order.
	const (
		black color = iota
		red
		green
		yellow
		blue
		magenta
		cyan
		white
		brightblack
		brightred
		brightgreen
		brightyellow
		brightblue
		brightmagenta
		brightcyan
		brightwhite
	)

	// AnsiColor are ANSI color codes for supported terminal colors.
	var ansiColor = map[color]string{
		black:         "\u001b[30m",
		red:           "\u001b[31m",
		green:         "\u001b[32m",
		yellow:        "\u001b[33m",
		blue:          "\u001b[34m",
		magenta:       "\u001b[35m",
		cyan:          "\u001b[36m",
		white:         "\u001b[37m",
		brightblack:   "\u001b[30;1m",
		brightred:     "\u001b[31;1m",
		brightgreen:   "\u001b[32;1m",
		brightyellow:  "\u001b[33;1m",
		brightblue:    "\u001b[34;1m",
		brightmagenta: "\u001b[35;1m",
		brightcyan:    "\u001b[36;1m",
		brightwhite:   "\u001b[37;1m",
	}

	const colorName = "blackredgreenyellowbluemagentacyanwhitebrightblackbrightredbrightgreenbrightyellowbrightbluebrightmagentabrightcyanbrightwhite"

	var colorIndex = [...]uint8{0, 5, 8, 13, 19, 23, 30, 34, 39, 50, 59, 70, 82, 92, 105, 115, 126}

	colorToLowerString := func(i color) string {
		if i < 0 || i >= color(len(colorIndex)-1) {
			return "color(" + _strconv.FormatInt(int64(i), 10) + ")"
		}
		return colorName[colorIndex[i]:colorIndex[i+1]]
	}

	// ansiColorReset is an ANSI color code to reset the terminal color.
	const ansiColorReset = "\033[0m"

	// defaultTargetAnsiColor is a default ANSI color for colorizing targets.
	// It is set to Cyan as an arbitrary color, because it has a neutral meaning
	var defaultTargetAnsiColor = ansiColor[cyan]

	getAnsiColor := func(color string) (string, bool) {
		colorLower := _strings.ToLower(color)
		for k, v := range ansiColor {
			colorConstLower := colorToLowerString(k)
			if colorConstLower == colorLower {
				return v, true
			}
		}
		return "", false
	}

	// Terminals which  don't support color:
	//
	//	TERM=vt100
	//	TERM=cygwin
	//	TERM=xterm-mono
	var noColorTerms = map[string]bool{
		"vt100":      false,
		"cygwin":     false,
		"xterm-mono": false,
	}

	// terminalSupportsColor checks if the current console supports color output
	//
	// Supported:
	//
	//	linux, mac, or windows's ConEmu, Cmder, putty, git-bash.exe, pwsh.exe
	//
	// Not supported:
	//
	//	windows cmd.exe, powerShell.exe
	terminalSupportsColor := func() bool {
		envTerm := _os.Getenv("TERM")
		if _, ok := noColorTerms[envTerm]; ok {
			return false
		}
		return true
	}

	// enableColor reports whether the user has requested to enable a color output.
	enableColor := func() bool {
		b, _ := _strconv.ParseBool(_os.Getenv("MAGEFILE_ENABLE_COLOR"))
		return b
	}

	// targetColor returns the ANSI color which should be used to colorize targets.
	targetColor := func() string {
		s, exists := _os.LookupEnv("MAGEFILE_TARGET_COLOR")
		if exists {
			if c, ok := getAnsiColor(s); ok {
				return c
			}
		}
		return defaultTargetAnsiColor
	}

	// store the color terminal variables, so that the detection isn't repeated for each target
	var enableColorValue = enableColor() && terminalSupportsColor()
	var targetColorValue = targetColor()

	if enableColorValue {
		return _fmt.Sprintf("%s%s%s", targetColorValue, str, ansiColorReset)
	}

	return str
}


	list := func() error {
		_fmt.Println(`The magefile only imports murder's targets; they live in ordinary, tested packages. devtargets adds Demo and Bench, for working on murder itself.
`)
		targets := map[string]string{
			"bench": "measures murder against parallel scp and an aria2c swarm on a fleet of network-namespace hosts with shaped links, against the limit S/B (needs root).",
			"demo": "runs the manual sequence on a throwaway fleet of 8 local hosts (no root, no sshd needed).",
			"scaleBench": "measures murder's controller on a simulated fleet of SSH servers on 127.1.x.y, run in processes of their own (no root needed beyond a high open-files limit): wall time, CPU, peak RSS, SSH sessions and bytes sent per task.",
			"deploy:check": "makes linked_dirs and checks linked_files on every host (deploy:check).",
			"deploy:cleanup": "removes all but the keep_releases newest releases (deploy:cleanup).",
			"deploy:default": "deploys: the flow points, restart, cleanup; also spelled 'deploy' (deploy:default).",
			"deploy:migrations": "deploys with deploy:migrate after deploy:updated (deploy:migrations).",
			"deploy:restart": "runs restart_command in current on every host that sets one (deploy:restart).",
			"deploy:rollback": "points current back at the previous release and removes the newer one (deploy:rollback).",
			"deploy:setup": "creates deploy_to/releases and shared on every host (deploy:setup).",
			"deploy:symlink": "points current at the newest release on every host (deploy:symlink).",
			"deploy:update": "builds the release, puts it on every host and switches current on all of them (deploy:update).",
			"murder:cleanTempFiles": "removes TAG.tgz and its .torrent from temp_path; needs tag= (murder:clean_temp_files).",
			"murder:createTorrent": "packs files_path on the seeder and makes TAG.tgz.torrent; needs tag= files_path= (murder:create_torrent).",
			"murder:distributeFiles": "builds the agent for each host and uploads it (murder:distribute_files).",
			"murder:downloadTorrent": "copies TAG.tgz.torrent from the seeder to this machine; needs tag= (murder:download_torrent).",
			"murder:importCapfile": "writes murder.yaml from a Capistrano Capfile or deploy.rb; needs capfile= (murder:import_capfile).",
			"murder:peer": "downloads TAG to every peer and extracts it; needs tag= destination_path= (murder:peer).",
			"murder:startSeeding": "starts seeding TAG on the seeder; needs tag= (murder:start_seeding).",
			"murder:startTracker": "starts the tracker on the tracker host (murder:start_tracker).",
			"murder:stopAllPeering": "stops every peer process (murder:stop_all_peering).",
			"murder:stopAllSeeding": "stops every seeder process (murder:stop_all_seeding).",
			"murder:stopPeering": "stops the peer processes of TAG; needs tag= (murder:stop_peering).",
			"murder:stopSeeding": "stops seeding TAG; needs tag= (murder:stop_seeding).",
			"murder:stopTracker": "stops the tracker (murder:stop_tracker).",
			"invoke": "runs any registered task by its Capistrano name, with its hooks ('go tool mage app:restart' comes here too).",
		}

		keys := make([]string, 0, len(targets))
		for name := range targets {
			keys = append(keys, name)
		}
		_sort.Strings(keys)

		_fmt.Println("Targets:")
		w := _tabwriter.NewWriter(_os.Stdout, 0, 4, 4, ' ', 0)
		for _, name := range keys {
			_fmt.Fprintf(w, "  %v\t%v\n", printName(name), targets[name])
		}
		err := w.Flush()
		return err
	}

	var ctx _context.Context
	ctxCancel := func(){}

	// by deferring in a closure, we let the cancel function get replaced
	// by the getContext function.
	defer func() {
		ctxCancel()
	}()

	getContext := func() (_context.Context, func()) {
		if ctx == nil {
			if args.Timeout != 0 {
				ctx, ctxCancel = _context.WithTimeout(_context.Background(), args.Timeout)
			} else {
				ctx, ctxCancel = _context.WithCancel(_context.Background())
			}
		}

		return ctx, ctxCancel
	}

	runTarget := func(logger *_log.Logger, fn func(_context.Context) error) interface{} {
		var err interface{}
		ctx, cancel := getContext()
		d := make(chan interface{})
		go func() {
			defer func() {
				err := recover()
				d <- err
			}()
			err := fn(ctx)
			d <- err
		}()
		sigCh := make(chan _os.Signal, 1)
		_signal.Notify(sigCh, _syscall.SIGINT)
		select {
		case <-sigCh:
			logger.Println("cancelling mage targets, waiting up to 5 seconds for cleanup...")
			cancel()
			cleanupCh := _time.After(5 * _time.Second)

			select {
			// target exited by itself
			case err = <-d:
				return err
			// cleanup timeout exceeded
			case <-cleanupCh:
				return _fmt.Errorf("cleanup timeout exceeded")
			// second SIGINT received
			case <-sigCh:
				logger.Println("exiting mage")
				return _fmt.Errorf("exit forced")
			}
		case <-ctx.Done():
			cancel()
			e := ctx.Err()
			_fmt.Printf("ctx err: %v\n", e)
			return e
		case err = <-d:
			// we intentionally don't cancel the context here, because
			// the next target will need to run with the same _context.
			return err
		}
	}
	// This is necessary in case there aren't any targets, to avoid an unused
	// variable error.
	_ = runTarget

	handleError := func(logger *_log.Logger, err interface{}) {
		if err != nil {
			logger.Printf("Error: %+v\n", err)
			type code interface {
				ExitStatus() int
			}
			if c, ok := err.(code); ok {
				_os.Exit(c.ExitStatus())
			}
			_os.Exit(1)
		}
	}
	_ = handleError

	// Set MAGEFILE_VERBOSE so mg.Verbose() reflects the flag value.
	if args.Verbose {
		_os.Setenv("MAGEFILE_VERBOSE", "1")
	} else {
		_os.Setenv("MAGEFILE_VERBOSE", "0")
	}

	_log.SetFlags(0)
	if !args.Verbose {
		_log.SetOutput(_io.Discard)
	}
	logger := _log.New(_os.Stderr, "", 0)
	if args.List {
		if err := list(); err != nil {
			_log.Println(err)
			_os.Exit(1)
		}
		return
	}

	if args.Help {
		if len(args.Args) < 1 {
			logger.Println("no target specified")
			_os.Exit(2)
		}
		switch _strings.ToLower(args.Args[0]) {
			case "bench":
				_fmt.Println("Bench measures murder against parallel scp and an aria2c swarm on a fleet of network-namespace hosts with shaped links, against the limit S/B (needs root). Defaults: n=5,10,20 size=128MiB rate=100mbit reps=1 methods=murder,scp,aria2 scp_n=5 out=results (into results/<timestamp>).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage bench\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "demo":
				_fmt.Println("Demo runs the manual sequence on a throwaway fleet of 8 local hosts (no root, no sshd needed).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage demo\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "scalebench":
				_fmt.Println("ScaleBench measures murder's controller on a simulated fleet of SSH servers on 127.1.x.y, run in processes of their own (no root needed beyond a high open-files limit): wall time, CPU, peak RSS, SSH sessions and bytes sent per task. Defaults: hosts=100,1000 size=256MiB rate=100mbit agent_size=64KiB max_hosts=100 out=results (into results/scale-<timestamp>).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage scalebench\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:check":
				_fmt.Println("Check makes linked_dirs and checks linked_files on every host (deploy:check).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:check\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:cleanup":
				_fmt.Println("Cleanup removes all but the keep_releases newest releases (deploy:cleanup).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:cleanup\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:default":
				_fmt.Println("Default deploys: the flow points, restart, cleanup; also spelled 'deploy' (deploy:default).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:default\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:migrations":
				_fmt.Println("Migrations deploys with deploy:migrate after deploy:updated (deploy:migrations).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:migrations\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:restart":
				_fmt.Println("Restart runs restart_command in current on every host that sets one (deploy:restart).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:restart\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:rollback":
				_fmt.Println("Rollback points current back at the previous release and removes the newer one (deploy:rollback).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:rollback\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:setup":
				_fmt.Println("Setup creates deploy_to/releases and shared on every host (deploy:setup).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:setup\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:symlink":
				_fmt.Println("Symlink points current at the newest release on every host (deploy:symlink).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:symlink\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "deploy:update":
				_fmt.Println("Update builds the release, puts it on every host and switches current on all of them (deploy:update).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage deploy:update\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:cleantempfiles":
				_fmt.Println("CleanTempFiles removes TAG.tgz and its .torrent from temp_path; needs tag= (murder:clean_temp_files).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:cleantempfiles\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:createtorrent":
				_fmt.Println("CreateTorrent packs files_path on the seeder and makes TAG.tgz.torrent; needs tag= files_path= (murder:create_torrent).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:createtorrent\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:distributefiles":
				_fmt.Println("DistributeFiles builds the agent for each host and uploads it (murder:distribute_files).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:distributefiles\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:downloadtorrent":
				_fmt.Println("DownloadTorrent copies TAG.tgz.torrent from the seeder to this machine; needs tag= (murder:download_torrent).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:downloadtorrent\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:importcapfile":
				_fmt.Println("ImportCapfile writes murder.yaml from a Capistrano Capfile or deploy.rb; needs capfile= (murder:import_capfile).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:importcapfile\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:peer":
				_fmt.Println("Peer downloads TAG to every peer and extracts it; needs tag= destination_path= (murder:peer).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:peer\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:startseeding":
				_fmt.Println("StartSeeding starts seeding TAG on the seeder; needs tag= (murder:start_seeding).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:startseeding\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:starttracker":
				_fmt.Println("StartTracker starts the tracker on the tracker host (murder:start_tracker).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:starttracker\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:stopallpeering":
				_fmt.Println("StopAllPeering stops every peer process (murder:stop_all_peering).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:stopallpeering\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:stopallseeding":
				_fmt.Println("StopAllSeeding stops every seeder process (murder:stop_all_seeding).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:stopallseeding\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:stoppeering":
				_fmt.Println("StopPeering stops the peer processes of TAG; needs tag= (murder:stop_peering).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:stoppeering\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:stopseeding":
				_fmt.Println("StopSeeding stops seeding TAG; needs tag= (murder:stop_seeding).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:stopseeding\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "murder:stoptracker":
				_fmt.Println("StopTracker stops the tracker (murder:stop_tracker).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage murder:stoptracker\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "invoke":
				_fmt.Println("Invoke runs any registered task by its Capistrano name, with its hooks ('go tool mage app:restart' comes here too).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage invoke <task>\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				default:
				logger.Printf("Unknown target: %q\n", args.Args[0])
				_os.Exit(2)
		}
	}
	if len(args.Args) < 1 {
		if err := list(); err != nil {
			logger.Println("Error:", err)
			_os.Exit(1)
		}
		return
	}
	for x := 0; x < len(args.Args); {
		target := args.Args[x]
		x++

		// resolve aliases
		switch _strings.ToLower(target) {
		
		}

		switch _strings.ToLower(target) {
		
		
		
			
				case "bench":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Bench\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Bench")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return devtargets_mageimport.Bench(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "demo":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Demo\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Demo")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return devtargets_mageimport.Demo(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "scalebench":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"ScaleBench\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "ScaleBench")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return devtargets_mageimport.ScaleBench(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
		
			
				case "deploy:check":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Check\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Check")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Check(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:cleanup":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Cleanup\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Cleanup")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Cleanup(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:default":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Default\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Default")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Default(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:migrations":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Migrations\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Migrations")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Migrations(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:restart":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Restart\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Restart")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Restart(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:rollback":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Rollback\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Rollback")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Rollback(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:setup":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Setup\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Setup")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Setup(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:symlink":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Symlink\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Symlink")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Symlink(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "deploy:update":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Deploy:Update\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Deploy:Update")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Deploy{}.Update(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:cleantempfiles":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:CleanTempFiles\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:CleanTempFiles")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.CleanTempFiles(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:createtorrent":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:CreateTorrent\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:CreateTorrent")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.CreateTorrent(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:distributefiles":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:DistributeFiles\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:DistributeFiles")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.DistributeFiles(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:downloadtorrent":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:DownloadTorrent\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:DownloadTorrent")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.DownloadTorrent(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:importcapfile":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:ImportCapfile\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:ImportCapfile")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.ImportCapfile(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:peer":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:Peer\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:Peer")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.Peer(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:startseeding":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StartSeeding\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StartSeeding")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StartSeeding(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:starttracker":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StartTracker\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StartTracker")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StartTracker(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:stopallpeering":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StopAllPeering\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StopAllPeering")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StopAllPeering(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:stopallseeding":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StopAllSeeding\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StopAllSeeding")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StopAllSeeding(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:stoppeering":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StopPeering\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StopPeering")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StopPeering(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:stopseeding":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StopSeeding\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StopSeeding")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StopSeeding(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "murder:stoptracker":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Murder:StopTracker\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Murder:StopTracker")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Murder{}.StopTracker(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "invoke":
					expected := x + 1
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Invoke\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Invoke")
					}
					
			arg0 := args.Args[x]
			x++
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Invoke(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
		default:
			logger.Printf("Unknown target specified: %q\n", target)
			_os.Exit(2)
		}
	}
}




