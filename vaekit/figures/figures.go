// Package figures draws vaekit's figures with gonum/plot: loss curves, image grids
// (reconstructions, samples) and latent manifolds. Every function writes base+".png",
// base+".svg" and base+".pdf" atomically (a reader never sees a half-written figure) and returns their paths;
// the same inputs give the same bytes.
package figures

import (
	"fmt"
	"image"
	"image/color"
	imagedraw "image/draw"
	"io"
	"log"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit/history"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Formats written by every figure.
var Formats = []string{"png", "svg", "pdf"}

// pdfDate is the creation and modification date written into every PDF, so that the same
// figure gives the same bytes (fpdf writes the current time otherwise).
var pdfDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// pdfMu guards fpdf's process-wide default dates, set only while a canvas is made.
var pdfMu sync.Mutex

func newPDF(width, height vg.Length) *vgpdf.Canvas {
	pdfMu.Lock()
	defer pdfMu.Unlock()
	fpdf.SetDefaultCreationDate(pdfDate)
	fpdf.SetDefaultModificationDate(pdfDate)
	defer fpdf.SetDefaultCreationDate(time.Time{})
	defer fpdf.SetDefaultModificationDate(time.Time{})
	return vgpdf.New(width, height)
}

// save lays plots out in a grid of rows and writes base.png, base.svg and base.pdf.
func save(rows [][]*plot.Plot, width, height vg.Length, base string) ([]string, error) {
	return saveWithKey(rows, width, height, "", nil, base)
}

// saveWithKey is save with a heading over all the plots (the run's name, say; "" for none) and
// a drawn key under them (a sample of each line, glyph or colour with what it is), so that no
// legend covers data. height is the plots' own; the heading and the key add theirs.
func saveWithKey(rows [][]*plot.Plot, width, height vg.Length, heading string, key []keyEntry, base string) ([]string, error) {
	st := CurrentStyle()
	headStyle := text.Style{Color: color.Black, Font: sans(vg.Points(st.FontSize * 1.15)),
		XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	headHeight := vg.Length(0)
	if heading != "" {
		heading = fitTitle(st, heading, width)
		headHeight = headStyle.Height(heading) + 2*vg.Millimeter
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: vg.Millimeter * 5, PadY: vg.Millimeter * 5,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3}
	// A grid with an empty last tile (three panels in two columns) has its key there.
	last := rows[len(rows)-1]
	keyInTile := len(key) > 0 && len(last) > 1 && last[len(last)-1] == nil &&
		keyHeight(key, width/vg.Length(len(last))-tiles.PadX) < height/vg.Length(len(rows))*0.8
	keyH := keyHeight(key, width)
	if keyInTile {
		keyH = 0
	}
	return saveDrawn(width, height+headHeight+keyH, base, func(dc draw.Canvas) {
		if heading != "" {
			dc.FillText(headStyle, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Millimeter}, heading)
			dc = draw.Crop(dc, 0, 0, 0, -headHeight)
		}
		if keyInTile {
			tile := tiles.At(dc, len(last)-1, len(rows)-1)
			kh := keyHeight(key, tile.Max.X-tile.Min.X)
			mid := (tile.Min.Y + tile.Max.Y) / 2
			drawKey(draw.Crop(tile, 0, 0, mid-kh/2-tile.Min.Y, 0), key)
		} else {
			dc = drawKey(dc, key)
		}
		// Each panel is drawn in its own tile (plot.Align would squeeze a panel whose title has
		// more lines than its row's others, and leave a gap above its frame); titles within a row
		// are padded to the same number of lines, so the frames of a row line up.
		for i, row := range rows {
			lines := 0
			for _, p := range row {
				if p != nil {
					lines = max(lines, strings.Count(p.Title.Text, "\n")+1)
				}
			}
			for j, p := range row {
				if p != nil {
					if p.Title.Text != "" {
						p.Title.Text = strings.Repeat("\n", lines-1-strings.Count(p.Title.Text, "\n")) + p.Title.Text
					}
					tile := tiles.At(dc, j, i)
					fitLogTicks(p, tile)
					p.Draw(tile)
				}
			}
		}
	})
}

// fitLogTicks tells a logarithmic y axis's ticks how long the axis will be on canvas c, so that
// they leave the 2s and 5s unlabelled where those labels would overlap.
func fitLogTicks(p *plot.Plot, c draw.Canvas) {
	fit := func(lt logTicks) logTicks {
		area := p.DataCanvas(c)
		lt.length, lt.size = area.Max.Y-area.Min.Y, p.Y.Tick.Label.Font.Size
		return lt
	}
	switch lt := p.Y.Tick.Marker.(type) {
	case logTicks:
		p.Y.Tick.Marker = fit(lt)
	case log10Ticks:
		p.Y.Tick.Marker = log10Ticks(fit(logTicks(lt)))
	}
}

// log10Ticks are logTicks for an axis whose values are the log10 of what they stand for (a
// linear axis drawn as a logarithmic one): a tick at log10(v), labelled v.
type log10Ticks logTicks

func (l log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	ticks := logTicks(l).Ticks(math.Pow(10, lo), math.Pow(10, hi))
	for i := range ticks {
		ticks[i].Value = math.Log10(ticks[i].Value)
	}
	return ticks
}

// curveKey is the key of addCurves' lines.
func curveKey(h *history.History, train, test string) []keyEntry {
	var dots *draw.GlyphStyle
	if dotted(h) {
		dots = &draw.GlyphStyle{Color: palette[0], Radius: vg.Points(1.6), Shape: draw.CircleGlyph{}}
	}
	return []keyEntry{
		lineKey(train, draw.LineStyle{Color: palette[0], Width: vg.Points(1.2)}, dots),
		lineKey(test, draw.LineStyle{Color: palette[1], Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}}, nil),
	}
}

