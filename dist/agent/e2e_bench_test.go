package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSwarm measures a loopback swarm of one seeder and N peers
// distributing S bytes, for N in MURDER_BENCH_PEERS (default "4,10") and
// S = MURDER_BENCH_SIZE bytes (default 64 MiB), at piece lengths of 256 KiB,
// 1 MiB and 4 MiB. Tracker, torrent and seeder are set up outside the
// timer; the timer runs from the start of the peers to the last peer done,
// so ns/op is the wall time of one distribution. Metrics:
//
//   - MB/s: bytes delivered (N*S) per second of wall time;
//   - cpu-s/GB: CPU seconds (user+sys) of all agent processes per GB
//     delivered: the foreground `peer` commands (from their rusage), and
//     the detached peer workers, seeder and tracker (from /proc/PID/stat
//     while they still run, as they are not our children);
//   - host-cpu-s/GB: busy CPU time of the whole machine (/proc/stat) per GB
//     delivered; it also counts whatever else runs on the machine.
//
// go test -run XXX -bench Swarm -count 3 ./dist/agent/
func BenchmarkSwarm(b *testing.B) {
	size := int64(64 << 20)
	if v := os.Getenv("MURDER_BENCH_SIZE"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("MURDER_BENCH_SIZE=%q is not a positive byte count", v)
		}
		size = n
	}
	counts := []int{4, 10}
	if v := os.Getenv("MURDER_BENCH_PEERS"); v != "" {
		counts = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || n > 200 {
				b.Fatalf("MURDER_BENCH_PEERS=%q: want peer counts like 4,10", v)
			}
			counts = append(counts, n)
		}
	}
	for _, n := range counts {
		for _, pl := range []int64{256 << 10, 1 << 20, 4 << 20} {
			b.Run(fmt.Sprintf("peers=%d/piece=%dKiB", n, pl>>10), func(b *testing.B) {
				benchSwarm(b, size, n, pl)
			})
		}
	}
}

func benchSwarm(b *testing.B, size int64, n int, pieceLen int64) {
	b.StopTimer()
	s := newSwarm(b, size)
	s.startTracker(b)
	s.makeTorrent(b, "--piece-length", strconv.FormatInt(pieceLen, 10))
	s.startSeeder(b)
	var wall time.Duration
	var cpu, hostCPU float64
	for i := range b.N {
		w, c, h := benchRound(b, s, n, i)
		wall += w
		cpu += c
		hostCPU += h
	}
	gb := float64(b.N) * float64(n) * float64(size) / 1e9
	b.ReportMetric(gb*1e3/wall.Seconds(), "MB/s")
	b.ReportMetric(cpu/gb, "cpu-s/GB")
	b.ReportMetric(hostCPU/gb, "host-cpu-s/GB")
}

// benchRound runs one distribution to n fresh peers and returns its wall
// time, agent CPU seconds and host CPU seconds; the peers are stopped and
// their files removed afterwards.
func benchRound(b *testing.B, s *swarm, n, round int) (time.Duration, float64, float64) {
	daemons := []string{filepath.Join(s.run, "tracker.pid"), filepath.Join(s.run, "seeder-data.bin.pid")}
	daemonCPU0 := pidFilesCPU(b, daemons)
	peers := make([]*peer, n)
	for i := range peers {
		d := filepath.Join(s.dir, fmt.Sprintf("round%d", round), fmt.Sprintf("peer%02d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		peers[i] = &peer{n: i, run: runDir(b, d, "run"), dest: filepath.Join(d, "data.bin")}
	}
	host0 := hostBusy(b)
	b.StartTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() { s.download(b, p, 5*time.Minute, "--seed-time", "5m") })
	}
	wg.Wait()
	wall := time.Since(start)
	b.StopTimer()
	host := hostBusy(b) - host0
	cpu := pidFilesCPU(b, daemons) - daemonCPU0
	for _, p := range peers {
		if p.res.code != 0 {
			b.Fatalf("peer %d: %s", p.n, p.res)
		}
		cpu += pidFilesCPU(b, []string{p.pidFile()})
		if ps := p.res.cmd.ProcessState; ps != nil {
			cpu += (ps.UserTime() + ps.SystemTime()).Seconds()
		}
	}
	for _, p := range peers {
		sameFile(b, s.data, p.dest)
		stopRunDir(b, p.run)
	}
	if err := os.RemoveAll(filepath.Join(s.dir, fmt.Sprintf("round%d", round))); err != nil {
		b.Fatal(err)
	}
	return wall, cpu, host
}

// clockTicks is USER_HZ, the unit of /proc CPU times: 100 on Linux.
const clockTicks = 100

// pidFilesCPU sums utime+stime of the running processes named by pid files.
func pidFilesCPU(b *testing.B, paths []string) float64 {
	var sum float64
	for _, p := range paths {
		pid, start, err := readPid(p)
		if err != nil || !running(pid, start) {
			b.Fatalf("no running process for %s: %v", p, err)
		}
		f, err := procFields(pid)
		if err != nil {
			b.Fatal(err)
		}
		// Fields 14 and 15 of proc(5); f[0] is field 3.
		for _, v := range f[11:13] {
			ticks, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			sum += float64(ticks) / clockTicks
		}
	}
	return sum
}

// hostBusy returns the machine's non-idle CPU seconds since boot.
func hostBusy(b *testing.B) float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		b.Fatalf("unexpected /proc/stat line %q", line)
	}
	var busy uint64
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return float64(busy) / clockTicks
}
