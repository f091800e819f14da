package scalebench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/murderfleet/murder/tasks/bench"
)

// Usage lists the words of `go tool mage scalebench`.
const Usage = `words (all optional):
  hosts=100,1000      peer counts to run, each with one more host (tracker and seeder)
  size=256MiB         the archive's size (the swarm's time is size/rate)
  rate=100mbit        each simulated peer's download rate (tc units)
  agent_size=64KiB    the fake agent distribute_files uploads (the real one: real_agent)
  real_agent=13.4MB   the real agent's size (linux/amd64, as distribute_files builds it), for the bytes a real run would send
  max_hosts=100       murder.yaml's ssh.max_hosts
  ssh_timeout=10s     murder.yaml's ssh.timeout (default: murder's, 10s)
  hostkeys=strict     off: no known_hosts and host_key_checking off (an experiment
                      pricing the known_hosts lookups; never for real hosts)
  extract=200ms       how long a simulated extract takes
  port=2222           the port every simulated host listens on
  tasks=peer,...      run only these tasks of the sequence (default: all; peer needs create_torrent)
  profile=1           CPU, heap and mutex profiles of distribute_files, peer and
                      clean_temp_files at the largest hosts= (0: off)
  rerender=DIR        render DIR's results.json again (table, Markdown, plot), run nothing
  out=results         results go to OUT/scale-<timestamp>/`

// Options configure a scale bench run.
type Options struct {
	Hosts      []int
	Size       int64
	RateBits   float64
	AgentSize  int64
	RealAgent  int64
	MaxHosts   int
	Extract    time.Duration
	Port       int
	Profile    bool
	SSHTimeout time.Duration // murder.yaml's ssh.timeout; 0: murder's default (10s)
	// HostKeysOff runs with no known_hosts file and host_key_checking
	// off: an experiment that measures what the known_hosts lookups cost.
	HostKeysOff bool
	Rerender    string   // a results folder to render again from its results.json, running nothing
	Tasks       []string // the tasks of the sequence to run; nil: all
	Out         string
	GoCmd       string // go command to build the fleet; default "go"
	Stdout      func(format string, a ...any)
	TaskOutput  string // "" : a log file in the results folder
}

// Defaults are the options with no words.
func Defaults() Options {
	return Options{Hosts: []int{100, 1000}, Size: 256 << 20, RateBits: 100e6, AgentSize: 64 << 10, RealAgent: 13.4e6,
		MaxHosts: 100, Extract: 200 * time.Millisecond, Port: 2222, Profile: true, Out: "results"}
}

// MaxPeers is the largest hosts= value: the addresses 127.1.0.1 onwards
// stay below 127.1.255.x.
const MaxPeers = 60000

// ParseWords reads the target's name=value words.
func ParseWords(words []string) (Options, error) {
	o := Defaults()
	for _, w := range words {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			return o, fmt.Errorf("scalebench: %q is not a name=value word\n%s", w, Usage)
		}
		var err error
		switch name {
		case "hosts", "n":
			o.Hosts, err = parseInts(value)
		case "size":
			o.Size, err = bench.ParseSize(value)
		case "rate":
			o.RateBits, err = bench.ParseRate(value)
		case "agent_size":
			o.AgentSize, err = bench.ParseSize(value)
		case "real_agent":
			o.RealAgent, err = bench.ParseSize(value)
		case "max_hosts":
			o.MaxHosts, err = strconv.Atoi(value)
			if err == nil && o.MaxHosts < 1 {
				err = fmt.Errorf("want >= 1")
			}
		case "hostkeys":
			switch value {
			case "strict":
				o.HostKeysOff = false
			case "off":
				o.HostKeysOff = true
			default:
				err = fmt.Errorf("want strict or off")
			}
		case "ssh_timeout":
			o.SSHTimeout, err = time.ParseDuration(value)
		case "extract":
			o.Extract, err = time.ParseDuration(value)
		case "port":
			o.Port, err = strconv.Atoi(value)
			if err == nil && (o.Port < 1 || o.Port > 65535) {
				err = fmt.Errorf("want 1..65535")
			}
		case "profile":
			o.Profile = value != "0" && value != "false" && value != "off"
		case "out":
			o.Out = value
		case "rerender":
			o.Rerender = value
		case "tasks":
			for _, t := range strings.Split(value, ",") {
				if !strings.HasPrefix(t, "murder:") {
					t = "murder:" + t
				}
				if !slices.ContainsFunc(sequence, func(s step) bool { return s.task == t }) {
					err = fmt.Errorf("%s is not in the sequence", t)
				}
				o.Tasks = append(o.Tasks, t)
			}
		default:
			err = fmt.Errorf("unknown name\n%s", Usage)
		}
		if err != nil {
			return o, fmt.Errorf("scalebench: %s: %w", w, err)
		}
	}
	return o, nil
}

func parseInts(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > MaxPeers {
			return nil, fmt.Errorf("%q: want whole numbers 1..%d", f, MaxPeers)
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return slices.Compact(ns), nil
}

// SwarmTime is the model's swarm time: size over each peer's rate.
func (o Options) SwarmTime() time.Duration {
	return time.Duration(float64(o.Size) / (o.RateBits / 8) * float64(time.Second))
}
