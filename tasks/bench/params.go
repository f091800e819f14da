package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/murderfleet/murder/internal/units"
	"github.com/murderfleet/murder/tasks/murder"
)

// Method names, as written in methods=.
const (
	Murder = "murder"
	SCP    = "scp"
	Aria2  = "aria2"
)

// methodOrder is the order in which methods run and are listed.
var methodOrder = []string{Murder, SCP, Aria2}

// Options configure Run. ParseWords fills them from the command line;
// Defaults gives the values used when a word is absent.
type Options struct {
	// Ns are the fleet sizes: receiving hosts, not counting the seeder.
	Ns []int
	// Size is the artifact's size in bytes (incompressible content).
	Size int64
	// Rate is the link rate in bits per second, both directions of every
	// host's link.
	Rate float64
	// CC is every host's TCP congestion control: a name, "" for the
	// machine's, or AutoCC.
	CC string
	// Reps is how often each (method, N) is measured.
	Reps int
	// Methods are the methods to measure, in methodOrder.
	Methods []string
	// SCPNs are the sizes at which scp runs: a central copy takes N*S/B,
	// so by default only the smallest N. Nil means every N.
	SCPNs []int
	// Out is the folder that receives a new <timestamp> folder of results
	// per run; "" means ./results (git-ignored).
	Out string
	// Timeout bounds one transfer; 0 means 3*N*S/B + 2 minutes.
	Timeout time.Duration
	// Plain runs murder with encrypt=0 (a plaintext archive and peer
	// connections), to measure what encryption costs.
	Plain bool
	// Clear runs murder with obfuscate=0: an encrypted archive over
	// unencrypted peer connections.
	Clear bool
	// Tuning are murder's tuning arguments as name=value words
	// (peer_connections=, seeder_connections=, piece_length=), passed to
	// every murder task.
	Tuning []string
	// Stdout receives progress lines and the table; nil discards them.
	Stdout io.Writer
}

// Defaults returns the options of a bare `go tool mage bench`. They finish
// in under 10 minutes on a shared 2-core machine, which moves only about
// 40-100 MB/s between all hosts together: every transfer there is bound
// by CPU, not by the links, well before 20 hosts of 100 Mbit/s.
func Defaults() Options {
	return Options{
		Ns:      []int{5, 10, 20},
		Size:    128 << 20,
		Rate:    100e6,
		CC:      AutoCC,
		Reps:    1,
		Methods: slices.Clone(methodOrder),
		SCPNs:   []int{5},
	}
}

// DefaultCC is the fleet's congestion control unless cc= says otherwise:
// most distributions' default. A machine's own (bbr on some images) would
// decide the figures by accident: under bbr a swarm's many flows overrun
// the links' queues, and every method loses far more there.
const DefaultCC = "cubic"

// AutoCC, the default Options.CC, means DefaultCC where the kernel lets
// network namespaces use it, else the machine's: a kernel built with
// another default keeps cubic from namespaces until the operator allows
// it, and a bench that refused to run there would help no one. Run says
// which it chose, and the results name the one in use.
const AutoCC = "auto"

// Usage documents the words ParseWords accepts.
const Usage = `name=value words (all optional):
  n=5,10,20         receiving hosts per fleet (plus a seeder and a tracker host)
  size=128MiB       artifact size: bytes, or KiB/MiB/GiB/TiB, kB/MB/GB/TB
  rate=100mbit      link rate, both directions: kbit/mbit/gbit/tbit, or kbps/mbps/gbps (bytes)
  cc=auto           every host's TCP congestion control: a name (cubic, bbr), system (the
                    machine's), or auto (cubic where network namespaces may use it, else the
                    machine's)
  reps=1            repetitions of each (method, n)
  methods=murder,scp,aria2
  scp_n=5           sizes at which scp runs (default: the smallest n; "all" for every n)
  out=results       results go to OUT/<timestamp>/ (default ./results)
  timeout=0         limit per transfer, a Go duration (default 3*n*size/rate + 2m)
  encrypt=1         murder's encrypt= (0: a plaintext archive and connections)
  obfuscate=1       murder's obfuscate= (0: the archive encrypted, the connections not)
  peer_connections=, seeder_connections=, piece_length=
                    murder's tuning arguments (default: the agent's)`

