package bench

import (
	"math"
	"slices"
	"time"
)

// Results is what Run measured, as written to results.json.
type Results struct {
	Started time.Time `json:"started"`
	Params  Params    `json:"params"`
	// LimitSeconds is the physical limit S/B: no host can receive the
	// artifact faster than its link carries it, whatever the method.
	LimitSeconds float64  `json:"limit_seconds"`
	Machine      Machine  `json:"machine"`
	Rows         []Row    `json:"rows"`
	Runs         []Trial  `json:"runs"`
	Notes        []string `json:"notes"`
	// Dir is the results folder (not written to the JSON).
	Dir string `json:"-"`
}

// Params are the parameters of a benchmark, as given.
type Params struct {
	Ns      []int    `json:"n"`
	Size    int64    `json:"size_bytes"`
	Rate    float64  `json:"rate_bits_per_second"`
	CC      string   `json:"tcp_congestion_control,omitempty"`
	Reps    int      `json:"reps"`
	Methods []string `json:"methods"`
	SCPNs   []int    `json:"scp_n"`
	// MurderArgs are the words murder ran with beyond each task's own
	// (encrypt=0, peer_connections=10, ...).
	MurderArgs []string `json:"murder_args,omitempty"`
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs   int    `json:"cpus"`
	Kernel string `json:"kernel"`
	// CC is the machine's TCP congestion control, which the hosts keep
	// when Params.CC is empty.
	CC string `json:"tcp_congestion_control,omitempty"`
}

// Trial is one measured transfer: one method, one fleet size, one
// repetition.
type Trial struct {
	Method string `json:"method"`
	N      int    `json:"n"`
	Rep    int    `json:"rep"`
	// Makespan is from the start of the transfer until the last host
	// holds a verified, extracted copy, in seconds.
	Makespan float64 `json:"makespan_seconds"`
	// HostSeconds is each receiving host's completion time, from the same
	// start.
	HostSeconds []float64 `json:"host_seconds"`
	// SeederTxBytes is what the seeder's eth0 sent during the transfer.
	SeederTxBytes int64 `json:"seeder_tx_bytes"`
	// ReceivedBytes is what each receiving host's eth0 received during
	// the transfer, in HostSeconds' order: a copy, framing and whatever
	// arrived twice.
	ReceivedBytes []int64 `json:"received_bytes,omitempty"`
	// CPUSeconds is the machine's busy CPU time during the transfer.
	CPUSeconds float64 `json:"cpu_seconds"`
	Error      string  `json:"error,omitempty"`
}

// receivedRatio is the median of ReceivedBytes divided by size; NaN
// without any.
func (t Trial) receivedRatio(size int64) float64 { return Median(perSize(t.ReceivedBytes, size)) }

// perSize returns each of bs divided by size.
func perSize(bs []int64, size int64) []float64 {
	r := make([]float64, len(bs))
	for i, b := range bs {
		r[i] = float64(b) / float64(size)
	}
	return r
}

// Row summarizes the trials of one (method, N).
type Row struct {
	Method string `json:"method"`
	N      int    `json:"n"`
	// OK and Failed count the successful and failed trials.
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	// Makespan is the median over successful trials, in seconds.
	Makespan float64 `json:"makespan_seconds"`
	// Efficiency is (S/B) / Makespan: 1 is the physical limit.
	Efficiency float64 `json:"efficiency"`
	// SeederRatio is the median seeder upload divided by S.
	SeederRatio float64 `json:"seeder_bytes_per_size"`
	// ReceivedRatio is the median receiving host's download divided by S,
	// pooled over trials.
	ReceivedRatio float64 `json:"received_bytes_per_size"`
	// CPUPerGB is the median busy CPU-seconds per 10^9 bytes delivered.
	CPUPerGB float64 `json:"cpu_seconds_per_gb"`
	// P50 and P99 are per-host completion times pooled over trials.
	P50 float64 `json:"p50_seconds"`
	P99 float64 `json:"p99_seconds"`
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// xs: the smallest value with at least p% of xs at or below it, so p99 of
// fewer than 100 values is their maximum. NaN for none.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || p <= 0 || p > 100 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

// Limit returns S/B, the seconds a link of rate bits per second needs to
// carry size bytes.
func Limit(size int64, rate float64) float64 { return float64(size) * 8 / rate }

// Efficiency returns limit/makespan: 1 means the transfer reached the
// physical limit, 0.5 that it took twice as long; 0 without a makespan.
func Efficiency(limit, makespan float64) float64 {
	if makespan <= 0 {
		return 0
	}
	return limit / makespan
}

// CPUPerGB returns CPU-seconds per 10^9 bytes when n hosts each received
// size bytes.
func CPUPerGB(cpuSeconds float64, n int, size int64) float64 {
	return cpuSeconds / (float64(n) * float64(size) / 1e9)
}

// Summarize groups the trials by method and N, in the order of methods
// and ascending N.
func Summarize(trials []Trial, size int64, rate float64) []Row {
	type key struct {
		method string
		n      int
	}
	groups := map[key][]Trial{}
	var keys []key
	for _, t := range trials {
		k := key{t.Method, t.N}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], t)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := slices.Index(methodOrder, a.method) - slices.Index(methodOrder, b.method); c != 0 {
			return c
		}
		return a.n - b.n
	})
	rows := make([]Row, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, summarize(k.method, k.n, groups[k], size, rate))
	}
	return rows
}

func summarize(method string, n int, trials []Trial, size int64, rate float64) Row {
	r := Row{Method: method, N: n}
	var makespans, ratios, received, cpus, hosts []float64
	for _, t := range trials {
		if t.Error != "" {
			r.Failed++
			continue
		}
		r.OK++
		makespans = append(makespans, t.Makespan)
		ratios = append(ratios, float64(t.SeederTxBytes)/float64(size))
		received = append(received, perSize(t.ReceivedBytes, size)...)
		cpus = append(cpus, CPUPerGB(t.CPUSeconds, t.N, size))
		hosts = append(hosts, t.HostSeconds...)
	}
	if r.OK == 0 {
		return r // all zero: JSON has no NaN
	}
	r.Makespan = Median(makespans)
	r.Efficiency = Efficiency(Limit(size, rate), r.Makespan)
	r.SeederRatio = Median(ratios)
	if len(received) > 0 { // results from before it was measured have none
		r.ReceivedRatio = Median(received)
	}
	r.CPUPerGB = Median(cpus)
	r.P50 = Percentile(hosts, 50)
	r.P99 = Percentile(hosts, 99)
	return r
}
