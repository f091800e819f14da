// Command murder-agent is the program murder's distribute_files puts on every
// host: tracker, make-torrent, seeder and peer in one static binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/murderfleet/murder/dist/agent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := agent.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
