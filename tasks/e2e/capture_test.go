package e2e

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/murderfleet/murder/tasks/taskstest"
	"github.com/murderfleet/murder/tasks/testfleet"
)

// capture is a tcpdump writing every frame that crosses a fleet's bridge
// to a pcap file.
type capture struct {
	file   string
	cmd    *exec.Cmd
	stderr *taskstest.Buffer
	done   chan struct{}
	err    error // tcpdump's exit, once done is closed
}

// fleetBridge is the name of f's bridge in the root network namespace, as
// testfleet names it (state.go: ID + "br"). Every host's veth is a port of
// it; in promiscuous mode (tcpdump's default) the bridge passes up every
// frame it forwards between ports, unicast included, so a capture on it
// sees all the fleet's traffic, which a capture inside one host's
// namespace would not (a bridge does not flood unicast).
func fleetBridge(t *testing.T, f *testfleet.Fleet) string {
	t.Helper()
	name := f.ID + "br"
	if _, err := os.Stat("/sys/class/net/" + name + "/bridge"); err != nil {
		t.Fatalf("fleet %s: no bridge %s in the root namespace (%v); has testfleet renamed it?", f.ID, name, err)
	}
	return name
}

// startCapture starts tcpdump on iface, writing to file, and waits until it
// listens. The test skips if tcpdump is missing (fails with
// MURDER_REQUIRE_FLEET=1, so CI cannot silently skip). tcpdump is
// stopped and file removed when the test ends, also when it fails.
func startCapture(t *testing.T, iface, file string) *capture {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		msg := "tcpdump not installed (Debian: apt-get install tcpdump): cannot capture the fleet's traffic"
		if os.Getenv(testfleet.RequireEnv) == "1" {
			t.Fatalf("%s (%s=1 forbids skipping)", msg, testfleet.RequireEnv)
		}
		t.Skip(msg)
	}
	c := &capture{file: file, stderr: &taskstest.Buffer{}, done: make(chan struct{})}
	// -s 0: whole frames (GRO makes them up to 64 KiB); -U: write each
	// packet at once; -B: a 64 MiB kernel buffer so a burst of the swarm
	// is not dropped; -Z root: do not drop privileges before opening the
	// file; -n: no name lookups (no traffic of its own).
	c.cmd = exec.Command(bin, "-i", iface, "-n", "-s", "0", "-U", "--immediate-mode", "-B", "65536", "-Z", "root", "-w", file)
	c.cmd.Stderr = c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start tcpdump: %v", err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.stop()
		_ = os.Remove(file)
	})
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(c.stderr.String(), "listening on") {
		select {
		case <-c.done:
			t.Fatalf("tcpdump exited at start (%v): %s", c.err, c.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tcpdump not listening after 15s: %s", c.stderr.String())
		}
	}
	return c
}

// stop ends tcpdump (SIGINT: it flushes the file and prints its counts)
// and waits for it; SIGKILL if it does not go. Idempotent.
func (c *capture) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// counts is tcpdump's closing report (captured, received, dropped).
func (c *capture) counts() string {
	var out []string
	for _, l := range strings.Split(c.stderr.String(), "\n") {
		if strings.Contains(l, " packets ") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, ", ")
}

