package bench

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/murderfleet/murder/internal/chart"
)

// Plot draws the median makespan against N for every method, with the
// physical limit S/B as a dashed line, and saves it as a PNG (or any
// format gonum/plot knows from the file's extension). The drawing runs in
// a separate process (package chart), so that gonum/plot stays out of the
// magefile.
func (r *Results) Plot(path string) error {
	return chart.Write(r.chart(), path)
}

// chart describes the plot Plot draws.
func (r *Results) chart() *chart.Chart {
	p := chart.Panel{
		Title:  fmt.Sprintf("Median makespan, %s artifact over %s links", FormatSize(r.Params.Size), FormatRate(r.Params.Rate)),
		XLabel: "N (receiving hosts)",
		YLabel: "makespan (s)",
	}
	var ns []int
	top := r.LimitSeconds
	for i, m := range methodOrder {
		pts := r.series(m)
		if len(pts) == 0 {
			continue
		}
		p.Series = append(p.Series, chart.Series{Name: m, Style: i, Points: pts, Width: 1.5, Radius: 3})
		for _, pt := range pts {
			ns = append(ns, int(pt[0]))
			top = max(top, pt[1])
		}
	}
	ns = append(ns, r.Params.Ns...)
	slices.Sort(ns)
	ns = slices.Compact(ns)
	right := 1.0
	if len(ns) > 0 {
		right = float64(ns[len(ns)-1]) * 1.05
	}
	p.Series = append(p.Series, chart.Series{
		Name:   fmt.Sprintf("limit S/B = %.1f s", r.LimitSeconds),
		Points: [][2]float64{{0, r.LimitSeconds}, {right, r.LimitSeconds}},
		Width:  1, Dashes: []float64{6, 3}, Black: true,
	})
	p.XTicks = []chart.Tick{{Value: 0, Label: "0"}}
	for _, n := range ns {
		p.XTicks = append(p.XTicks, chart.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X = &[2]float64{0, right}
	p.Y = &[2]float64{0, top * 1.25} // room for the legend above the highest point
	return &chart.Chart{Width: 7, Height: 4.5, Panels: []chart.Panel{p}}
}

// series returns method's successful (N, median makespan) points.
func (r *Results) series(method string) [][2]float64 {
	var pts [][2]float64
	for _, row := range r.Rows {
		if row.Method == method && row.OK > 0 {
			pts = append(pts, [2]float64{float64(row.N), row.Makespan})
		}
	}
	return pts
}
