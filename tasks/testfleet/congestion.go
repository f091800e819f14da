package testfleet

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
)

// A host's TCP congestion control decides how much a swarm's many flows
// lose at a shaped link's queue, and so what every method measures: a
// machine's own default (bbr on some images, cubic on most distributions)
// must not decide a benchmark by accident.

const availableCongestion = "/proc/sys/net/ipv4/tcp_available_congestion_control"

// checkCongestion refuses a congestion control this kernel does not have.
func checkCongestion(name string) error {
	if name == "" {
		return nil
	}
	b, err := os.ReadFile(availableCongestion)
	if err != nil {
		return fmt.Errorf("testfleet: congestion control %q: %w", name, err)
	}
	have := strings.Fields(string(b))
	if !slices.Contains(have, name) {
		return fmt.Errorf("testfleet: congestion control %q is not available here (%s: %s)", name, availableCongestion, strings.Join(have, " "))
	}
	return nil
}

// setCongestion sets the host's default TCP congestion control.
func (h *Host) setCongestion(ctx context.Context, name string) error {
	// The name is sh's $1, never part of the script.
	err := run(ctx, "ip", "netns", "exec", h.Netns, "sh", "-c", `printf '%s\n' "$1" > /proc/sys/net/ipv4/tcp_congestion_control`, "sh", name)
	if err != nil {
		return fmt.Errorf("congestion control %s: %w", name, err)
	}
	return nil
}
