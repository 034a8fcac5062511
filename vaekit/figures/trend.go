package figures

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is a measure taken at some epochs: dots joined by a line, or a cross when it has one
// point, named in the figure's key.
type Series struct {
	Name   string
	Points []Point
}

// Level is a reference value, drawn as a dotted horizontal line across the plot and named in
// the key.
type Level struct {
	Y     float64
	Label string
}

// paletteNames name the palette's colours in a key.
var paletteNames = []string{"blue", "vermillion", "green", "orange", "sky blue", "purple", "yellow", "black"}

// Trend draws series of a measure (in unit) against epochs on a logarithmic epoch axis, where a
// schedule in stages of 3^i epochs reads evenly, with reference levels. Every point's value is
// written beside it; the key is a line under the plot.
func Trend(series []Series, levels []Level, unit, title, base string) ([]string, error) {
	if len(series) == 0 || len(series) > len(palette) {
		return nil, fmt.Errorf("trend %s: %d series, expected 1 to %d", base, len(series), len(palette))
	}
	st := CurrentStyle()
	p := newPlot(st, title, "epoch (log scale)", unit)
	loX, hiX, loY, hiY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var key []string
	for i, s := range series {
		if len(s.Points) == 0 {
			return nil, fmt.Errorf("trend %s: series %q has no point", base, s.Name)
		}
		xys := make(plotter.XYs, len(s.Points))
		labels := make([]string, len(s.Points))
		for j, pt := range s.Points {
			if pt.X < 1 {
				return nil, fmt.Errorf("trend %s: series %q has a point at epoch %g, expected 1 or later", base, s.Name, pt.X)
			}
			xys[j] = plotter.XY{X: pt.X, Y: pt.Y}
			labels[j] = strconv.FormatFloat(pt.Y, 'f', 2, 64)
			loX, hiX, loY, hiY = min(loX, pt.X), max(hiX, pt.X), min(loY, pt.Y), max(hiY, pt.Y)
		}
		shape := "dots"
		if len(xys) > 1 {
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("trend %s: %w", base, err)
			}
			line.Color, line.Width = palette[i], vg.Points(1.2)
			p.Add(line)
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("trend %s: %w", base, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[i], Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
		if len(xys) == 1 {
			sc.GlyphStyle = draw.GlyphStyle{Color: palette[i], Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
			shape = "cross"
		}
		values, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("trend %s: %w", base, err)
		}
		for j := range values.TextStyle {
			values.TextStyle[j].Font = sans(vg.Points(st.FontSize * 0.8))
			values.TextStyle[j].Color = palette[i]
		}
		values.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(4)}
		if len(xys) == 1 {
			// A lone point (a final estimate) often sits on a series' last one: its value goes
			// below it, the series' above.
			values.Offset.Y = -vg.Points(st.FontSize * 1.1)
		}
		p.Add(sc, values)
		key = append(key, fmt.Sprintf("%s %s: %s", paletteNames[i], shape, s.Name))
	}
	// Room on the right for the values written beside the last points.
	p.X.Min, p.X.Max = loX/1.4, hiX*2
	for _, l := range levels {
		line, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: l.Y}, {X: p.X.Max, Y: l.Y}})
		if err != nil {
			return nil, fmt.Errorf("trend %s: %w", base, err)
		}
		line.Color, line.Width = color.Black, vg.Points(1)
		line.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		p.Add(line)
		loY, hiY = min(loY, l.Y), max(hiY, l.Y)
		key = append(key, fmt.Sprintf("dotted: %s", l.Label))
	}
	p.Add(plotter.NewGrid())
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	// Room above the highest point for its value.
	padRange(&p.Y, loY, hiY, 0.08)
	w := st.width()
	return saveWithNote([][]*plot.Plot{{p}}, w, w*0.6, strings.Join(key, "; "), base)
}
