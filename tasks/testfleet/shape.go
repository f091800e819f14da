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

// shapeCmds returns the tc commands (arguments after "tc", before the
// device, which the caller appends as "dev X ...") that limit a link to
// rate the way a real host's NIC and qdisc would: an htb class at the
// link rate, small packets (TCP ACKs, BitTorrent requests and haves:
// IP length < 128) ahead of bulk data, and a bulk queue of 20 ms.
//
// A single FIFO (tbf alone) is not what hosts run: their default qdisc,
// fq_codel, serves sparse flows first. With a FIFO, a host whose uplink
// is full has its ACKs and requests wait 20 ms behind its own uploads,
// which throttles what it downloads; every swarm method suffered from
// that artefact. This kernel has no fq_codel, so htb + u32 stand in.
//
// The burst must hold what arrives in one timer tick (4ms at HZ=250) and
// one full GSO super-packet (64 KiB), or htb cannot reach the rate.
func shapeCmds(rate string) ([][]string, error) {
	bits, err := parseRate(rate)
	if err != nil {
		return nil, err
	}
	r := strconv.FormatInt(int64(bits), 10) + "bit"
	small := strconv.FormatInt(int64(bits/10), 10) + "bit"
	burst := strconv.FormatInt(max(int64(bits/8*0.004), 128<<10), 10)
	queue := strconv.FormatInt(max(int64(bits/8*0.020), 256<<10), 10)
	return [][]string{
		{"qdisc", "add", "root", "handle", "1:", "htb", "default", "20"},
		{"class", "add", "parent", "1:", "classid", "1:1", "htb", "rate", r, "ceil", r, "burst", burst, "cburst", burst},
		{"class", "add", "parent", "1:1", "classid", "1:10", "htb", "rate", small, "ceil", r, "burst", burst, "cburst", burst, "prio", "0"},
		{"class", "add", "parent", "1:1", "classid", "1:20", "htb", "rate", r, "ceil", r, "burst", burst, "cburst", burst, "prio", "1"},
		{"qdisc", "add", "parent", "1:20", "handle", "20:", "bfifo", "limit", queue},
		// IPv4 total length (offset 2) below 128: ACKs and control messages.
		{"filter", "add", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "u16", "0x0000", "0xff80", "at", "2", "flowid", "1:10"},
	}, nil
}

// shape limits both directions of the host's link: egress of the outer
// end is what the host receives, egress of eth0 what it sends.
func (h *Host) shape(ctx context.Context, rate string) error {
	cmds, err := shapeCmds(rate)
	if err != nil {
		return err
	}
	for _, link := range []struct{ netns, dev string }{{"", h.veth}, {h.Netns, "eth0"}} {
		for _, c := range cmds {
			var args []string
			if link.netns != "" {
				args = []string{"-n", link.netns}
			}
			// tc wants "dev X" right after the verb: qdisc add dev X ...
			args = append(append(append(args, c[:2]...), "dev", link.dev), c[2:]...)
			if err := run(ctx, "tc", args...); err != nil {
				return fmt.Errorf("shape: %w", err)
			}
		}
	}
	return nil
}
