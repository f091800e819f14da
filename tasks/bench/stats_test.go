package bench

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5, 5, 1, 9, 7}, 5},
	}
	for _, tt := range tests {
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %g, want %g", tt.in, got, tt.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100..1, unsorted
	}
	tests := []struct {
		in   []float64
		p    float64
		want float64
	}{
		{hundred, 50, 50},
		{hundred, 99, 99},
		{hundred, 100, 100},
		{hundred, 1, 1},
		{[]float64{4, 2, 3, 1}, 50, 2},
		{[]float64{4, 2, 3, 1}, 99, 4},
		{[]float64{7}, 50, 7},
		{[]float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 99, 100},
		{[]float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 50, 50},
	}
	for _, tt := range tests {
		if got := Percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %g) = %g, want %g", tt.in, tt.p, got, tt.want)
		}
	}
	for _, p := range []float64{0, 101} {
		if !math.IsNaN(Percentile(hundred, p)) {
			t.Errorf("Percentile(p=%g) is not NaN", p)
		}
	}
}

func TestEfficiency(t *testing.T) {
	limit := Limit(256<<20, 100e6)
	if math.Abs(limit-21.47483648) > 1e-9 {
		t.Errorf("Limit(256MiB, 100mbit) = %g, want 21.47483648", limit)
	}
	if got := Limit(1e9, 1e9); got != 8 {
		t.Errorf("Limit(1GB, 1gbit) = %g, want 8", got)
	}
	tests := []struct{ limit, makespan, want float64 }{
		{10, 10, 1},
		{10, 20, 0.5},
		{10, 40, 0.25},
		{10, 0, 0},
	}
	for _, tt := range tests {
		if got := Efficiency(tt.limit, tt.makespan); got != tt.want {
			t.Errorf("Efficiency(%g, %g) = %g, want %g", tt.limit, tt.makespan, got, tt.want)
		}
	}
	// 10 hosts of 100 MB each is 1 GB: 12 CPU-seconds are 12 per GB.
	if got := CPUPerGB(12, 10, 100e6); got != 12 {
		t.Errorf("CPUPerGB = %g, want 12", got)
	}
}

func TestSummarize(t *testing.T) {
	const size = 100e6 // 100 MB at 100 mbit: limit 8 s
	trials := []Trial{
		{Method: Aria2, N: 2, Rep: 1, Makespan: 20, HostSeconds: []float64{18, 20}, SeederTxBytes: 150e6, CPUSeconds: 4},
		{Method: Murder, N: 4, Rep: 1, Makespan: 10, HostSeconds: []float64{9, 9, 10, 10}, SeederTxBytes: 110e6, CPUSeconds: 8},
		{Method: Murder, N: 2, Rep: 1, Makespan: 9, HostSeconds: []float64{8, 9}, SeederTxBytes: 105e6, ReceivedBytes: []int64{104e6, 110e6}, CPUSeconds: 2},
		{Method: Murder, N: 2, Rep: 2, Makespan: 11, HostSeconds: []float64{10, 11}, SeederTxBytes: 115e6, ReceivedBytes: []int64{106e6, 120e6}, CPUSeconds: 4},
		{Method: Murder, N: 2, Rep: 3, Error: "host h02: boom"},
		{Method: SCP, N: 2, Rep: 1, Error: "scp failed"},
	}
	rows := Summarize(trials, size, 100e6)
	want := []Row{
		{Method: Murder, N: 2, OK: 2, Failed: 1, Makespan: 10, Efficiency: 0.8, SeederRatio: 1.1, ReceivedRatio: 1.08, CPUPerGB: 15, P50: 9, P99: 11},
		{Method: Murder, N: 4, OK: 1, Makespan: 10, Efficiency: 0.8, SeederRatio: 1.1, CPUPerGB: 20, P50: 9, P99: 10},
		{Method: SCP, N: 2, Failed: 1},
		{Method: Aria2, N: 2, OK: 1, Makespan: 20, Efficiency: 0.4, SeederRatio: 1.5, CPUPerGB: 20, P50: 18, P99: 20},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i := range want {
		if !closeRows(rows[i], want[i]) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, rows[i], want[i])
		}
	}
}

func closeRows(a, b Row) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Method == b.Method && a.N == b.N && a.OK == b.OK && a.Failed == b.Failed &&
		near(a.Makespan, b.Makespan) && near(a.Efficiency, b.Efficiency) && near(a.SeederRatio, b.SeederRatio) && near(a.ReceivedRatio, b.ReceivedRatio) &&
		near(a.CPUPerGB, b.CPUPerGB) && near(a.P50, b.P50) && near(a.P99, b.P99)
}
