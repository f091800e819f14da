package devtargets

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/murderfleet/murder/tasks"
	"github.com/murderfleet/murder/tasks/scalebench"
)

// ScaleBench measures murder's controller on a simulated fleet of SSH
// servers on 127.1.x.y, run in processes of their own (no root needed
// beyond a high open-files limit): wall time, CPU, peak RSS, SSH sessions
// and bytes sent per task. Defaults: hosts=100,1000 size=256MiB rate=100mbit
// agent_size=64KiB max_hosts=100 out=results (into results/scale-<timestamp>).
func ScaleBench(ctx context.Context) error {
	o, err := scalebench.ParseWords(tasks.CommandLine())
	if err != nil {
		return err
	}
	if o.Rerender != "" {
		res, err := scalebench.Load(o.Rerender)
		if err == nil {
			err = res.Write()
		}
		if err == nil {
			err = res.WriteTable(os.Stdout)
		}
		return err
	}
	o.Stdout = func(format string, a ...any) { fmt.Printf(format, a...) }
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res, err := scalebench.Run(ctx, o)
	if res != nil && len(res.Rows) > 0 {
		fmt.Println()
		if werr := res.WriteTable(os.Stdout); werr != nil {
			return werr
		}
		abs, _ := filepath.Abs(res.Dir)
		fmt.Printf("\nresults: %s (%s, %s, %s, %s)\n", abs, scalebench.TableFile, scalebench.MarkdownFile, scalebench.JSONFile, scalebench.PlotFile)
	}
	return err
}
