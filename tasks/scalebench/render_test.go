package scalebench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteResults(t *testing.T) {
	for name, hosts := range map[string][]int{"one size": {100}, "three sizes": {100, 1000, 10000}} {
		t.Run(name, func(t *testing.T) {
			r := &Results{Dir: t.TempDir(), Params: Defaults(), Size: 1 << 20, RateBits: 8e6, SwarmS: 1, MaxHosts: 100, AgentSize: 1 << 10, RealAgent: 20e6}
			for _, n := range hosts {
				r.Rows = append(r.Rows,
					Row{Hosts: n, Task: "murder:distribute_files", TaskHosts: n + 1, WallS: float64(n) / 100, CPUS: 1, PeakRSSMiB: 50, Sessions: 3 * int64(n+1), PerHost: 3, SentBytes: int64(n) << 10, AgentCopies: int64(n + 1)},
					Row{Hosts: n, Task: "murder:peer", TaskHosts: n, WallS: 2, AddedS: 1, CPUS: 0, PerHost: 8},
					Row{Hosts: n, Task: "murder:stop_tracker", TaskHosts: 1, Err: "host x: failed"})
				r.Setup = append(r.Setup, SetupRow{Hosts: n})
			}
			if err := r.Write(); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{TableFile, MarkdownFile, JSONFile, PlotFile} {
				if fi, err := os.Stat(filepath.Join(r.Dir, f)); err != nil || fi.Size() == 0 {
					t.Errorf("%s: %v", f, err)
				}
			}
			md, _ := os.ReadFile(filepath.Join(r.Dir, MarkdownFile))
			if !strings.Contains(string(md), "| 100 | peer | 100 | 2.00 | 1.00 |") || !strings.Contains(string(md), "host x: failed") {
				t.Errorf("markdown:\n%s", md)
			}
		})
	}
}