// saveDrawn writes base.png, base.svg and base.pdf of a figure drawn by drawFig on a canvas of
// the given size (PNG at the style's resolution). Every figure is the style's width, so that
// all print at one scale: a narrower drawing (a few images, a small manifold) is centred on it.
func saveDrawn(width, height vg.Length, base string, drawFig func(dc draw.Canvas)) ([]string, error) {
	if full := CurrentStyle().width(); width < full {
		inner, margin := drawFig, (full-width)/2
		drawFig = func(dc draw.Canvas) { inner(draw.Crop(dc, margin, -margin, 0, 0)) }
		width = full
	}
	if problems := checkLayout(width, height, drawFig); len(problems) > 0 {
		if isStrict() {
			shown := problems[:min(len(problems), 8)]
			more := ""
			if len(problems) > len(shown) {
				more = fmt.Sprintf("; and %d more", len(problems)-len(shown))
			}
			return nil, fmt.Errorf("figure %s: %d layout problems: %s%s", base, len(problems), strings.Join(shown, "; "), more)
		}
		log.Printf("figure %s: %d layout problems, the first: %s", base, len(problems), problems[0])
	}
	var paths []string
	for _, format := range Formats {
		path := base + "." + format
		err := atomicfile.WriteFunc(path, func(w io.Writer) error {
			var canvas vg.CanvasWriterTo
			switch format {
			case "png":
				canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(CurrentStyle().DPI))}
			case "svg":
				canvas = vgsvg.New(width, height)
			case "pdf":
				canvas = newPDF(width, height)
			}
			drawFig(draw.New(canvas))
			_, err := canvas.WriteTo(w)
			return err
		})
		if err != nil {
			return paths, fmt.Errorf("writing figure %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// LossCurves draws the loss terms of a history per epoch, one panel per term, training as a
// solid line with dots and test as a dashed line, under title and over a drawn key. Each panel's y axis is labelled with its term's
// unit and is logarithmic where axes says so (terms axes leaves out: "per image", linear). A
// term that axes says equals another by construction, and does at every point of the history,
// shares that term's panel, whose title says why. Panels come two per row.
func LossCurves(h *history.History, axes map[string]history.Axis, title, base string) ([]string, error) {
	if len(h.Rows) == 0 {
		return nil, fmt.Errorf("loss curves %s: the history is empty", base)
	}
	s := CurrentStyle()
	var panels []*plot.Plot
	for ti, term := range h.Terms {
		if merged(h, axes, term) {
			continue
		}
		axis := axes[term]
		if axis.Unit == "" {
			axis.Unit = "per image"
		}
		name := term
		for _, other := range h.Terms {
			if axes[other].SameAs == term && merged(h, axes, other) {
				name = term + " = " + other + "\n" + wrap("("+axes[other].Why+")", 44)
			}
		}
		// A long unit goes on two lines: gonum shrinks the frame to the rotated label's length.
		if axis.Title != "" {
			name = strings.Replace(name, term, axis.Title, 1)
		}
		p := newPlot(s, termTitle(name), "epoch", wrap(axis.Unit, 24))
		if err := addCurves(p, h, ti, axis.Log && positive(h, ti)); err != nil {
			return nil, fmt.Errorf("loss curves %s, term %s: %w", base, term, err)
		}
		panels = append(panels, p)
	}
	cols := min(2, len(panels))
	var rows [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, panels[i:])
		rows = append(rows, row)
	}
	w := s.width()
	rowHeight := w * 0.4
	if cols == 1 {
		rowHeight = w * 0.55
	}
	return saveWithKey(rows, w, vg.Length(len(rows))*rowHeight, title, curveKey(h, h.SplitTitle("train")+", mean over the epoch",
		h.SplitTitle("test")+", after the epoch"), base)
}

// merged reports whether term is drawn in the panel of the term it equals by construction:
// axes says so and the history agrees at every point.
func merged(h *history.History, axes map[string]history.Axis, term string) bool {
	other := axes[term].SameAs
	ti, oi := slices.Index(h.Terms, term), slices.Index(h.Terms, other)
	if other == "" || ti < 0 || oi < 0 {
		return false
	}
	for _, r := range h.Rows {
		if r.Values[ti] != r.Values[oi] {
			return false
		}
	}
	return true
}

// positive reports whether every value of term ti is > 0 (a logarithmic axis can show it).
func positive(h *history.History, ti int) bool {
	for _, r := range h.Rows {
		if !(r.Values[ti] > 0) {
			return false
		}
	}
	return true
}

// addCurves adds term ti's training and test curves to p, on a logarithmic axis if logScale, and
// pads the axes so that no point sits on the frame.
func addCurves(p *plot.Plot, h *history.History, ti int, logScale bool) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for si, split := range []string{"train", "test"} {
		xys := termXYs(h, ti, split)
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, points.Color = palette[si], palette[si]
		line.Width = vg.Points(1.2)
		points.Radius = vg.Points(1.6)
		if !dotted(h) {
			points.Radius = 0
		}
		if si == 1 {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			points.Radius = 0
		}
		p.Add(data(line), data(points))
		for _, xy := range xys {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	p.Add(plotter.NewGrid())
	epochs := h.Epochs()
	p.X.Min, p.X.Max = 0.5, float64(max(epochs, 1))+0.5
	p.X.Tick.Marker = epochTicks{}
	if !dotted(h) {
		// A long run changes most in its first epochs: on a linear axis they would take the
		// first few percent of the width.
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Min, p.X.Max = 0.8, float64(epochs)*1.25
		p.X.Label.Text = "epoch (log scale)"
	}
	if logScale {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Y.Min, p.Y.Max = lo/math.Pow(hi/lo, 0.06), hi*math.Pow(hi/lo, 0.06)
		if hi == lo {
			p.Y.Min, p.Y.Max = lo/2, hi*2
		}
	} else {
		padRange(&p.Y, lo, hi, 0.06)
	}
	return nil
}

// dotted reports whether a history's training curves get a dot per epoch: up to 200 epochs,
// above which the dots merge into a thick band that hides the line (and the epoch axis is
// logarithmic).
func dotted(h *history.History) bool { return h.Epochs() <= 200 }

// termXYs are the (epoch, value) points of term number ti on one split of a history.
func termXYs(h *history.History, ti int, split string) plotter.XYs {
	var xys plotter.XYs
	for _, r := range h.Rows {
		if r.Split == split {
			xys = append(xys, plotter.XY{X: float64(r.Epoch), Y: r.Values[ti]})
		}
	}
	return xys
}

// Images given to the figures are h*w*c values in [0, 1], row-major with the channels last:
// c = 1 is grey, c = 3 colour (RGB); c is len(image) / (h*w).

// pixel is the colour of pixel (x, y) of an image of h*w*c values.
func pixel(img []float32, h, w, x, y int) color.Color {
	c := len(img) / (h * w)
	at := func(k int) uint8 { return uint8(max(0, min(255, math.Round(float64(img[(y*w+x)*c+k])*255)))) }
	if c < 3 {
		return color.Gray{Y: at(0)}
	}
	return color.RGBA{R: at(0), G: at(1), B: at(2), A: 255}
}

// blank is a grey image (for grey images) or an RGBA one (for colour), filled with mid grey.
func blank(images [][]float32, h, w, width, height int) imagedraw.Image {
	r := image.Rect(0, 0, width, height)
	if len(images) > 0 && len(images[0]) >= 3*h*w {
		m := image.NewRGBA(r)
		for i := range m.Pix {
			m.Pix[i] = 128
			if i%4 == 3 {
				m.Pix[i] = 255
			}
		}
		return m
	}
	m := image.NewGray(r)
	for i := range m.Pix {
		m.Pix[i] = 128
	}
	return m
}

// mosaic tiles equally sized images (grey or colour) into one image with rows x cols cells
// and a 1-pixel gap.
func mosaic(images [][]float32, h, w, rows, cols int) image.Image {
	const gap = 1
	m := blank(images, h, w, cols*(w+gap)-gap, rows*(h+gap)-gap)
	for k, img := range images {
		r, c := k/cols, k%cols
		if r >= rows {
			break
		}
		for y := range h {
			for x := range w {
				m.Set(c*(w+gap)+x, r*(h+gap)+y, pixel(img, h, w, x, y))
			}
		}
	}
	return m
}

// Enlarge turns an image (h*w*c values in [0, 1]) into one whose every pixel is a factor x
// factor block, for showing one small image large.
func Enlarge(img []float32, h, w, factor int) image.Image {
	factor = max(factor, 1)
	out := blank([][]float32{img}, h, w, w*factor, h*factor)
	for y := range h * factor {
		for x := range w * factor {
			out.Set(x, y, pixel(img, h, w, x/factor, y/factor))
		}
	}
	return out
}

// ImageGrid draws images (each h*w*c values in [0, 1], row-major, grey or colour) in rows of cols, with an
// optional label per row (for example "original" and "reconstruction", or class names).
func ImageGrid(images [][]float32, h, w, cols int, rowLabels []string, title, base string) ([]string, error) {
	if len(images) == 0 || cols <= 0 {
		return nil, fmt.Errorf("image grid %s: no images", base)
	}
	rows := (len(images) + cols - 1) / cols
	m := mosaic(images, h, w, rows, cols)
	st := CurrentStyle()
	p := newPlot(st, fitTitle(st, title, st.width()), "", "")
	p.Add(plotter.NewImage(m, 0, 0, float64(cols), float64(rows)))
	p.HideX()
	p.X.Min, p.X.Max = 0, float64(cols)
	p.Y.Min, p.Y.Max = 0, float64(rows)
	labelSpace := vg.Length(0)
	if len(rowLabels) > 0 {
		ticks := make([]plot.Tick, len(rowLabels))
		for i, l := range rowLabels {
			ticks[i] = plot.Tick{Value: float64(rows-i) - 0.5, Label: l}
		}
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Tick.Length = 0
		p.Y.LineStyle.Width = 0
		labelSpace = 2.8 * vg.Centimeter
	} else {
		p.HideY()
	}
	// Cells fill the style's width, up to 1.5 cm each (a few large images stay a sensible size).
	cell := min(1.5*vg.Centimeter, (st.width()-labelSpace-vg.Centimeter)/vg.Length(cols))
	return save([][]*plot.Plot{{p}}, vg.Length(cols)*cell+labelSpace+vg.Centimeter, vg.Length(rows)*cell+vg.Points(st.FontSize*4), base)
}

// LatentManifold draws an n x n grid of images decoded at the latent points
// z = (z0[j], z1[i]) (row 0 at the top holds the largest z1), with the z values of every few
// cells as tick labels (evenly spaced or not, as for normal quantiles).
func LatentManifold(images [][]float32, h, w int, z0, z1 []float64, title, base string) ([]string, error) {
	n := len(z0)
	if n == 0 || len(z1) != n || len(images) != n*n {
		return nil, fmt.Errorf("latent manifold %s: need n*n images for n values of z[0] and z[1], got %d, %d, %d", base, len(images), len(z0), len(z1))
	}
	m := mosaic(images, h, w, n, n)
	st := CurrentStyle()
	side := min(st.width(), 0.8*vg.Centimeter*vg.Length(n)+2*vg.Centimeter)
	p := newPlot(st, fitTitle(st, title, side), "z[0]", "z[1]")
	if step, ok := evenStep(z0); ok && slices.Equal(z0, z1) {
		// An even grid: the axes are z itself, with round ticks; cell k is centred on z0[k].
		lo, hi := z0[0]-step/2, z0[n-1]+step/2
		p.Add(plotter.NewImage(m, lo, lo, hi, hi))
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	} else {
		// Uneven coordinates (quantiles): cell k spans [k, k+1]; its tick sits at its centre with
		// its z value, all with one decimal.
		p.Add(plotter.NewImage(m, 0, 0, float64(n), float64(n)))
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(n), 0, float64(n)
		ticks := func(values []float64) plot.ConstantTicks {
			var t plot.ConstantTicks
			step := max(1, n/6)
			for k := step / 2; k < n; k += step {
				t = append(t, plot.Tick{Value: float64(k) + 0.5, Label: strconv.FormatFloat(values[k], 'f', 1, 64)})
			}
			return t
		}
		p.X.Tick.Marker = ticks(z0)
		p.Y.Tick.Marker = ticks(z1)
	}
	return save([][]*plot.Plot{{p}}, side, side+vg.Points(st.FontSize*2), base)
}

// evenStep returns the step of evenly spaced increasing values.
func evenStep(v []float64) (float64, bool) {
	if len(v) < 2 {
		return 0, false
	}
	step := (v[len(v)-1] - v[0]) / float64(len(v)-1)
	for i := range v {
		if math.Abs(v[i]-(v[0]+float64(i)*step)) > 1e-9*math.Max(1, math.Abs(step)) {
			return 0, false
		}
	}
	return step, step > 0
}

// Point is a point of a figure, in data coordinates.
type Point struct{ X, Y float64 }

// CurveWithReference draws one loss term of a history per epoch (training solid, test dashed),
// in unit, and reference points (published values at given epochs) as black crosses inside the
// frame with their values written where they cover no curve (placedLabels), so that a
// reproduction can be read against its source. A key under the plot says which line is which.
func CurveWithReference(h *history.History, term, unit string, reference []Point, title, base string) ([]string, error) {
	ti := slices.Index(h.Terms, term)
	if ti < 0 || len(h.Rows) == 0 {
		return nil, fmt.Errorf("curve %s: the history has no term %q (terms %v)", base, term, h.Terms)
	}
	st := CurrentStyle()
	p := newPlot(st, title, "epoch", unit)
	if err := addCurves(p, h, ti, false); err != nil {
		return nil, fmt.Errorf("curve %s: %w", base, err)
	}
	key := curveKey(h, "vaekit, "+h.SplitTitle("train"), "vaekit, "+h.SplitTitle("test"))
	if len(reference) > 0 {
		xys := make(plotter.XYs, len(reference))
		labels := make([]string, len(reference))
		lo, hi := p.Y.Min, p.Y.Max
		// A long reference (a log of every epoch) is labelled at its first and last points and
		// at epochs 10, 50, 100, 500, ... (the epochs the results page's tables quote), not all.
		labelled := func(i int) bool {
			n := len(reference)
			return n <= 6 || i == 0 || i == n-1 || slices.Contains([]float64{10, 50, 100, 500, 1000, 5000}, reference[i].X)
		}
		for i, r := range reference {
			xys[i] = plotter.XY{X: r.X, Y: r.Y}
			if labelled(i) {
				labels[i] = strconv.FormatFloat(r.Y, 'f', 2, 64)
			}
			lo, hi = min(lo, r.Y), max(hi, r.Y)
			p.X.Min, p.X.Max = min(p.X.Min, r.X-0.5), max(p.X.Max, r.X+0.5)
		}
		padRange(&p.Y, lo, hi, 0.04)
		// A long reference (a log of every epoch) is a thin black line, crossed where its value
		// is written; a few points are crosses, each with its value.
		var crossed plotter.XYs
		for i, xy := range xys {
			if labels[i] != "" {
				crossed = append(crossed, xy)
			}
		}
		sc, err := plotter.NewScatter(crossed)
		if err != nil {
			return nil, fmt.Errorf("curve %s: %w", base, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3.5), Shape: draw.CrossGlyph{}}
		lines := []plotter.XYs{termXYs(h, ti, "train"), termXYs(h, ti, "test")}
		if len(reference) > 6 {
			refLine, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("curve %s: %w", base, err)
			}
			refLine.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
			p.Add(data(refLine))
			lines = append(lines, xys)
			key = append(key, lineKey("reference, with its values at the crosses", refLine.LineStyle, &sc.GlyphStyle))
		} else {
			key = append(key, glyphKeyEntry("reference, with its values", sc.GlyphStyle))
		}
		values := &placedLabels{at: xys, labels: labels, size: vg.Points(st.FontSize * 0.8),
			lines: lines, points: []plotter.XYs{crossed}, radius: []vg.Length{sc.GlyphStyle.Radius}}
		p.Add(data(sc), values)
	}
	w := st.width()
	return saveWithKey([][]*plot.Plot{{p}}, w, w*0.6, "", key, base)
}
