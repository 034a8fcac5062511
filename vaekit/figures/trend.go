package figures

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

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

// Trend draws series of a measure (in unit) against epochs on a logarithmic epoch axis, where a
// schedule in stages of 3^i epochs reads evenly, with reference levels. Every point's value is
// written near it where it covers no line or other value (placedLabels); a key under the plot
// says which line is which.
func Trend(series []Series, levels []Level, unit, title, base string) ([]string, error) {
	if len(series) == 0 || len(series) > len(palette) {
		return nil, fmt.Errorf("trend %s: %d series, expected 1 to %d", base, len(series), len(palette))
	}
	st := CurrentStyle()
	p := newPlot(st, title, "epoch (log scale)", unit)
	loX, hiX, loY, hiY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var key []keyEntry
	values := &placedLabels{size: vg.Points(st.FontSize * 0.8)}
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
		var lineStyle *draw.LineStyle
		if len(xys) > 1 {
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("trend %s: %w", base, err)
			}
			line.Color, line.Width = palette[i], vg.Points(1.2)
			lineStyle = &line.LineStyle
			p.Add(data(line))
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("trend %s: %w", base, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[i], Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
		if len(xys) == 1 {
			sc.GlyphStyle = draw.GlyphStyle{Color: palette[i], Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		}
		values.at = append(values.at, xys...)
		values.labels = append(values.labels, labels...)
		for range xys {
			values.colors = append(values.colors, palette[i])
		}
		values.lines = append(values.lines, xys)
		values.points, values.radius = append(values.points, xys), append(values.radius, sc.GlyphStyle.Radius)
		p.Add(data(sc))
		glyph := sc.GlyphStyle
		key = append(key, keyEntry{label: s.Name, line: lineStyle, glyph: &glyph})
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
		p.Add(data(line))
		values.lines = append(values.lines, line.XYs)
		loY, hiY = min(loY, l.Y), max(hiY, l.Y)
		key = append(key, lineKey(l.Label, line.LineStyle, nil))
	}
	p.Add(plotter.NewGrid(), values)
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	// Room above the highest point for its value.
	padRange(&p.Y, loY, hiY, 0.08)
	w := st.width()
	return saveWithKey([][]*plot.Plot{{p}}, w, w*0.6, "", key, base)
}
