package tasks

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/murderfleet/murder/tasks/remote"
)

// Local runs argv on this machine (Capistrano's run_locally), its output
// prefixed ` ** [out :: local]`. A dry run prints it instead.
func Local(ctx context.Context, argv ...string) error {
	sc := scopeOf(ctx)
	if sc == nil {
		return errOutside("tasks.Local")
	}
	if len(argv) == 0 {
		return errors.New("tasks.Local: no command")
	}
	r := sc.run
	if r.dry {
		r.printf("  * [dry-run :: local] %s\n", remote.Command(argv...))
		return nil
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	outw, errw := r.prefixed("out", "local"), r.prefixed("err", "local")
	cmd.Stdout, cmd.Stderr = outw, errw
	err := cmd.Run()
	outw.flush()
	errw.flush()
	if err != nil {
		if msg := errw.lastLine(); msg != "" {
			return fmt.Errorf("local %s: %s (%w)", argv[0], msg, err)
		}
		return fmt.Errorf("local %s: %w", argv[0], err)
	}
	return nil
}