// ParseWords reads the name=value words of `go tool mage bench`, starting
// from Defaults. Unknown names are errors, never ignored.
func ParseWords(words []string) (Options, error) {
	o := Defaults()
	scp := ""
	nSet := false
	for _, w := range words {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			return o, fmt.Errorf("bench: %q is not a name=value word\n%s", w, Usage)
		}
		var err error
		switch name {
		case "n":
			o.Ns, err = parseInts(value, 1)
			nSet = true
		case "size":
			o.Size, err = ParseSize(value)
		case "rate":
			o.Rate, err = ParseRate(value)
		case "cc":
			o.CC, err = parseCC(value)
		case "reps":
			o.Reps, err = parseInt(value, 1)
		case "methods":
			o.Methods, err = parseMethods(value)
		case "scp_n":
			scp = value
		case "out":
			o.Out = value
		case "timeout":
			o.Timeout, err = time.ParseDuration(value)
		case "peer_connections", "seeder_connections", "piece_length":
			if err = murder.ValidateArg(name, value); err == nil {
				o.Tuning = append(o.Tuning, w)
			}
		case "encrypt", "obfuscate":
			switch value {
			case "0", "1":
				if name == "encrypt" {
					o.Plain = value == "0"
				} else {
					o.Clear = value == "0"
				}
			default:
				err = fmt.Errorf("want 0 or 1")
			}
		default:
			err = fmt.Errorf("unknown name\n%s", Usage)
		}
		if err != nil {
			return o, fmt.Errorf("bench: %s: %w", w, err)
		}
	}
	return o, o.setSCP(scp, nSet)
}

// parseCC reads cc=: a congestion control's name (the fleet checks that
// the kernel has it), "system" or "auto".
func parseCC(v string) (string, error) {
	switch v {
	case "system":
		return "", nil
	case AutoCC:
		return AutoCC, nil
	}
	if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "", fmt.Errorf("want a congestion control's name, like cubic or bbr, system or auto")
	}
	return v, nil
}

// murderArgs are the words every murder task gets beyond its own: the
// ones that change what is measured, recorded with the results.
func (o Options) murderArgs() []string {
	var words []string
	if o.Plain {
		words = append(words, "encrypt=0")
	}
	if o.Clear {
		words = append(words, "obfuscate=0")
	}
	return append(words, o.Tuning...)
}

// setSCP applies scp_n=: absent means the smallest n.
func (o *Options) setSCP(value string, nSet bool) error {
	switch {
	case value == "all":
		o.SCPNs = nil
	case value != "":
		ns, err := parseInts(value, 1)
		if err != nil {
			return fmt.Errorf("bench: scp_n=%s: %w", value, err)
		}
		o.SCPNs = ns
	case nSet:
		o.SCPNs = []int{slices.Min(o.Ns)}
	}
	return nil
}

// runsSCP reports whether scp runs at fleet size n.
func (o Options) runsSCP(n int) bool { return o.SCPNs == nil || slices.Contains(o.SCPNs, n) }

func parseInt(s string, least int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < least {
		return 0, fmt.Errorf("want a whole number >= %d", least)
	}
	return n, nil
}

// parseInts reads a comma-separated list, sorted and without repeats.
func parseInts(s string, least int) ([]int, error) {
	var ns []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := parseInt(strings.TrimSpace(f), least)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return slices.Compact(ns), nil
}

func parseMethods(s string) ([]string, error) {
	seen := map[string]bool{}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(methodOrder, f) {
			return nil, fmt.Errorf("unknown method %q, want some of %s", f, strings.Join(methodOrder, ","))
		}
		seen[f] = true
	}
	var ms []string
	for _, m := range methodOrder {
		if seen[m] {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// ParseSize reads a size in bytes: "256MiB", "1GiB", "500MB", "4096".
func ParseSize(s string) (int64, error) { return units.ParseSize(s) }

// ParseRate reads a tc(8) rate ("100mbit", "1gbit") in bits per second.
func ParseRate(s string) (float64, error) { return units.ParseRate(s) }

// tcRate writes bits per second as tc(8) reads them.
func tcRate(bits float64) string { return strconv.FormatInt(int64(bits), 10) + "bit" }

// FormatSize writes bytes with a binary unit when it is exact ("256MiB"),
// else as a plain number.
func FormatSize(n int64) string { return units.FormatSize(n) }

// FormatRate writes bits per second with the largest exact tc unit.
func FormatRate(bits float64) string { return units.FormatRate(bits) }
