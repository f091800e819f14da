package testfleet

import (
	"fmt"
	"net/netip"
	"strings"
)

// Every address of a fleet (the hosts and the gateway) has a fixed MAC
// derived from it, and every host and the bridge know all of them as
// permanent neighbours, so no ARP happens at all.
//
// Why: the kernel keeps one neighbour table for all network namespaces and
// caps its dynamic entries machine-wide (net.ipv4.neigh.default.gc_thresh3,
// 1024 by default, a sysctl only the root namespace has). A swarm of n hosts
// needs about n² entries: from some 32 hosts on, the kernel logs "neighbor
// table overflow!" and drops the packets that needed a new entry, and a
// 40-host benchmark failed with SSH sessions lost and announces timing out.
// Permanent entries are exempt from that cap and vanish with their device,
// so the fix needs no machine-wide setting to raise and restore.

// macOf returns the locally administered unicast MAC of a fleet address:
// 02:00 followed by the IPv4 address's four bytes.
func macOf(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}

// neighBatch returns ip(8) batch lines that make every address of addrs
// except self a permanent neighbour on dev.
func neighBatch(dev string, self netip.Addr, addrs []netip.Addr) string {
	var b strings.Builder
	for _, a := range addrs {
		if a != self {
			fmt.Fprintf(&b, "neigh replace %s lladdr %s dev %s nud permanent\n", a, macOf(a), dev)
		}
	}
	return b.String()
}

// lan is what a host needs to know of its fleet's network to join it.
type lan struct {
	bridge string
	addrs  []netip.Addr // the gateway and every host
}

// lan returns the fleet's network for its hosts.
func (f *Fleet) lan() lan {
	l := lan{bridge: f.bridge, addrs: []netip.Addr{f.Gateway}}
	for _, h := range f.Hosts {
		l.addrs = append(l.addrs, h.addr)
	}
	return l
}
