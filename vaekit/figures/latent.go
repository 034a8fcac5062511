package figures

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PCA2 projects points (each of the same dimension d >= 2) onto their first two principal
// components and returns the projections and the fraction of the total variance they explain.
// The components are gonum's (stat.PC, a singular value decomposition); each one's sign is chosen
// so that its largest entry is positive, so the same points always give the same figure.
func PCA2(points [][]float32) (proj [][2]float64, explained float64, err error) {
	if len(points) < 2 {
		return nil, 0, fmt.Errorf("PCA: %d points: expected at least 2", len(points))
	}
	d := len(points[0])
	if d < 2 {
		return nil, 0, fmt.Errorf("PCA: points of dimension %d: expected at least 2", d)
	}
	data := make([]float64, 0, len(points)*d)
	mean := make([]float64, d)
	for i, p := range points {
		if len(p) != d {
			return nil, 0, fmt.Errorf("PCA: point %d has %d values, point 0 has %d", i, len(p), d)
		}
		for j, v := range p {
			data = append(data, float64(v))
			mean[j] += float64(v) / float64(len(points))
		}
	}
	var pc stat.PC
	if !pc.PrincipalComponents(mat.NewDense(len(points), d, data), nil) {
		return nil, 0, fmt.Errorf("PCA: the decomposition of %d points of dimension %d failed", len(points), d)
	}
	vars := pc.VarsTo(nil)
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	var components [2][]float64
	for c := range 2 {
		v := mat.Col(nil, c, &vecs)
		// One sign per component, for the same figure every time: its largest entry positive.
		big := 0
		for j := range v {
			if math.Abs(v[j]) > math.Abs(v[big]) {
				big = j
			}
		}
		if v[big] < 0 {
			for j := range v {
				v[j] = -v[j]
			}
		}
		components[c] = v
	}
	proj = make([][2]float64, len(points))
	for i, p := range points {
		for c := range 2 {
			for j, x := range p {
				proj[i][c] += (float64(x) - mean[j]) * components[c][j]
			}
		}
	}
	var total float64
	for _, v := range vars {
		total += v
	}
	if total > 0 {
		explained = min((vars[0]+vars[1])/total, 1)
	}
	return proj, explained, nil
}

// LabelClusters draws the latent points of labelled images as a scatter coloured by class,
// with a legend of class names. Points of more than two dimensions are projected onto their
// first two principal components, as the axis labels and the title say.
func LabelClusters(points [][]float32, labels []int32, classNames []string, title, base string) ([]string, error) {
	return LabelClustersMarked(points, labels, classNames, nil, title, base)
}

