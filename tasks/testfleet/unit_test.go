package testfleet

import (
	"fmt"
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

func TestTBFArgs(t *testing.T) {
	tests := []struct {
		rate, want string
	}{
		{"100mbit", "root tbf rate 100000000bit burst 131072 latency 20ms"},
		{"10gbit", "root tbf rate 10000000000bit burst 5000000 latency 20ms"},
	}
	for _, tt := range tests {
		args, err := tbfArgs(tt.rate)
		if got := strings.Join(args, " "); err != nil || got != tt.want {
			t.Errorf("tbfArgs(%q) = %q, %v; want %q", tt.rate, got, err, tt.want)
		}
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
