package bench

import (
	"fmt"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plot draws the median makespan against N for every method, with the
// physical limit S/B as a dashed line, and saves it as a PNG (or any
// format gonum/plot knows from the file's extension).
func (r *Results) Plot(path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median makespan, %s artifact over %s links", FormatSize(r.Params.Size), FormatRate(r.Params.Rate))
	p.X.Label.Text = "N (receiving hosts)"
	p.Y.Label.Text = "makespan (s)"
	p.X.Min, p.Y.Min = 0, 0
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	var ns []int
	top := r.LimitSeconds
	for i, m := range methodOrder {
		xys := r.series(m)
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("bench: plot %s: %w", m, err)
		}
		line.Color, points.Color, points.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		line.Width, points.Radius = vg.Points(1.5), vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(m, line, points)
		for _, xy := range xys {
			ns = append(ns, int(xy.X))
			top = max(top, xy.Y)
		}
	}
	if err := r.addLimit(p, ns); err != nil {
		return err
	}
	p.Y.Max = top * 1.25 // room for the legend above the highest point
	if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("bench: save plot: %w", err)
	}
	return nil
}

// series returns method's successful (N, median makespan) points.
func (r *Results) series(method string) plotter.XYs {
	var xys plotter.XYs
	for _, row := range r.Rows {
		if row.Method == method && row.OK > 0 {
			xys = append(xys, plotter.XY{X: float64(row.N), Y: row.Makespan})
		}
	}
	return xys
}

// addLimit draws S/B across the plot and puts the x ticks on the Ns.
func (r *Results) addLimit(p *plot.Plot, ns []int) error {
	ns = append(ns, r.Params.Ns...)
	slices.Sort(ns)
	ns = slices.Compact(ns)
	right := 1.0
	if len(ns) > 0 {
		right = float64(ns[len(ns)-1]) * 1.05
	}
	limit, err := plotter.NewLine(plotter.XYs{{X: 0, Y: r.LimitSeconds}, {X: right, Y: r.LimitSeconds}})
	if err != nil {
		return fmt.Errorf("bench: plot limit: %w", err)
	}
	limit.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	limit.Width = vg.Points(1)
	p.Add(limit)
	p.Legend.Add(fmt.Sprintf("limit S/B = %.1f s", r.LimitSeconds), limit)
	ticks := []plot.Tick{{Value: 0, Label: "0"}}
	for _, n := range ns {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Max = right
	return nil
}
