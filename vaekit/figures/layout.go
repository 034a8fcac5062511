package figures

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The layout check draws a figure once more on a canvas that draws nothing but keeps, in
// figure coordinates, the box of every string (from the font's own extents and advance
// widths, as gonum/plot places it) and the segments and glyphs of every data plotter (those
// added through data), and the height of everything drawn. It finds what a figure editor
// would send back: two texts overlapping, text outside the figure, text over a data point or
// line, type smaller than MinFontSize at the figure's width, a figure not at the style's width,
// and a band across the figure taller than maxEmptyBand of its height with nothing drawn in it.

// MinFontSize is the smallest type, in points, that a figure may use at its printed width.
const MinFontSize = 7

var (
	strictMu     sync.Mutex
	strictLayout bool
)

// StrictLayout makes a figure with a layout problem an error (nothing is written; the error
// lists the problems) when on; off (the default), such a figure is written and one line on the
// standard logger names its first problem. It returns the previous setting. Tests turn it on.
func StrictLayout(on bool) (previous bool) {
	strictMu.Lock()
	defer strictMu.Unlock()
	previous, strictLayout = strictLayout, on
	return previous
}

func isStrict() bool {
	strictMu.Lock()
	defer strictMu.Unlock()
	return strictLayout
}

// textBox is a string as drawn: its box in figure coordinates and its type size.
type textBox struct {
	text string
	box  vg.Rectangle
	size vg.Length // in points at the figure's width
}

// dataMark is a piece of a data plotter: a segment (A to B) or a glyph's box (A, B corners).
type dataMark struct {
	a, b  vg.Point
	glyph bool
}

// affine is a 2-D transform: x' = a*x + b*y + c, y' = d*x + e*y + f.
type affine struct{ a, b, c, d, e, f float64 }

var identity = affine{a: 1, e: 1}

func (m affine) apply(p vg.Point) vg.Point {
	x, y := float64(p.X), float64(p.Y)
	return vg.Point{X: vg.Length(m.a*x + m.b*y + m.c), Y: vg.Length(m.d*x + m.e*y + m.f)}
}

// then is m followed, in the canvas's own coordinates, by n (n applied first to points).
func (m affine) then(n affine) affine {
	return affine{
		a: m.a*n.a + m.b*n.d, b: m.a*n.b + m.b*n.e, c: m.a*n.c + m.b*n.f + m.c,
		d: m.d*n.a + m.e*n.d, e: m.d*n.b + m.e*n.e, f: m.d*n.c + m.e*n.f + m.f,
	}
}

// scale is how much the transform enlarges lengths (type sizes).
func (m affine) scale() float64 { return math.Sqrt(math.Abs(m.a*m.e - m.b*m.d)) }

// layoutCanvas is a vg.Canvas that records text boxes and data marks.
type layoutCanvas struct {
	width, height vg.Length
	m             affine
	stack         []affine
	data          int // > 0 while a data plotter draws
	texts         []textBox
	marks         []dataMark
	ink           [][2]vg.Length // the vertical extent of everything drawn: paths, images, texts
	blank         bool           // the colour set paints nothing visible (the white background)
}

// inked records that something covers heights lo to hi.
func (c *layoutCanvas) inked(lo, hi vg.Length) {
	c.ink = append(c.ink, [2]vg.Length{min(lo, hi), max(lo, hi)})
}

func (c *layoutCanvas) SetLineWidth(vg.Length)             {}
func (c *layoutCanvas) SetLineDash([]vg.Length, vg.Length) {}
func (c *layoutCanvas) SetColor(col color.Color) {
	// White or transparent paints nothing on the page (the background is white).
	if col == nil {
		c.blank = true
		return
	}
	r, g, b, a := col.RGBA()
	c.blank = a == 0 || r == 0xffff && g == 0xffff && b == 0xffff
}
func (c *layoutCanvas) Rotate(rad float64) {
	s, co := math.Sin(rad), math.Cos(rad)
	c.m = c.m.then(affine{a: co, b: -s, d: s, e: co})
}
func (c *layoutCanvas) Translate(pt vg.Point) {
	c.m = c.m.then(affine{a: 1, e: 1, c: float64(pt.X), f: float64(pt.Y)})
}
func (c *layoutCanvas) Scale(x, y float64) { c.m = c.m.then(affine{a: x, e: y}) }
func (c *layoutCanvas) Push()              { c.stack = append(c.stack, c.m) }
func (c *layoutCanvas) Pop() {
	c.m = c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
}
func (c *layoutCanvas) DrawImage(r vg.Rectangle, _ image.Image) {
	c.inked(c.m.apply(r.Min).Y, c.m.apply(r.Max).Y)
}
func (c *layoutCanvas) Size() (w, h vg.Length) { return c.width, c.height }

func (c *layoutCanvas) Stroke(p vg.Path) { c.path(p, false) }
func (c *layoutCanvas) Fill(p vg.Path)   { c.path(p, true) }

