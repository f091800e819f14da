package agent

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkInProcessSwarm moves S bytes from one seeder to N peers, all
// anacrolix clients in this process on loopback, with murder's settings,
// over plain TCP and over the transfer's TLS (--require-encryption). One
// process makes `go test -cpuprofile` show where a swarm's CPU goes
// (hashing, request bookkeeping, TLS, copies) without the process
// boundaries of BenchmarkSwarm; cpu-ns/B is the process's CPU time per
// byte delivered:
//
//	go test -run XXX -bench InProcessSwarm -cpuprofile cpu.out ./dist/agent
func BenchmarkInProcessSwarm(b *testing.B) {
	b.Run("tcp", func(b *testing.B) { benchInProcessSwarm(b, false) })
	b.Run("tls", func(b *testing.B) { benchInProcessSwarm(b, true) })
}

func benchInProcessSwarm(b *testing.B, encrypt bool) {
	const size, peers = 64 << 20, 3
	s := newInProcess(b, size, encrypt, nil)
	b.SetBytes(size * peers)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		dir := filepath.Join("p", string(rune('a'+i%26)))
		cls := s.download(dir, peers, nil, nil)
		b.StopTimer()
		for _, cl := range cls {
			cl.Close()
		}
		os.RemoveAll(filepath.Join(s.dir, dir))
		b.StartTimer()
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(int64(b.N)*size*peers), "cpu-ns/B")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
