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

const (
	availableCongestion = "/proc/sys/net/ipv4/tcp_available_congestion_control"
	// Outside the first network namespace the kernel sets only the
	// algorithms listed here (EPERM otherwise, which a shell's write to
	// /proc reports as an I/O error). The list is the machine's, not a
	// namespace's: widening it is the operator's call, not a fleet's.
	allowedCongestion = "/proc/sys/net/ipv4/tcp_allowed_congestion_control"
)

// CheckCongestion reports why a fleet's hosts cannot use the TCP congestion
// control name: the kernel lacks it, or keeps it from network namespaces.
// An empty name (the machine's own) is always usable.
func CheckCongestion(name string) error {
	if name == "" {
		return nil
	}
	available, err := readList(availableCongestion)
	if err != nil {
		return fmt.Errorf("testfleet: congestion control %q: %w", name, err)
	}
	allowed, err := readList(allowedCongestion)
	if err != nil {
		return fmt.Errorf("testfleet: congestion control %q: %w", name, err)
	}
	return congestionError(name, available, allowed)
}

// congestionError is CheckCongestion's rule, given the kernel's lists.
func congestionError(name string, available, allowed []string) error {
	switch {
	case !slices.Contains(available, name):
		return fmt.Errorf("testfleet: congestion control %q is not available here (%s: %s)",
			name, availableCongestion, strings.Join(available, " "))
	case !slices.Contains(allowed, name):
		return fmt.Errorf("testfleet: congestion control %q is available but network namespaces may not use it (%s: %s); "+
			"allow it with: sysctl -w net.ipv4.tcp_allowed_congestion_control=%q",
			name, allowedCongestion, strings.Join(allowed, " "), strings.Join(append(slices.Clone(allowed), name), " "))
	}
	return nil
}

// MachineCongestion is this namespace's default TCP congestion control,
// the one a fleet's hosts keep when Options.Congestion is empty; "" if it
// cannot be read.
func MachineCongestion() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_congestion_control")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readList(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
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