// LabelClustersMarked is LabelClusters with one marked point per class drawn over the scatter
// (for example the class-prior CVAE's learned prior means): a large cross in the class's
// colour, outlined in black, with the class name beside it. Marks need 2-D points (a
// projection of the marks would not be the model's own coordinates).
func LabelClustersMarked(points [][]float32, labels []int32, classNames []string, marks [][]float32, title, base string) ([]string, error) {
	if marks != nil && (len(marks) != len(classNames) || len(points) == 0 || len(points[0]) != 2) {
		return nil, fmt.Errorf("label clusters %s: %d marks for %d classes: expected one 2-D mark per class, over 2-D points", base, len(marks), len(classNames))
	}
	if len(points) == 0 || len(points) != len(labels) {
		return nil, fmt.Errorf("label clusters %s: %d points and %d labels: expected one label per point", base, len(points), len(labels))
	}
	if len(classNames) > len(classColors) {
		return nil, fmt.Errorf("label clusters %s: %d classes: at most %d can be told apart by colour", base, len(classNames), len(classColors))
	}
	xy := make([][2]float64, len(points))
	xLabel, yLabel := "z[0]", "z[1]"
	switch d := len(points[0]); {
	case d == 2:
		for i, p := range points {
			xy[i] = [2]float64{float64(p[0]), float64(p[1])}
		}
	case d > 2:
		var explained float64
		var err error
		if xy, explained, err = PCA2(points); err != nil {
			return nil, fmt.Errorf("label clusters %s: %w", base, err)
		}
		xLabel, yLabel = "principal component 1", "principal component 2"
		title = fmt.Sprintf("%s (PCA of %d-D latents, %.0f%% of variance)", title, d, 100*explained)
	default:
		return nil, fmt.Errorf("label clusters %s: 1-D latents: expected 2 or more dimensions", base)
	}
	perClass := make([]plotter.XYs, len(classNames))
	for i, l := range labels {
		if l < 0 || int(l) >= len(classNames) {
			return nil, fmt.Errorf("label clusters %s: label %d of point %d: expected a class in [0, %d)", base, l, i, len(classNames))
		}
		perClass[l] = append(perClass[l], plotter.XY{X: xy[i][0], Y: xy[i][1]})
	}
	st := CurrentStyle()
	w := st.width()
	keyWidth := 3.2 * vg.Centimeter
	p := newPlot(st, fitTitle(st, title, w-keyWidth), xLabel, yLabel)
	legend := plot.NewLegend()
	legend.TextStyle.Font = sans(vg.Points(st.FontSize * 0.9))
	legend.Top, legend.Left = true, true
	for c, pts := range perClass {
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("label clusters %s: %w", base, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: classColors[c], Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		key := *sc
		key.GlyphStyle.Radius = vg.Points(3) // larger in the key than in the cloud
		legend.Add(classNames[c], &key)
	}
	for c, m := range marks {
		at := plotter.XYs{{X: float64(m[0]), Y: float64(m[1])}}
		outline, err := plotter.NewScatter(at)
		if err != nil {
			return nil, fmt.Errorf("label clusters %s: %w", base, err)
		}
		outline.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(6), Shape: draw.CrossGlyph{}}
		cross, _ := plotter.NewScatter(at)
		cross.GlyphStyle = draw.GlyphStyle{Color: classColors[c], Radius: vg.Points(4.5), Shape: draw.CrossGlyph{}}
		names, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: []string{classNames[c]}})
		if err != nil {
			return nil, fmt.Errorf("label clusters %s: %w", base, err)
		}
		names.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(2)}
		for i := range names.TextStyle {
			names.TextStyle[i].Font = sans(vg.Points(st.FontSize))
		}
		p.Add(outline, cross, names)
		xy = append(xy, [2]float64{float64(m[0]), float64(m[1])})
	}
	if len(marks) > 0 {
		outline := draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
		legend.Add("learned mean", glyphKey(outline))
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, q := range xy {
		xlo, xhi, ylo, yhi = min(xlo, q[0]), max(xhi, q[0]), min(ylo, q[1]), max(yhi, q[1])
	}
	padRange(&p.X, xlo, xhi, 0.04)
	padRange(&p.Y, ylo, yhi, 0.04)
	p.Add(plotter.NewGrid())
	// The key sits in a column of its own right of the axes, so that it covers no point.
	return saveDrawn(w, w*0.8, base, func(dc draw.Canvas) {
		left := draw.Crop(dc, 0, -keyWidth, 0, 0)
		p.Draw(draw.Crop(left, vg.Millimeter*2, -vg.Millimeter*2, vg.Millimeter*2, -vg.Millimeter*2))
		right := draw.Crop(dc, w-keyWidth, 0, 0, -vg.Points(st.FontSize*3))
		legend.Draw(right)
	})
}

// glyphKey is a legend entry drawing one glyph.
type glyphKey draw.GlyphStyle

func (g glyphKey) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(draw.GlyphStyle(g), c.Center())
}

// CodebookUsage draws how often each code of a VQ-VAE codebook is the nearest code (counts
// indexed by code), most used first on a logarithmic axis (one background code can take most of
// the positions), with the perplexity and the share of codes in use in the title; codes never
// used are counted in the title, not drawn.
func CodebookUsage(counts []int, perplexity, inUse float64, title, base string) ([]string, error) {
	if len(counts) == 0 {
		return nil, fmt.Errorf("codebook usage %s: no codes", base)
	}
	sorted := slices.Clone(counts)
	slices.SortFunc(sorted, func(a, b int) int { return b - a })
	used := 0
	for used < len(sorted) && sorted[used] > 0 {
		used++
	}
	if used == 0 {
		return nil, fmt.Errorf("codebook usage %s: no code is used", base)
	}
	st := CurrentStyle()
	p := newPlot(st, fmt.Sprintf("%s\nperplexity %.1f of %d codes; %d in use (%.0f%%), %d never chosen", title, perplexity, len(counts), used,
		100*inUse, len(counts)-used), "codes in order of use (rank)", "grid positions (log scale)")
	// A rank-frequency line (bars would start at 0, which a logarithmic axis cannot show).
	values := make(plotter.XYs, used)
	for i := range values {
		values[i] = plotter.XY{X: float64(i), Y: float64(sorted[i])}
	}
	w := st.width()
	line, points, err := plotter.NewLinePoints(values)
	if err != nil {
		return nil, fmt.Errorf("codebook usage %s: %w", base, err)
	}
	line.Color, points.Color = palette[0], palette[0]
	line.StepStyle = plotter.MidStep
	points.Radius = vg.Points(1.8)
	p.Add(plotter.NewGrid(), line, points)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Y.Min, p.Y.Max = math.Max(0.5, values[used-1].Y/2), values[0].Y*2
	p.X.Min, p.X.Max = -0.6, float64(used)-0.4
	p.X.Tick.Marker = rankTicks{}
	return save([][]*plot.Plot{{p}}, w, w*0.55, base)
}

