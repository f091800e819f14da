package scalebench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// The simulated fleet runs in a process of its own (package
// scalebench/simfleet), so that the bench's getrusage, peak RSS and CPU
// profile see the controller alone. The bench talks to it on its stdin
// and stdout, one line each way:
//
//	(fleet)  ready N            listening on N addresses
//	stats    -> {Counters JSON} the counters, then reset
//	cpu      -> {"cpu_s": F}    the fleet process's CPU seconds so far
//	(EOF)                       exit

// HostIP is the loopback address of simulated host k (0: the tracker and
// seeder, 1..N: the peers): 127.1.0.1, 127.1.0.2, ... 127.1.0.250,
// 127.1.1.1, ...
func HostIP(k int) string { return fmt.Sprintf("127.1.%d.%d", k/250, k%250+1) }

// FleetMain is the simulated fleet process: it parses args, listens and
// answers the bench's requests until its stdin ends.
func FleetMain(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("simfleet", flag.ContinueOnError)
	from := fs.Int("from", 0, "first host: listen on HostIP(from..to-1)")
	to := fs.Int("to", 1, "end of the hosts")
	port := fs.Int("port", 2222, "port on every address")
	hostKey := fs.String("hostkey", "", "host private key (OpenSSH PEM), shared by every host")
	clientPub := fs.String("clientpub", "", "the client's public key (authorized_keys line)")
	size := fs.Int64("size", 256<<20, "archive size in bytes")
	rate := fs.Float64("rate", 12.5e6, "each peer's download rate, bytes/s")
	extract := fs.Duration("extract", 200*time.Millisecond, "how long extract takes")
	uid := fs.String("uid", "1000", "uid the facts report")
	agentFetch := fs.Duration("agent-fetch", 0, "how long a host takes to fetch the agent from another")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := RaiseNoFile(); err != nil {
		return err
	}
	kb, err := os.ReadFile(*hostKey)
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(kb)
	if err != nil {
		return err
	}
	pb, err := os.ReadFile(*clientPub)
	if err != nil {
		return err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pb)
	if err != nil {
		return err
	}
	var ips []string
	for k := *from; k < *to; k++ {
		ips = append(ips, HostIP(k))
	}
	f, err := StartFleet(context.Background(), ips, *port, signer, pub.Marshal(), Model{Size: *size, Rate: *rate, ExtractDelay: *extract, UID: *uid, AgentFetch: *agentFetch})
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "ready %d\n", len(ips))
	_ = w.Flush()
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "stats":
			b, _ := json.Marshal(f.Snapshot(true))
			w.Write(append(b, '\n'))
		case "cpu":
			fmt.Fprintf(w, "{\"cpu_s\": %f}\n", SelfCPU().Seconds())
		default:
			fmt.Fprintln(w, "{}")
		}
		_ = w.Flush()
	}
	return nil
}

// ShardHosts is the most hosts one simfleet process serves: each needs a
// listener and a connection, and the open-files limit may be stuck at a
// hard 20,000 (a container's), so larger fleets take several processes.
const ShardHosts = 5000

// RaiseNoFile raises the open-file limit to what 10,000 hosts need (a
// listener and a connection each on the fleet's side): the hard limit
// too, where the process may (root).
func RaiseNoFile() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	const want = 1 << 16
	if l.Cur >= want {
		return nil
	}
	if l.Max < want {
		l2 := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l2) == nil {
			return nil
		}
	}
	l.Cur = min(want, l.Max)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

// SelfCPU is this process's user plus system CPU time.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
