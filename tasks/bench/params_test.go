package bench

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "256MiB", want: 256 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "1.5GiB", want: 3 << 29},
		{in: "64mib", want: 64 << 20},
		{in: "4KiB", want: 4096},
		{in: "500MB", want: 500e6},
		{in: "2GB", want: 2e9},
		{in: "1TiB", want: 1 << 40},
		{in: "4096", want: 4096},
		{in: "100B", want: 100},
		{in: "100mbit", bad: true},
		{in: "0", bad: true},
		{in: "-1MiB", bad: true},
		{in: "0.5B", bad: true},
		{in: "MiB", bad: true},
		{in: "12XiB", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		bad  bool
	}{
		{in: "100mbit", want: 100e6},
		{in: "1gbit", want: 1e9},
		{in: "1Gbit", want: 1e9},
		{in: "2.5gbit", want: 2.5e9},
		{in: "500kbit", want: 500e3},
		{in: "10mbps", want: 80e6},
		{in: "1000000bit", want: 1e6},
		{in: "100", bad: true},
		{in: "100MiB", bad: true},
		{in: "1bit", bad: true},
		{in: "fastmbit", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseRate(%q) = %g, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %g, %v; want %g", tt.in, got, err, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{256 << 20: "256MiB", 1 << 30: "1GiB", 3 << 29: "1536MiB", 1000: "1000B", 4096: "4KiB"} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{100e6: "100mbit", 1e9: "1gbit", 2.5e9: "2500mbit", 1234: "1234bit"} {
		if got := FormatRate(in); got != want {
			t.Errorf("FormatRate(%g) = %q, want %q", in, got, want)
		}
	}
}

func TestParseWords(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		check func(o Options) bool
		err   string
	}{
		{name: "defaults", check: func(o Options) bool { return reflect.DeepEqual(o, Defaults()) }},
		{
			name:  "issue example",
			words: []string{"n=10,20,40", "size=256MiB", "rate=100mbit", "reps=3", "methods=murder,scp,aria2", "out=results/"},
			check: func(o Options) bool {
				return reflect.DeepEqual(o.Ns, []int{10, 20, 40}) && o.Size == 256<<20 && o.Rate == 100e6 &&
					o.Reps == 3 && len(o.Methods) == 3 && o.Out == "results/" && reflect.DeepEqual(o.SCPNs, []int{10})
			},
		},
		{
			name:  "n sorted, scp at the smallest",
			words: []string{"n=8,4,8"},
			check: func(o Options) bool {
				return reflect.DeepEqual(o.Ns, []int{4, 8}) && reflect.DeepEqual(o.SCPNs, []int{4})
			},
		},
		{
			name:  "scp everywhere",
			words: []string{"n=4,8", "scp_n=all"},
			check: func(o Options) bool { return o.SCPNs == nil && o.runsSCP(8) },
		},
		{
			name:  "methods in canonical order",
			words: []string{"methods=aria2,murder", "timeout=5m"},
			check: func(o Options) bool {
				return reflect.DeepEqual(o.Methods, []string{Murder, Aria2}) && o.Timeout == 5*time.Minute
			},
		},
		{name: "cubic where namespaces may use it by default", check: func(o Options) bool { return o.CC == AutoCC }},
		{name: "cc auto", words: []string{"cc=auto"}, check: func(o Options) bool { return o.CC == AutoCC }},
		{name: "cc bbr", words: []string{"cc=bbr"}, check: func(o Options) bool { return o.CC == "bbr" }},
		{name: "cc of the machine", words: []string{"cc=system"}, check: func(o Options) bool { return o.CC == "" }},
		{name: "bad cc", words: []string{"cc=cubic;reboot"}, err: "congestion control"},
		{name: "tuning", words: []string{"peer_connections=10", "piece_length=256KiB", "encrypt=0"}, check: func(o Options) bool {
			return reflect.DeepEqual(o.murderArgs(), []string{"encrypt=0", "peer_connections=10", "piece_length=256KiB"})
		}},
		{name: "bad tuning", words: []string{"seeder_connections=0"}, err: "seeder_connections=0: want a whole number"},
		{name: "unknown name", words: []string{"sizee=1GiB"}, err: "unknown name"},
		{name: "not a word", words: []string{"fast"}, err: "not a name=value"},
		{name: "bad method", words: []string{"methods=rsync"}, err: `unknown method "rsync"`},
		{name: "zero n", words: []string{"n=0,4"}, err: ">= 1"},
		{name: "bad size", words: []string{"size=big"}, err: "size"},
		{name: "bad reps", words: []string{"reps=0"}, err: "reps=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseWords(tt.words)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Errorf("options %+v are not as expected", o)
			}
		})
	}
}

func TestResolveCC(t *testing.T) {
	var out strings.Builder
	for _, cc := range []string{"", "bbr"} {
		if got := resolveCC(cc, &out); got != cc {
			t.Errorf("resolveCC(%q) = %q, want it unchanged", cc, got)
		}
	}
	// auto depends on this kernel: cubic where namespaces may use it,
	// else the machine's, said on out.
	got := resolveCC(AutoCC, &out)
	if usable := testfleet.CheckCongestion(DefaultCC) == nil; usable && got != DefaultCC || !usable && (got != "" || !strings.Contains(out.String(), "keep the machine's")) {
		t.Errorf("resolveCC(auto) = %q (said %q)", got, out.String())
	}
}
