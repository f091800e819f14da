// Command murder-chart draws a chart.Chart read as JSON from standard
// input into the file named by -o, with gonum/plot. It is a program of its
// own so that gonum/plot stays out of every magefile's build (see package
// chart).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/murderfleet/murder/internal/chart"
)

func main() {
	out := flag.String("o", "", "output file (.png, .svg, .pdf, ...)")
	flag.Parse()
	if err := run(os.Stdin, *out); err != nil {
		fmt.Fprintln(os.Stderr, "murder-chart:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, path string) error {
	if path == "" {
		return errors.New("no output file (-o)")
	}
	var c chart.Chart
	if err := json.NewDecoder(in).Decode(&c); err != nil {
		return fmt.Errorf("reading the chart: %w", err)
	}
	return save(&c, path)
}

// save draws c into path: a single panel in the format of path's
// extension, several as a grid in a PNG.
func save(c *chart.Chart, path string) error {
	if len(c.Panels) == 0 {
		return errors.New("a chart without panels")
	}
	w, h := vg.Length(c.Width)*vg.Inch, vg.Length(c.Height)*vg.Inch
	if len(c.Panels) == 1 {
		p, err := panel(&c.Panels[0])
		if err != nil {
			return err
		}
		return p.Save(w, h, path)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".png" {
		return fmt.Errorf("a grid of panels is drawn as PNG only, not %s", ext)
	}
	cols := max(c.Cols, 1)
	rows := (len(c.Panels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
		for j := range plots[i] {
			plots[i][j] = plot.New()
		}
	}
	for i := range c.Panels {
		p, err := panel(&c.Panels[i])
		if err != nil {
			return err
		}
		plots[i/cols][i%cols] = p
	}
	img := vgimg.New(w, h)
	dc := draw.New(img)
	canvases := plot.Align(plots, draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4}, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func panel(s *chart.Panel) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = s.Title, s.XLabel, s.YLabel
	p.Legend.Top, p.Legend.Left = true, true
	if s.LegendFontSize > 0 {
		p.Legend.TextStyle.Font.Size = vg.Points(s.LegendFontSize)
	}
	p.Add(plotter.NewGrid())
	for _, sr := range s.Series {
		if len(sr.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(sr.Points))
		for i, pt := range sr.Points {
			xys[i] = plotter.XY{X: pt[0], Y: pt[1]}
		}
		col := plotutil.Color(sr.Style)
		if sr.Black {
			col = color.Black
		}
		var thumbs []plot.Thumbnailer
		if sr.Radius > 0 {
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", s.Title, sr.Name, err)
			}
			line.Color, points.Color, points.Shape = col, col, plotutil.Shape(sr.Style)
			line.Width, points.Radius = vg.Points(sr.Width), vg.Points(sr.Radius)
			line.Dashes = dashes(sr.Dashes)
			p.Add(line, points)
			thumbs = []plot.Thumbnailer{line, points}
		} else {
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", s.Title, sr.Name, err)
			}
			line.Color, line.Width, line.Dashes = col, vg.Points(sr.Width), dashes(sr.Dashes)
			p.Add(line)
			thumbs = []plot.Thumbnailer{line}
		}
		if sr.Name != "" {
			p.Legend.Add(sr.Name, thumbs...)
		}
	}
	if s.LogLog {
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{}, plot.LogTicks{}
	}
	if s.XTicks != nil {
		ticks := make([]plot.Tick, len(s.XTicks))
		for i, t := range s.XTicks {
			ticks[i] = plot.Tick{Value: t.Value, Label: t.Label}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	if s.X != nil {
		p.X.Min, p.X.Max = s.X[0], s.X[1]
	}
	if s.Y != nil {
		p.Y.Min, p.Y.Max = s.Y[0], s.Y[1]
	}
	return p, nil
}

func dashes(d []float64) []vg.Length {
	if len(d) == 0 {
		return nil
	}
	l := make([]vg.Length, len(d))
	for i, v := range d {
		l[i] = vg.Points(v)
	}
	return l
}