// dropped is the number of packets the kernel dropped, from tcpdump's
// closing counts; -1 if it did not say.
func (c *capture) dropped() int {
	m := regexp.MustCompile(`(\d+) packets? dropped by kernel`).FindStringSubmatch(c.stderr.String())
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// flow is one direction of a TCP connection, or a UDP port pair.
type flow struct {
	proto    byte // 6 TCP, 17 UDP
	src, dst netip.AddrPort
}

func (f flow) String() string {
	p := "tcp"
	if f.proto == 17 {
		p = "udp"
	}
	return fmt.Sprintf("%s %s > %s", p, f.src, f.dst)
}

// hasPort reports whether either end of f uses port.
func (f flow) hasPort(port uint16) bool { return f.src.Port() == port || f.dst.Port() == port }

type segment struct {
	seq  uint32
	data []byte
}

// pcapData is a parsed capture: raw holds the file's bytes, streams the
// reassembled payload of each TCP direction, datagrams each UDP payload.
type pcapData struct {
	raw       []byte
	frames    int
	streams   map[flow][]byte
	datagrams map[flow][][]byte
	other     [][]byte // frames that are not IPv4
}

// readPcap reads a classic pcap file of Ethernet frames (what tcpdump
// writes for a bridge) and reassembles its IPv4 TCP streams. A gap in a
// stream (a lost segment) is kept as a gap: bytes on both sides of it are
// not joined.
func readPcap(file string) (*pcapData, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(raw) < 24 {
		return nil, fmt.Errorf("%s: %d bytes, no pcap header", file, len(raw))
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(raw) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a pcap file (magic %x)", file, raw[:4])
	}
	if lt := bo.Uint32(raw[20:]); lt != 1 {
		return nil, fmt.Errorf("%s: link type %d, want 1 (Ethernet)", file, lt)
	}
	p := &pcapData{raw: raw, streams: map[flow][]byte{}, datagrams: map[flow][][]byte{}}
	segs := map[flow][]segment{}
	isn := map[flow]uint32{}
	for off := 24; off < len(raw); {
		if off+16 > len(raw) {
			return nil, fmt.Errorf("%s: truncated record header at %d", file, off)
		}
		n := int(bo.Uint32(raw[off+8:]))
		off += 16
		if off+n > len(raw) {
			return nil, fmt.Errorf("%s: truncated record at %d", file, off)
		}
		frame := raw[off : off+n]
		off += n
		p.frames++
		p.packet(frame, segs, isn)
	}
	for f, ss := range segs {
		p.streams[f] = reassemble(ss, isn[f])
	}
	return p, nil
}

// packet files one Ethernet frame's TCP or UDP payload under its flow.
func (p *pcapData) packet(frame []byte, segs map[flow][]segment, isn map[flow]uint32) {
	if len(frame) < 14 {
		return
	}
	etype, l3 := binary.BigEndian.Uint16(frame[12:]), frame[14:]
	for etype == 0x8100 && len(l3) >= 4 { // VLAN tag
		etype, l3 = binary.BigEndian.Uint16(l3[2:]), l3[4:]
	}
	if etype != 0x0800 || len(l3) < 20 || l3[0]>>4 != 4 {
		// The fleet is IPv4 only; ARP, IPv6 neighbour discovery and the like
		// are kept whole for searches that must cover everything.
		p.other = append(p.other, frame)
		return
	}
	ihl := int(l3[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(l3[2:]))
	if total == 0 || total > len(l3) { // 0: segmentation offload left it unset
		total = len(l3)
	}
	if ihl < 20 || ihl > total {
		return
	}
	src, _ := netip.AddrFromSlice(l3[12:16])
	dst, _ := netip.AddrFromSlice(l3[16:20])
	proto, l4 := l3[9], l3[ihl:total]
	switch proto {
	case 6:
		if len(l4) < 20 {
			return
		}
		doff := int(l4[12]>>4) * 4
		if doff < 20 || doff > len(l4) {
			return
		}
		f := flow{6, netip.AddrPortFrom(src, binary.BigEndian.Uint16(l4)), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(l4[2:]))}
		seq := binary.BigEndian.Uint32(l4[4:])
		if l4[13]&0x02 != 0 { // SYN: data starts at seq+1
			isn[f] = seq + 1
		}
		if data := l4[doff:]; len(data) > 0 {
			segs[f] = append(segs[f], segment{seq, data})
		}
	case 17:
		if len(l4) < 8 {
			return
		}
		f := flow{17, netip.AddrPortFrom(src, binary.BigEndian.Uint16(l4)), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(l4[2:]))}
		p.datagrams[f] = append(p.datagrams[f], l4[8:])
	}
}

// reassemble orders a direction's segments by sequence number (relative to
// the first data byte, base, or to the lowest segment if the SYN was not
// seen), dropping retransmitted bytes; at a gap it inserts a zero byte run
// of one byte so that no search matches across it.
func reassemble(ss []segment, base uint32) []byte {
	if base == 0 {
		// No SYN seen: the earliest segment in sequence space. Streams of
		// a test are far shorter than 2 GiB, so signed differences order them.
		base = ss[0].seq
		for _, s := range ss[1:] {
			if int32(s.seq-base) < 0 {
				base = s.seq
			}
		}
	}
	type rel struct {
		at   int64
		data []byte
	}
	rs := make([]rel, len(ss))
	for i, s := range ss {
		rs[i] = rel{int64(int32(s.seq - base)), s.data}
	}
	slices.SortStableFunc(rs, func(a, b rel) int { return int(a.at - b.at) })
	var out []byte
	var cur int64
	for _, r := range rs {
		end := r.at + int64(len(r.data))
		switch {
		case end <= cur:
			continue
		case r.at > cur:
			out = append(out, 0) // a gap: never match across it
			out = append(out, r.data...)
		default:
			out = append(out, r.data[cur-r.at:]...)
		}
		cur = end
	}
	return out
}

// dialIn opens a TCP connection to addr from inside h's network namespace:
// the socket is created on an OS thread switched into the namespace, so
// the connection comes from h's address over h's link, like any program of
// h. The thread is switched back before it is released (and left to die
// with its goroutine if that fails).
func dialIn(ctx context.Context, h *testfleet.Host, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		c, err := func() (net.Conn, error) {
			self, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				return nil, err
			}
			defer self.Close()
			target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", h.HolderPid()))
			if err != nil {
				runtime.UnlockOSThread()
				return nil, fmt.Errorf("host %s: %w", h.Name, err)
			}
			defer target.Close()
			if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
				runtime.UnlockOSThread()
				return nil, fmt.Errorf("host %s: setns: %w", h.Name, err)
			}
			var d net.Dialer
			c, derr := d.DialContext(ctx, "tcp4", addr)
			if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err == nil {
				runtime.UnlockOSThread()
			}
			return c, derr
		}()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// httpIn is an HTTP client whose connections start inside h's network
// namespace (see dialIn): h's view of the fleet, whatever the URL's host.
func httpIn(h *testfleet.Host) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			Proxy:             nil, // never a proxy: only the fleet is reachable
			// The tracker's certificate is self-signed, as BitTorrent
			// clients take it.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return dialIn(ctx, h, addr)
			},
		},
	}
}

// getIn GETs url from h with an optional bearer token and returns the
// status code and body.
func getIn(h *testfleet.Host, url, bearer string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := httpIn(h).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err == nil && resp.ContentLength > int64(len(body)) {
		err = errors.New("body cut short")
	}
	return resp.StatusCode, body, err
}
