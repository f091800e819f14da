package scalebench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"
)

// fleetProc is a running simfleet process, serving a shard of the hosts.
type fleetProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// simFleet is what runSize needs of the simulated fleet: the processes
// (fleet) or, in tests, a Fleet in the test's own process.
type simFleet interface {
	stats() (Counters, error)
	cpu() float64
	stop()
}

// fleet is the simulated fleet: simfleet processes of at most ShardHosts
// hosts each.
type fleet []*fleetProc

func startFleet(ctx context.Context, o Options, bin string, hosts int, keys keyFiles, stderr io.Writer) (simFleet, error) {
	var f fleet
	for from := 0; from < hosts; from += ShardHosts {
		p, err := startShard(ctx, o, bin, from, min(from+ShardHosts, hosts), keys, stderr)
		if err != nil {
			f.stop()
			return nil, err
		}
		f = append(f, p)
	}
	return f, nil
}

func startShard(ctx context.Context, o Options, bin string, from, to int, keys keyFiles, stderr io.Writer) (*fleetProc, error) {
	rate := o.RateBits / 8
	cmd := exec.CommandContext(ctx, bin, "-from", strconv.Itoa(from), "-to", strconv.Itoa(to), "-port", strconv.Itoa(o.Port),
		"-hostkey", keys.hostKey, "-clientpub", keys.clientPub, "-size", strconv.FormatInt(o.Size, 10),
		"-rate", strconv.FormatFloat(rate, 'f', -1, 64), "-extract", o.Extract.String(), "-uid", strconv.Itoa(os.Getuid()),
		"-agent-fetch", time.Duration(float64(o.RealAgent)/rate*float64(time.Second)).String())
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &fleetProc{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := f.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		f.stop()
		return nil, fmt.Errorf("simfleet did not start (%q, %v): see tasks.log", line, err)
	}
	return f, nil
}

func (f *fleetProc) ask(req string, v any) error {
	if _, err := io.WriteString(f.in, req+"\n"); err != nil {
		return err
	}
	line, err := f.out.ReadString('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(line), v)
}

// stats sums the shards' counters (and resets them); phases span the
// shards' first and last answers.
func (f fleet) stats() (Counters, error) {
	sum := Counters{Kinds: map[string]int64{}, First: map[string]int64{}, Last: map[string]int64{}}
	for _, p := range f {
		var c Counters
		if err := p.ask("stats", &c); err != nil {
			return sum, err
		}
		sum.Conns += c.Conns
		sum.Sessions += c.Sessions
		sum.Execs += c.Execs
		sum.SFTP += c.SFTP
		sum.RxBytes += c.RxBytes
		sum.TxBytes += c.TxBytes
		sum.PutBytes += c.PutBytes
		for k, n := range c.Kinds {
			sum.Kinds[k] += n
			if first, ok := sum.First[k]; !ok || c.First[k] < first {
				sum.First[k] = c.First[k]
			}
			sum.Last[k] = max(sum.Last[k], c.Last[k])
		}
	}
	return sum, nil
}

// cpu is the shards' CPU seconds so far.
func (f fleet) cpu() float64 {
	total := 0.0
	for _, p := range f {
		var v struct {
			CPU float64 `json:"cpu_s"`
		}
		_ = p.ask("cpu", &v)
		total += v.CPU
	}
	return total
}

func (f fleet) stop() {
	for _, p := range f {
		p.stop()
	}
}

func (f *fleetProc) stop() {
	_ = f.in.Close()
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// config writes murder.yaml for a fleet of n peers: 127.1.0.1 is the
// tracker and the seeder, HostIP(1..n) the peers; and known_hosts naming
// every address with the shared host key.
func config(o Options, dir string, n int, keys keyFiles) (string, error) {
	var kh, y strings.Builder
	port := strconv.Itoa(o.Port)
	for k := 0; k <= n; k++ {
		kh.WriteString(knownhosts.Line([]string{knownhosts.Normalize(HostIP(k) + ":" + port)}, keys.hostPub))
		kh.WriteByte('\n')
	}
	khPath := filepath.Join(dir, fmt.Sprintf("known_hosts-%d", n))
	if err := os.WriteFile(khPath, []byte(kh.String()), 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(&y, "set:\n  tracker_port: 8998\n  default_temp_path: %q\n  remote_murder_path: /srv/murder-sim\n", filepath.Join(dir, "local"))
	checking := "strict"
	if o.HostKeysOff {
		// The experiment that prices known_hosts: no file, no checking.
		khPath, checking = filepath.Join(dir, "no-known-hosts"), "off"
	}
	fmt.Fprintf(&y, "ssh:\n  user: sim\n  port: %d\n  identity_files: [%q]\n  known_hosts: %q\n  host_key_checking: %s\n  max_hosts: %d\n",
		o.Port, keys.clientKey, khPath, checking, o.MaxHosts)
	if o.SSHTimeout > 0 {
		fmt.Fprintf(&y, "  timeout: %s\n", o.SSHTimeout)
	}
	fmt.Fprintf(&y, "roles:\n  tracker: [%s]\n  seeder: [%s]\n  peer:\n", HostIP(0), HostIP(0))
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&y, "    - %s\n", HostIP(k))
	}
	p := filepath.Join(dir, fmt.Sprintf("murder-%d.yaml", n))
	return p, os.WriteFile(p, []byte(y.String()), 0o644)
}
