// Package chart describes the benches' plots as plain data and draws them
// in a separate process (cmd/murder-chart, run with `go run`). Drawing
// needs gonum/plot, its fonts and LaTeX parser: about a hundred packages
// that took a third of a cold magefile compile. Kept behind a process
// boundary, they are compiled only when a bench writes its plot, never
// when a magefile that imports the bench targets is compiled for Demo.
package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Command is the import path of the program that draws a Chart.
const Command = "github.com/murderfleet/murder/internal/chart/cmd/murder-chart"

// Chart is an image of one or more panels in a grid.
type Chart struct {
	Width, Height float64 // inches
	Cols          int     // panels per row; 0 means 1
	Panels        []Panel
}

// Panel is one plot: lines with points, a grid and a legend at top left.
type Panel struct {
	Title, XLabel, YLabel string
	LegendFontSize        float64 // points; 0 keeps the default
	LogLog                bool    // log scales and ticks on both axes
	// XTicks, when set, are the only ticks on the x axis.
	XTicks []Tick `json:",omitempty"`
	// X and Y, when set, are the axes' [min, max], applied after the data.
	X, Y   *[2]float64 `json:",omitempty"`
	Series []Series
}

// Tick is a labelled mark on an axis.
type Tick struct {
	Value float64
	Label string
}

// Series is a line through points.
type Series struct {
	Name   string       // legend entry; "" leaves it out of the legend
	Style  int          // index into the palette of colours and point shapes
	Points [][2]float64 // (x, y)
	Width  float64      // line width in points
	Radius float64      // point radius in points; 0 draws the line alone
	Dashes []float64    `json:",omitempty"` // dash pattern in points; none for a solid line
	Black  bool         // black instead of Style's colour
}

// Write draws c into path (PNG, or the format path's extension names) by
// running Command with c as JSON on its standard input. The go command is
// $MAGEFILE_GOCMD or "go"; it runs in the current directory, which must be
// inside a module that requires murder (or murder itself).
func Write(c *Chart, path string) error {
	js, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	gocmd := "go"
	if g := os.Getenv("MAGEFILE_GOCMD"); g != "" {
		gocmd = g
	}
	cmd := exec.Command(gocmd, "run", Command, "-o", path)
	cmd.Stdin = bytes.NewReader(js)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("chart: drawing %s: %v: %s", path, err, strings.TrimSpace(out.String()))
	}
	return nil
}
