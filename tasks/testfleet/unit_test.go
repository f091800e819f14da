package testfleet

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"100mbit", 100e6, true},
		{"10Gbit", 10e9, true},
		{"1.5gbit", 1.5e9, true},
		{"500kbit", 500e3, true},
		{"10mbps", 80e6, true},
		{"1000bit", 1000, true},
		{"", 0, false},
		{"fast", 0, false},
		{"0mbit", 0, false},
		{"-1mbit", 0, false},
		{"100", 0, false},
	}
	for _, tt := range tests {
		got, err := parseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestShapeCmds(t *testing.T) {
	cmds, err := shapeCmds("100mbit")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range cmds {
		lines = append(lines, strings.Join(c, " "))
	}
	want := []string{
		"qdisc add root handle 1: htb default 20",
		"class add parent 1: classid 1:1 htb rate 100000000bit ceil 100000000bit burst 131072 cburst 131072",
		"class add parent 1:1 classid 1:10 htb rate 10000000bit ceil 100000000bit burst 131072 cburst 131072 prio 0",
		"class add parent 1:1 classid 1:20 htb rate 100000000bit ceil 100000000bit burst 131072 cburst 131072 prio 1",
		"qdisc add parent 1:20 handle 20: bfifo limit 262144",
		"filter add parent 1: protocol ip prio 1 u32 match u16 0x0000 0xff80 at 2 flowid 1:10",
	}
	if got := strings.Join(lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("shapeCmds(100mbit):\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if cmds, _ := shapeCmds("10gbit"); !strings.Contains(strings.Join(cmds[1], " "), "burst 5000000") {
		t.Errorf("shapeCmds(10gbit) burst: %q, want 5000000 (4 ms)", cmds[1])
	}
	if _, err := shapeCmds("quick"); err == nil {
		t.Error("shapeCmds(quick): no error")
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		err  string
	}{
		{"defaults", Options{Hosts: 3}, ""},
		{"no hosts", Options{}, "hosts requested"},
		{"too many", Options{Hosts: MaxHosts + 1}, "hosts requested"},
		{"prefix digit", Options{Hosts: 1, Prefix: "mf1"}, "lowercase letters"},
		{"prefix long", Options{Hosts: 1, Prefix: "abcdefg"}, "lowercase letters"},
		{"bad rate", Options{Hosts: 1, Rate: "quick"}, "rate"},
		{"congestion reno", Options{Hosts: 1, Congestion: "reno"}, ""},
		{"unknown congestion", Options{Hosts: 1, Congestion: "warp9"}, `congestion control "warp9" is not available here`},
		{"workdir in tmp", Options{Hosts: 1, WorkDir: "/tmp/x"}, "under /tmp"},
		{"workdir tmp", Options{Hosts: 1, WorkDir: "/tmp"}, "under /tmp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.o.withDefaults()
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("got %v, want error containing %q", err, tt.err)
			}
		})
	}
}

// fakeTB records ForTest's verdict; Skip and Fatalf end the goroutine like
// the real ones.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestForTestUnavailable(t *testing.T) {
	tests := []struct {
		env                string
		wantSkip, wantFail bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.env)
			tb := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				ForTest(tb, 1, Options{SSHD: "/nonexistent/sshd"})
			}()
			<-done
			if (tb.skipped != "") != tt.wantSkip || (tb.failed != "") != tt.wantFail {
				t.Errorf("skipped %q, failed %q; want skip=%v fail=%v", tb.skipped, tb.failed, tt.wantSkip, tt.wantFail)
			}
			if msg := tb.skipped + tb.failed; !strings.Contains(msg, "/nonexistent/sshd") {
				t.Errorf("reason %q does not name the missing sshd", msg)
			}
		})
	}
}

func TestNeighBatch(t *testing.T) {
	gw, h1, h2 := netip.MustParseAddr("10.213.7.254"), netip.MustParseAddr("10.213.7.1"), netip.MustParseAddr("10.213.7.2")
	got := neighBatch("eth0", h1, []netip.Addr{gw, h1, h2})
	want := "neigh replace 10.213.7.254 lladdr 02:00:0a:d5:07:fe dev eth0 nud permanent\n" +
		"neigh replace 10.213.7.2 lladdr 02:00:0a:d5:07:02 dev eth0 nud permanent\n"
	if got != want {
		t.Errorf("neighBatch:\n%s\nwant\n%s", got, want)
	}
}

func TestCongestionError(t *testing.T) {
	available := []string{"reno", "bbr", "cubic"}
	tests := []struct {
		name, cc string
		allowed  []string
		err      string
	}{
		{"allowed", "cubic", []string{"reno", "bbr", "cubic"}, ""},
		{"missing", "warp9", []string{"reno"}, `"warp9" is not available here`},
		// a kernel built with bbr as its default lists only reno and bbr
		{"kept from namespaces", "cubic", []string{"reno", "bbr"},
			`"cubic" is available but network namespaces may not use it (/proc/sys/net/ipv4/tcp_allowed_congestion_control: reno bbr); allow it with: sysctl -w net.ipv4.tcp_allowed_congestion_control="reno bbr cubic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := congestionError(tt.cc, available, tt.allowed)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("got %v, want error containing %q", err, tt.err)
			}
		})
	}
}
