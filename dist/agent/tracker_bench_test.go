package agent_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTrackerOneCore runs the agent's tracker as its own process on
// one core (GOMAXPROCS=1, and taskset where there is one) with a swarm of
// 10,000 peers, and re-announces to it over https from this process on the
// other cores: on kept-alive connections, as the agent's announcer does,
// and with a connection (a TLS handshake) per announce, as anacrolix's
// does. It reports announces per second, the tracker's CPU per announce,
// and what that makes on one core:
//
//	go test -run XXX -bench TrackerOneCore -benchtime 20000x ./dist/agent
func BenchmarkTrackerOneCore(b *testing.B) {
	for _, keep := range []bool{true, false} {
		b.Run(fmt.Sprintf("keepalive=%v", keep), func(b *testing.B) { benchTrackerOneCore(b, keep) })
	}
}

func benchTrackerOneCore(b *testing.B, keepAlive bool) {
	port := freePort(b)
	args := []string{agentBin, "tracker", "--port", strconv.Itoa(port), "--run-dir", b.TempDir(), "--allow-all",
		"--max-peers-per-swarm", "20000"}
	if ts, err := exec.LookPath("taskset"); err == nil {
		args = append([]string{ts, "-c", "0"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "https://127.0.0.1:" + strconv.Itoa(port)
	waitListening(b, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	keep := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the tracker's own self-signed certificate
	targets := announceTargets(10000)
	announceAll(b, keep, base, targets, len(targets)) // the swarm
	cl := keep
	if !keepAlive {
		cl = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	cpu0 := procCPU(b, cmd.Process.Pid)
	b.ResetTimer()
	start := time.Now()
	announceAll(b, cl, base, targets, b.N)
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := procCPU(b, cmd.Process.Pid) - cpu0
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "announces/s")
	perAnnounce := float64(cpu.Microseconds()) / float64(b.N)
	b.ReportMetric(perAnnounce, "tracker-cpu-µs/announce")
	if perAnnounce > 0 {
		b.ReportMetric(1e6/perAnnounce, "announces/s/core")
	}
}

// announceTargets are the announce paths of n peers of one swarm, half of
// them seeds, each asking for 50 compact peers.
func announceTargets(n int) []string {
	ih := strings.Repeat("\x42", 20)
	out := make([]string, n)
	for i := range out {
		q := url.Values{}
		q.Set("info_hash", ih)
		q.Set("peer_id", fmt.Sprintf("-MP0001-%012d", i))
		q.Set("port", "6881")
		q.Set("left", strconv.Itoa(i%2))
		q.Set("uploaded", "0")
		q.Set("downloaded", "0")
		q.Set("compact", "1")
		q.Set("numwant", "50")
		q.Set("ip", fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255+1))
		out[i] = "/announce?" + q.Encode()
	}
	return out
}

// announceAll sends n announces, cycling through targets, from 64
// goroutines.
func announceAll(b *testing.B, cl *http.Client, base string, targets []string, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				resp, err := cl.Get(base + targets[i%len(targets)])
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("announce: %s", resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
}

// procCPU is the CPU time process pid has used, from /proc (clock ticks
// of 10 ms: a run of a few seconds measures it to a percent or so).
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command's ")" start with the state (field 3);
	// utime and stime are fields 14 and 15.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
