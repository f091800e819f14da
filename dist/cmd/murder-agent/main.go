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
	// A write to a stdout nobody reads (the SSH session is gone) fails
	// with EPIPE instead of killing the agent, so that a start can stop
	// the worker it spawned before it exits.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := agent.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
