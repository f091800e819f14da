package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/murderfleet/murder/internal/chart"
)

func TestRun(t *testing.T) {
	series := []chart.Series{
		{Name: "a", Style: 0, Points: [][2]float64{{10, 1}, {100, 3}}, Width: 1.5, Radius: 3},
		{Name: "limit", Points: [][2]float64{{1, 2}, {100, 2}}, Width: 1, Dashes: []float64{6, 3}, Black: true},
		{Name: "empty"},
	}
	one := chart.Panel{Title: "t", XLabel: "x", YLabel: "y", Series: series, XTicks: []chart.Tick{{Value: 10, Label: "10"}}, X: &[2]float64{0, 110}, Y: &[2]float64{0, 4}}
	logs := chart.Panel{Title: "log", LogLog: true, LegendFontSize: 7, Series: series[:1], X: &[2]float64{5, 150}, Y: &[2]float64{0.5, 12}}
	for name, c := range map[string]chart.Chart{
		"one panel":     {Width: 7, Height: 4.5, Panels: []chart.Panel{one}},
		"grid, one gap": {Width: 11, Height: 7.2, Cols: 2, Panels: []chart.Panel{one, logs, logs}},
	} {
		t.Run(name, func(t *testing.T) {
			js, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "p.png")
			if err := run(strings.NewReader(string(js)), path); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
				t.Errorf("image is only %dx%d", b.Dx(), b.Dy())
			}
		})
	}
}

func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	grid := `{"Width":4,"Height":4,"Panels":[{"Title":"a"},{"Title":"b"}]}`
	for name, tc := range map[string]struct{ in, path string }{
		"no output":         {`{"Width":1,"Height":1,"Panels":[{}]}`, ""},
		"not JSON":          {"plot", filepath.Join(dir, "a.png")},
		"no panels":         {`{"Width":1,"Height":1}`, filepath.Join(dir, "b.png")},
		"grid not as PNG":   {grid, filepath.Join(dir, "c.svg")},
		"number too large":  {`{"Width":1,"Height":1,"Panels":[{"Series":[{"Points":[[1,1e999]]}]}]}`, filepath.Join(dir, "d.png")},
		"missing directory": {`{"Width":1,"Height":1,"Panels":[{}]}`, filepath.Join(dir, "no", "e.png")},
	} {
		if err := run(strings.NewReader(tc.in), tc.path); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
