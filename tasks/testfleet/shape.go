package testfleet

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// rateUnits maps tc(8) rate suffixes to bits per second. As in tc, "bps"
// units are bytes per second.
var rateUnits = []struct {
	suffix string
	bits   float64
}{
	{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3},
	{"tbps", 8e12}, {"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3},
	{"bit", 1}, {"bps", 8},
}

// parseRate returns a tc rate such as "100mbit" in bits per second.
func parseRate(s string) (float64, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	for _, u := range rateUnits {
		if num, ok := strings.CutSuffix(ls, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v <= 0 {
				break
			}
			return v * u.bits, nil
		}
	}
	return 0, fmt.Errorf("testfleet: rate %q: want a positive tc rate like 100mbit or 1gbit", s)
}

// tbfArgs returns the tc arguments of a token bucket limiting to rate.
// The bucket must hold at least what arrives in one timer tick (4ms at
// HZ=250) and one full GSO super-packet (64 KiB), or tbf cannot reach the
// rate; 20ms of queue keeps latency sane without dropping bursts.
func tbfArgs(rate string) ([]string, error) {
	bits, err := parseRate(rate)
	if err != nil {
		return nil, err
	}
	burst := max(int64(bits/8*0.004), 128<<10)
	return []string{"root", "tbf", "rate", strconv.FormatInt(int64(bits), 10) + "bit",
		"burst", strconv.FormatInt(burst, 10), "latency", "20ms"}, nil
}

// shape limits both directions of the host's link: egress of the outer
// end is what the host receives, egress of eth0 what it sends.
func (h *Host) shape(ctx context.Context, rate string) error {
	args, err := tbfArgs(rate)
	if err != nil {
		return err
	}
	if err := run(ctx, "tc", append([]string{"qdisc", "add", "dev", h.veth}, args...)...); err != nil {
		return fmt.Errorf("shape: %w", err)
	}
	inner := append([]string{"-n", h.Netns, "qdisc", "add", "dev", "eth0"}, args...)
	if err := run(ctx, "tc", inner...); err != nil {
		return fmt.Errorf("shape: %w", err)
	}
	return nil
}
