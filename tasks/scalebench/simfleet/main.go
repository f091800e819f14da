// Command simfleet is the simulated fleet of the scale bench (go tool mage
// scalebench): SSH servers on 127.1.x.y whose agent is simulated. The bench
// starts it as a process of its own so that it measures the controller
// alone.
package main

import (
	"fmt"
	"os"

	"github.com/murderfleet/murder/tasks/scalebench"
)

func main() {
	if err := scalebench.FleetMain(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simfleet:", err)
		os.Exit(1)
	}
}
