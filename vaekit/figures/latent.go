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
	// gonum stacks entries by their text's ascent alone; a fifth of the type size between them
	// keeps one entry's descenders off the next one's capitals.
	legend.Padding = vg.Points(st.FontSize * 0.2)
	for c, pts := range perClass {
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("label clusters %s: %w", base, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: classColors[c], Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}
		if len(points) > 1000 {
			// A dense cloud is drawn translucent, so that where classes overlap both show.
			sc.GlyphStyle.Color = translucent(classColors[c], 0.35)
		}
		p.Add(data(sc))
		key := *sc
		key.GlyphStyle.Color = classColors[c]
		key.GlyphStyle.Radius = vg.Points(3) // larger in the key than in the cloud
		legend.Add(classNames[c], &key)
	}
	// The class names go where they cover no point, joined to their means by leader lines.
	names := &placedLabels{size: vg.Points(st.FontSize)}
	for _, pts := range perClass {
		names.points, names.radius = append(names.points, pts), append(names.radius, vg.Points(1.2))
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
		p.Add(data(outline), data(cross))
		names.at, names.labels = append(names.at, at[0]), append(names.labels, classNames[c])
		names.points, names.radius = append(names.points, at), append(names.radius, outline.GlyphStyle.Radius)
		xy = append(xy, [2]float64{float64(m[0]), float64(m[1])})
	}
	if len(marks) > 0 {
		p.Add(names)
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

// translucent is c with opacity alpha (premultiplied, as color.RGBA holds it).
func translucent(c color.Color, alpha float64) color.Color {
	r, g, b, _ := c.RGBA()
	f := func(v uint32) uint8 { return uint8(float64(v>>8) * alpha) }
	return color.RGBA{f(r), f(g), f(b), uint8(255 * alpha)}
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
	p := newPlot(st, fitTitle(st, fmt.Sprintf("%s\nperplexity %.1f of %d codes; %d in use (%.0f%%), %d never chosen", title, perplexity, len(counts), used,
		100*inUse, len(counts)-used), st.width()), "codes in order of use (rank)", "grid positions (log scale)")
	// A rank-frequency line (bars would start at 0, which a logarithmic axis cannot show).
	// log10 of the counts on a linear axis labelled as a logarithmic one (log10Ticks): with
	// plot.LogScale, gonum v0.15.2 reserves room for the vertical axis's label centred at the
	// arithmetic mean of the axis's ends, which over six decades sits near the top, and pushes
	// the frame down by half the label's length (an empty band under the title).
	values := make(plotter.XYs, used)
	for i := range values {
		values[i] = plotter.XY{X: float64(i), Y: math.Log10(float64(sorted[i]))}
	}
	w := st.width()
	line, points, err := plotter.NewLinePoints(values)
	if err != nil {
		return nil, fmt.Errorf("codebook usage %s: %w", base, err)
	}
	line.Color, points.Color = palette[0], palette[0]
	line.StepStyle = plotter.MidStep
	points.Radius = vg.Points(1.8)
	p.Add(plotter.NewGrid(), data(line), data(points))
	p.Y.Tick.Marker = log10Ticks{}
	p.Y.Min, p.Y.Max = math.Log10(math.Max(0.5, float64(sorted[used-1])/2)), math.Log10(float64(sorted[0])*2)
	p.X.Min, p.X.Max = -0.6, float64(used)-0.4
	p.X.Tick.Marker = rankTicks{}
	// At least 7 cm high: the axis label and the title need it on a narrow figure.
	return save([][]*plot.Plot{{p}}, w, max(w*0.55, 7*vg.Centimeter), base)
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
	for r := max(step, 2); r <= n; r += step {
		ticks = append(ticks, plot.Tick{Value: float64(r - 1), Label: strconv.Itoa(r)})
	}
	return ticks
}

// CodeMap draws a few images (h*w values in [0, 1]) above their VQ-VAE code grids (gh*gw code
// indices each). The seven codes used most in the grids shown have a colour each and the others
// one grey, so that the eye can follow a code from grid to grid (a colour for each of 128 codes
// could not be told apart); a key under the figure names them. Where a cell is large enough for
// type of MinFontSize or more at the figure's width, each cell also has its code written in it,
// on a lighter shade. The grids and images are one raster with the indices on top (so every
// format has the same bytes for the same input).
func CodeMap(images [][]float32, codes []int32, h, w, gh, gw int, title, base string) ([]string, error) {
	n := len(images)
	if n == 0 || gh <= 0 || gw <= 0 || len(codes) != n*gh*gw {
		return nil, fmt.Errorf("code map %s: %d images and %d codes: expected %d codes (%dx%d per image)", base, n, len(codes), n*gh*gw, gh, gw)
	}
	st := CurrentStyle()
	tile := min(4.5*vg.Centimeter, (st.width()-vg.Centimeter)/vg.Length(n))
	cell := tile / vg.Length(max(gh, gw))
	fontSize := min(cell*0.42, vg.Points(st.FontSize))
	numbered := fontSize >= MinFontSize
	top := mostUsed(codes, len(palette)-1)
	colorOf := func(code int32) color.Color {
		c := color.Color(color.RGBA{200, 200, 200, 255})
		if k := slices.Index(top, code); k >= 0 {
			c = palette[k]
		}
		if numbered {
			c = tint(c)
		}
		return c
	}
	const gap = 1
	width, height := n*(w+gap)-gap, 2*h+gap
	raster := image.NewRGBA(image.Rect(0, 0, width, height))
	for i := range raster.Pix {
		raster.Pix[i] = 255
	}
	var labels plotter.XYLabels
	for k := range n {
		x0 := k * (w + gap)
		grid := codes[k*gh*gw : (k+1)*gh*gw]
		for y := range h {
			for x := range w {
				raster.Set(x0+x, y, pixel(images[k], h, w, x, y))
				raster.Set(x0+x, h+gap+y, colorOf(grid[(y*gh/h)*gw+x*gw/w]))
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
	p.Title.Text = fitTitle(st, title, st.width())
	p.Title.TextStyle.Font = sans(vg.Points(st.FontSize * 1.15))
	p.Add(plotter.NewImage(raster, 0, 0, float64(width), float64(height)))
	if numbered {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, fmt.Errorf("code map %s: %w", base, err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font = sans(fontSize)
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		}
		p.Add(l)
	}
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(width), 0, float64(height)
	counts := map[int32]int{}
	for _, c := range codes {
		counts[c]++
	}
	var key []keyEntry
	for _, code := range top {
		key = append(key, swatchKey(fmt.Sprintf("code %d (%d cells)", code, counts[code]), colorOf(code)))
	}
	if len(counts) > len(top) {
		key = append(key, swatchKey(fmt.Sprintf("the other %d codes", len(counts)-len(top)), colorOf(-1)))
	}
	return saveWithKey([][]*plot.Plot{{p}}, vg.Length(n)*tile+vg.Centimeter, 2*tile+1.5*vg.Centimeter, "", key, base)
}

// mostUsed are the k codes that occur most often, most used first (ties: the lower code).
func mostUsed(codes []int32, k int) []int32 {
	counts := map[int32]int{}
	for _, c := range codes {
		counts[c]++
	}
	order := make([]int32, 0, len(counts))
	for c := range counts {
		order = append(order, c)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return int(a - b)
	})
	return order[:min(k, len(order))]
}

// tint is c halfway to white: a background that black digits stay legible on.
func tint(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8 + 255) / 2) }
	return color.RGBA{mix(r), mix(g), mix(b), 255}
}
