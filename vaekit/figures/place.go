package figures

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// placedLabels is a plotter that writes each label near its point where it covers no data and
// no label placed before it: it tries positions around the point, nearest first, in sixteen
// directions, inside the plot's frame; a label placed away from its point is joined to it by a
// thin grey leader line. Where no position is free, the one that covers least is taken (the
// layout check reports it).
type placedLabels struct {
	at     plotter.XYs
	labels []string
	colors []color.Color // per label; nil: black
	size   vg.Length
	// lines and points are what the labels must keep clear of, in data coordinates: polylines,
	// and glyphs of the given radius.
	lines  []plotter.XYs
	points []plotter.XYs
	radius []vg.Length // of each points set
}

func (l *placedLabels) style(i int) text.Style {
	st := text.Style{Color: color.Black, Font: sans(l.size), XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
	if l.colors != nil {
		st.Color = l.colors[i]
	}
	return st
}

// Plot places and draws the labels.
func (l *placedLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var segs [][2]vg.Point
	for _, line := range l.lines {
		for i := 1; i < len(line); i++ {
			segs = append(segs, [2]vg.Point{{X: trX(line[i-1].X), Y: trY(line[i-1].Y)}, {X: trX(line[i].X), Y: trY(line[i].Y)}})
		}
	}
	var boxes []vg.Rectangle
	for k, set := range l.points {
		r := l.radius[k]
		for _, q := range set {
			x, y := trX(q.X), trY(q.Y)
			boxes = append(boxes, vg.Rectangle{Min: vg.Point{X: x - r, Y: y - r}, Max: vg.Point{X: x + r, Y: y + r}})
		}
	}
	const margin = vg.Length(1.5) // points of clear space around a label
	cost := func(b vg.Rectangle) int {
		grown := vg.Rectangle{Min: vg.Point{X: b.Min.X - margin, Y: b.Min.Y - margin}, Max: vg.Point{X: b.Max.X + margin, Y: b.Max.Y + margin}}
		if b.Min.X < c.Min.X || b.Min.Y < c.Min.Y || b.Max.X > c.Max.X || b.Max.Y > c.Max.Y {
			return 1 << 20
		}
		n := 0
		for _, s := range segs {
			if crosses(grown, s[0], s[1]) {
				n++
			}
		}
		for _, o := range boxes {
			if overlap(grown, o) {
				n++
			}
		}
		return n
	}
	for i, label := range l.labels {
		if label == "" {
			continue
		}
		st := l.style(i)
		face := st.FontExtents()
		w, h := st.Width(label), st.Font.Size
		x, y := trX(l.at[i].X), trY(l.at[i].Y)
		best, bestCost, bestDist := vg.Rectangle{}, math.MaxInt, vg.Length(0)
		for _, dist := range []vg.Length{3, 6, 10, 15, 22, 30, 40, 55, 75, 100} {
			for k := range 16 {
				a := math.Pi/4 + 2*math.Pi*float64(k)/16
				dx, dy := vg.Length(math.Cos(a)), vg.Length(math.Sin(a))
				cx, cy := x+dx*(dist+w/2), y+dy*(dist+h/2)
				b := vg.Rectangle{Min: vg.Point{X: cx - w/2, Y: cy - h/2}, Max: vg.Point{X: cx + w/2, Y: cy + h/2}}
				if n := cost(b); n < bestCost {
					best, bestCost, bestDist = b, n, dist
				}
			}
			if bestCost == 0 {
				break
			}
		}
		if bestDist > 6 {
			// The leader runs from the point to the nearest point of the label's box; the labels
			// placed after it keep clear of it.
			leader := [2]vg.Point{{X: x, Y: y}, {X: max(best.Min.X, min(x, best.Max.X)), Y: max(best.Min.Y, min(y, best.Max.Y))}}
			c.StrokeLine2(draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(0.5)}, leader[0].X, leader[0].Y, leader[1].X, leader[1].Y)
			segs = append(segs, leader)
		}
		// The text's em box starts at the descent below the baseline (layoutCanvas.FillString);
		// with YBottom, gonum puts the baseline at the anchor + size - ascent.
		anchor := vg.Point{X: best.Min.X, Y: best.Min.Y + face.Descent + face.Ascent - st.Font.Size}
		c.FillText(st, anchor, label)
		boxes = append(boxes, best)
	}
}
