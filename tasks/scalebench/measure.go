package scalebench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// What the bench measures of the controller's own process, beside wall
// and CPU time: profiles, runtime maxima and peak RSS.

// profileStep starts profiling s into directory profile when s is
// profiled (profile empty: none), and returns what stops it.
func profileStep(o Options, s step, n int, profile string) func() {
	if profile == "" || !s.profile {
		return func() {}
	}
	base := filepath.Join(profile, fmt.Sprintf("%s-%d", strings.TrimPrefix(s.task, "murder:"), n))
	heapAt := time.Duration(0)
	if s.task == "murder:peer" {
		heapAt = o.SwarmTime() / 2
	}
	return startProfile(base, heapAt)
}

// startProfile CPU-profiles into base.cpu.pprof until the returned func
// is called, samples mutex contention into base.mutex.pprof and, after
// heapAt (0: at the end), takes a heap profile into base.heap.pprof.
func startProfile(base string, heapAt time.Duration) func() {
	f, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	runtime.SetMutexProfileFraction(20)
	writeHeap := func() {
		if hf, err := os.Create(base + ".heap.pprof"); err == nil {
			_ = pprof.Lookup("heap").WriteTo(hf, 0)
			hf.Close()
		}
	}
	var heap *time.Timer
	if heapAt > 0 {
		heap = time.AfterFunc(heapAt, writeHeap)
	}
	return func() {
		if heap == nil {
			writeHeap()
		} else {
			heap.Stop()
		}
		pprof.StopCPUProfile()
		f.Close()
		if mf, err := os.Create(base + ".mutex.pprof"); err == nil {
			_ = pprof.Lookup("mutex").WriteTo(mf, 0)
			mf.Close()
		}
		runtime.SetMutexProfileFraction(0)
	}
}

// sampleRuntime records the maxima of the goroutine count, the goroutine
// stacks and the heap objects into row until the returned func is called.
func sampleRuntime(row *Row) func() {
	samples := []metrics.Sample{{Name: "/sched/goroutines:goroutines"}, {Name: "/memory/classes/heap/stacks:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	take := func() {
		metrics.Read(samples)
		var v [3]int64
		for i, s := range samples {
			if s.Value.Kind() == metrics.KindUint64 {
				v[i] = int64(s.Value.Uint64())
			}
		}
		row.MaxGoroutines = max(row.MaxGoroutines, v[0])
		row.MaxStacksMiB = max(row.MaxStacksMiB, float64(v[1])/(1<<20))
		row.MaxHeapMiB = max(row.MaxHeapMiB, float64(v[2])/(1<<20))
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			take()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(stop); <-done }
}

// resetPeakRSS starts VmHWM again from the current RSS (Linux 4.0+).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is VmHWM in bytes, 0 if unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