// rankTicks label ranks (the code of rank r is at x = r - 1) at 1 and at multiples of a 1-2-5
// step that gives about five labels.
type rankTicks struct{}

func (rankTicks) Ticks(lo, hi float64) []plot.Tick {
	n := int(hi) + 1
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		step = s
		if n/s <= 6 {
			break
		}
	}
	ticks := []plot.Tick{{Value: 0, Label: "1"}}
	for r := step; r <= n; r += step {
		ticks = append(ticks, plot.Tick{Value: float64(r - 1), Label: strconv.Itoa(r)})
	}
	return ticks
}

// CodeMap draws a few images (h*w values in [0, 1]) above their VQ-VAE code grids (gh*gw code
// indices each, one colour per code, the index written in each cell). The figure is one raster
// with the indices on top (one image, so every format, PDF included, has the same bytes for
// the same input).
func CodeMap(images [][]float32, codes []int32, h, w, gh, gw int, title, base string) ([]string, error) {
	n := len(images)
	if n == 0 || gh <= 0 || gw <= 0 || len(codes) != n*gh*gw {
		return nil, fmt.Errorf("code map %s: %d images and %d codes: expected %d codes (%dx%d per image)", base, n, len(codes), n*gh*gw, gh, gw)
	}
	const gap = 1
	width, height := n*(w+gap)-gap, 2*h+gap
	raster := image.NewRGBA(image.Rect(0, 0, width, height))
	for i := range raster.Pix {
		raster.Pix[i] = 128
	}
	var labels plotter.XYLabels
	for k := range n {
		x0 := k * (w + gap)
		grid := codes[k*gh*gw : (k+1)*gh*gw]
		for y := range h {
			for x := range w {
				raster.Set(x0+x, y, pixel(images[k], h, w, x, y))
				raster.Set(x0+x, h+gap+y, codeColor(grid[(y*gh/h)*gw+x*gw/w]))
			}
		}
		for r := range gh {
			for c := range gw {
				// Plot coordinates: x to the right, y upwards from the bottom of the raster.
				cx := float64(x0) + (float64(c)+0.5)*float64(w)/float64(gw)
				cy := float64(h) - (float64(r)+0.5)*float64(h)/float64(gh)
				labels.XYs = append(labels.XYs, plotter.XY{X: cx, Y: cy})
				labels.Labels = append(labels.Labels, strconv.Itoa(int(grid[r*gw+c])))
			}
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewImage(raster, 0, 0, float64(width), float64(height)))
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("code map %s: %w", base, err)
	}
	// Each image is a tile of the style's width; the code indices are sized to fill their cells.
	st := CurrentStyle()
	tile := min(4.5*vg.Centimeter, (st.width()-vg.Centimeter)/vg.Length(n))
	cell := tile / vg.Length(max(gh, gw))
	for i := range l.TextStyle {
		l.TextStyle[i].Font = sans(min(cell*0.42, vg.Points(st.FontSize)))
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(l)
	p.HideAxes()
	p.Title.TextStyle.Font = sans(vg.Points(st.FontSize * 1.15))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(width), 0, float64(height)
	return save([][]*plot.Plot{{p}}, vg.Length(n)*tile+vg.Centimeter, 2*tile+1.5*vg.Centimeter, base)
}

// codeColor gives every code index a light colour of its own (a fixed hash into hue).
func codeColor(code int32) color.Color {
	hue := math.Mod(float64(code)*0.618033988749895, 1) * 6
	x := 1 - math.Abs(math.Mod(hue, 2)-1)
	var r, g, b float64
	switch int(hue) {
	case 0:
		r, g = 1, x
	case 1:
		r, g = x, 1
	case 2:
		g, b = 1, x
	case 3:
		g, b = x, 1
	case 4:
		r, b = x, 1
	default:
		r, b = 1, x
	}
	light := func(v float64) uint8 { return uint8(255 * (0.55 + 0.45*v)) }
	return color.RGBA{light(r), light(g), light(b), 255}
}
