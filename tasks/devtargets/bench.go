// Package devtargets holds the targets for working on murder itself:
// Demo (the manual sequence on a throwaway local fleet), Bench (the fleet
// benchmark) and ScaleBench (the controller on a simulated fleet). A user's magefile imports tasks/targets only, so it
// links neither the test fleets nor the plotting.
package devtargets

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/bench"
	"github.com/murderfleet/murder/tasks/demo"
)

// Bench measures murder against parallel scp and an aria2c swarm on a fleet
// of network-namespace hosts with shaped links, against the limit S/B
// (needs root). Defaults: n=5,10,20 size=128MiB rate=100mbit reps=1
// methods=murder,scp,aria2 scp_n=5 out=results (into results/<timestamp>).
func Bench(ctx context.Context) error {
	o, err := bench.ParseWords(tasks.CommandLine())
	if err != nil {
		return err
	}
	o.Stdout = os.Stdout
	// mage cancels ctx on ^C; SIGTERM and SIGHUP must tear the fleet down
	// too instead of killing the process with it still up.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res, err := bench.Run(ctx, o)
	if res != nil {
		fmt.Println()
		if werr := res.WriteTable(os.Stdout); werr != nil {
			return werr
		}
		fmt.Printf("\nresults: %s (%s, %s, %s)\n", res.Dir, bench.MarkdownFile, bench.JSONFile, bench.PlotFile)
		if abs, aerr := filepath.Abs(res.Dir); aerr == nil {
			fmt.Printf("plot: %s\n", filepath.Join(abs, bench.PlotFile))
		}
	}
	return err
}

// Demo runs the manual sequence on a throwaway fleet of 8 local hosts (no root, no sshd needed).
func Demo(ctx context.Context) error {
	return demo.Run(ctx, demo.Options{Stdout: os.Stdout, Keep: os.Getenv("keep") != ""})
}