// path records a data plotter's path: its straight segments, and the box of anything curved or
// filled (a glyph, a bar).
func (c *layoutCanvas) path(p vg.Path, fill bool) {
	var from vg.Length // where the pen is, for the vertical extent of a segment
	for _, comp := range p {
		if c.blank {
			break
		}
		y := c.m.apply(comp.Pos).Y
		switch comp.Type {
		case vg.MoveComp:
			c.inked(y, y)
		case vg.LineComp, vg.CurveComp:
			c.inked(from, y)
		case vg.ArcComp:
			r := vg.Length(float64(comp.Radius) * c.m.scale())
			c.inked(y-r, y+r)
		}
		from = y
	}
	if c.data == 0 {
		return
	}
	var pts []vg.Point
	curved := fill
	var cur vg.Point
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			cur = c.m.apply(comp.Pos)
			pts = append(pts, cur)
		case vg.LineComp:
			next := c.m.apply(comp.Pos)
			if !fill {
				c.marks = append(c.marks, dataMark{a: cur, b: next})
			}
			cur = next
			pts = append(pts, cur)
		case vg.ArcComp:
			curved = true
			r := comp.Radius
			for _, q := range []vg.Point{{X: comp.Pos.X - r, Y: comp.Pos.Y - r}, {X: comp.Pos.X + r, Y: comp.Pos.Y + r}} {
				pts = append(pts, c.m.apply(q))
			}
		case vg.CurveComp:
			curved = true
			for _, q := range append(comp.Control, comp.Pos) {
				pts = append(pts, c.m.apply(q))
			}
			cur = c.m.apply(comp.Pos)
		}
	}
	if curved && len(pts) > 0 {
		lo, hi := pts[0], pts[0]
		for _, q := range pts {
			lo = vg.Point{X: min(lo.X, q.X), Y: min(lo.Y, q.Y)}
			hi = vg.Point{X: max(hi.X, q.X), Y: max(hi.Y, q.Y)}
		}
		c.marks = append(c.marks, dataMark{a: lo, b: hi, glyph: true})
	}
}

// FillString records the box of a string: from the baseline point, its advance width across;
// upwards, the em that gonum/plot gives each line of a text (it stacks lines one font size
// apart), starting at the font's descent below the baseline.
func (c *layoutCanvas) FillString(f font.Face, pt vg.Point, text string) {
	if f.Font.Size == 0 || strings.TrimSpace(text) == "" {
		return
	}
	lo, hi := pt.Y-f.Extents().Descent, pt.Y-f.Extents().Descent+f.Font.Size
	corners := []vg.Point{
		{X: pt.X, Y: lo}, {X: pt.X + f.Width(text), Y: lo},
		{X: pt.X, Y: hi}, {X: pt.X + f.Width(text), Y: hi},
	}
	var box vg.Rectangle
	for i, q := range corners {
		q = c.m.apply(q)
		if i == 0 {
			box = vg.Rectangle{Min: q, Max: q}
		}
		box.Min = vg.Point{X: min(box.Min.X, q.X), Y: min(box.Min.Y, q.Y)}
		box.Max = vg.Point{X: max(box.Max.X, q.X), Y: max(box.Max.Y, q.Y)}
	}
	c.texts = append(c.texts, textBox{text: text, box: box, size: vg.Length(float64(f.Font.Size) * c.m.scale())})
	c.inked(box.Min.Y, box.Max.Y)
}

// data marks what plotters draw as data, so that the layout check keeps their marks: text on
// them is a defect, text on the grid or the frame is not.
func data(p plot.Plotter) plot.Plotter { return dataPlotter{p} }

type dataPlotter struct{ plot.Plotter }

func (d dataPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	if lc := underlying(c.Canvas); lc != nil {
		lc.data++
		defer func() { lc.data-- }()
	}
	d.Plotter.Plot(c, p)
}

// underlying is the layoutCanvas under the draw.Canvases that gonum/plot wraps around a
// canvas (the plot's padding makes one of its own), or nil.
func underlying(c vg.Canvas) *layoutCanvas {
	for {
		switch v := c.(type) {
		case *layoutCanvas:
			return v
		case draw.Canvas:
			c = v.Canvas
		case *draw.Canvas:
			c = v.Canvas
		default:
			return nil
		}
	}
}

// DataRange is the wrapped plotter's, or nothing (infinities that widen no axis).
func (d dataPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	if r, ok := d.Plotter.(plot.DataRanger); ok {
		return r.DataRange()
	}
	return math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
}

// GlyphBoxes are the wrapped plotter's, so that the axes leave room for its glyphs.
func (d dataPlotter) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	if g, ok := d.Plotter.(plot.GlyphBoxer); ok {
		return g.GlyphBoxes(p)
	}
	return nil
}

// slack is how far, in points, two boxes may touch before the check calls it an overlap: the
// font's ascent and descent leave room above and below most glyphs' ink.
const slack = 0.5

