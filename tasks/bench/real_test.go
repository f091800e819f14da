package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRealBenchmark runs a small benchmark on a real fleet. It needs root,
// sshd, aria2, opentracker and mktorrent and takes a few minutes, so it
// runs only with MURDER_BENCH=1; MURDER_BENCH_WORDS overrides its words.
func TestRealBenchmark(t *testing.T) {
	if os.Getenv("MURDER_BENCH") != "1" {
		t.Skip("set MURDER_BENCH=1 to run a real benchmark (root, a few minutes)")
	}
	words := strings.Fields(os.Getenv("MURDER_BENCH_WORDS"))
	if len(words) == 0 {
		words = []string{"n=2,4", "size=32MiB", "rate=200mbit"}
	}
	o, err := ParseWords(words)
	if err != nil {
		t.Fatal(err)
	}
	if o.Out == "" {
		o.Out = t.TempDir()
	}
	var out strings.Builder
	o.Stdout = &out
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	res, err := Run(ctx, o)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatalf("Run: %v (results and logs in %s)", err, o.Out)
	}
	var table strings.Builder
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("results in %s:\n%s\n%s", res.Dir, table.String(), res.Markdown())
	for _, row := range res.Rows {
		if row.OK != o.Reps || row.Makespan < res.LimitSeconds*0.9 || row.SeederRatio < 0.9 {
			t.Errorf("implausible row %+v (limit %.1f s)", row, res.LimitSeconds)
		}
	}
}