// checkLayout draws a figure on a layoutCanvas and lists its problems, each one line.
func checkLayout(width, height vg.Length, drawFig func(dc draw.Canvas)) []string {
	lc := &layoutCanvas{width: width, height: height, m: identity}
	drawFig(draw.New(lc))
	var problems []string
	if w := CurrentStyle().width(); math.Abs(float64(width-w)) > 0.01 {
		problems = append(problems, fmt.Sprintf("the figure is %.1f cm wide: expected the style's %.1f cm", width/vg.Centimeter, w/vg.Centimeter))
	}
	frame := vg.Rectangle{Max: vg.Point{X: width, Y: height}}
	if lo, hi := emptyBand(lc.ink, height); hi-lo > maxEmptyBand*height {
		problems = append(problems, fmt.Sprintf("nothing is drawn from %.1f to %.1f cm above the bottom (%.0f%% of the figure's height)",
			lo/vg.Centimeter, hi/vg.Centimeter, 100*(hi-lo)/height))
	}
	for i, t := range lc.texts {
		if t.size < MinFontSize-0.01 {
			problems = append(problems, fmt.Sprintf("text %q is %.1f pt: expected at least %d pt at the figure's width", t.text, t.size.Points(), MinFontSize))
		}
		if !inside(t.box, frame) {
			problems = append(problems, fmt.Sprintf("text %q leaves the figure (%s)", t.text, showBox(t.box)))
		}
		for _, u := range lc.texts[:i] {
			if overlap(t.box, u.box) {
				problems = append(problems, fmt.Sprintf("text %q overlaps text %q (%s; %s)", t.text, u.text, showBox(t.box), showBox(u.box)))
			}
		}
		for _, m := range lc.marks {
			if m.glyph && overlap(t.box, vg.Rectangle{Min: m.a, Max: m.b}) || !m.glyph && crosses(t.box, m.a, m.b) {
				problems = append(problems, fmt.Sprintf("text %q covers data (%s)", t.text, showMark(m)))
				break
			}
		}
	}
	return problems
}

// maxEmptyBand is the tallest band across the figure, between two things drawn, that may hold
// nothing, as a share of the figure's height: a taller one is space a panel lost (gonum/plot
// reserving room for a label where it does not draw it, say).
const maxEmptyBand = 0.1

// emptyBand is the tallest band of heights between the lowest and the highest thing drawn that
// nothing covers.
func emptyBand(ink [][2]vg.Length, height vg.Length) (lo, hi vg.Length) {
	spans := slices.Clone(ink)
	slices.SortFunc(spans, func(a, b [2]vg.Length) int { return cmp.Compare(a[0], b[0]) })
	var reach vg.Length
	for i, s := range spans {
		s[0], s[1] = max(s[0], 0), min(s[1], height)
		if i > 0 && s[0]-reach > hi-lo {
			lo, hi = reach, s[0]
		}
		if i == 0 || s[1] > reach {
			reach = s[1]
		}
	}
	return lo, hi
}

func showBox(r vg.Rectangle) string {
	return fmt.Sprintf("%.1f,%.1f to %.1f,%.1f pt", r.Min.X.Points(), r.Min.Y.Points(), r.Max.X.Points(), r.Max.Y.Points())
}

func showMark(m dataMark) string {
	if m.glyph {
		return "a glyph at " + showBox(vg.Rectangle{Min: m.a, Max: m.b})
	}
	return fmt.Sprintf("a line from %.1f,%.1f to %.1f,%.1f pt", m.a.X.Points(), m.a.Y.Points(), m.b.X.Points(), m.b.Y.Points())
}

// inside reports whether r lies within frame.
func inside(r, frame vg.Rectangle) bool {
	return r.Min.X >= frame.Min.X-slack && r.Min.Y >= frame.Min.Y-slack && r.Max.X <= frame.Max.X+slack && r.Max.Y <= frame.Max.Y+slack
}

// overlap reports whether two boxes share more than a sliver.
func overlap(r, s vg.Rectangle) bool {
	return min(r.Max.X, s.Max.X)-max(r.Min.X, s.Min.X) > slack && min(r.Max.Y, s.Max.Y)-max(r.Min.Y, s.Min.Y) > slack
}

// crosses reports whether the segment a-b passes through r shrunk by slack (Liang-Barsky).
func crosses(r vg.Rectangle, a, b vg.Point) bool {
	x0, y0, x1, y1 := float64(r.Min.X)+slack, float64(r.Min.Y)+slack, float64(r.Max.X)-slack, float64(r.Max.Y)-slack
	if x0 >= x1 || y0 >= y1 {
		return false
	}
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	t0, t1 := 0.0, 1.0
	for _, e := range [][2]float64{{-dx, float64(a.X) - x0}, {dx, x1 - float64(a.X)}, {-dy, float64(a.Y) - y0}, {dy, y1 - float64(a.Y)}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = max(t0, t)
		} else {
			t1 = min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}
