// Package figures draws vaekit's figures with gonum/plot: loss curves, image grids
// (reconstructions, samples) and latent manifolds. Every function writes base+".png",
// base+".svg" and base+".pdf" atomically (a reader never sees a half-written figure) and returns their paths;
// the same inputs give the same bytes.
package figures

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/vaekit/vaekit/vaekit"
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
	var paths []string
	for _, format := range Formats {
		path := base + "." + format
		err := atomicfile.WriteFunc(path, func(w io.Writer) error {
			var canvas vg.CanvasWriterTo
			switch format {
			case "png":
				canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110))}
			case "svg":
				canvas = vgsvg.New(width, height)
			case "pdf":
				canvas = newPDF(width, height)
			}
			tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
				PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
			canvases := plot.Align(rows, tiles, draw.New(canvas))
			for i, row := range rows {
				for j, p := range row {
					if p != nil {
						p.Draw(canvases[i][j])
					}
				}
			}
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

// LossCurves draws every loss term of a history per epoch, one panel per term, training as a
// solid line and test as a dashed one. logScale draws the y axes logarithmically.
func LossCurves(h *vaekit.History, title string, logScale bool, base string) ([]string, error) {
	if len(h.Rows) == 0 {
		return nil, fmt.Errorf("loss curves %s: the history is empty", base)
	}
	var rows [][]*plot.Plot
	for ti, term := range h.Terms {
		p := plot.New()
		p.Title.Text = term
		if ti == 0 && title != "" {
			p.Title.Text = title + ": " + term
		}
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = "nats per image"
		if logScale {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		}
		for si, split := range []string{"train", "test"} {
			xys := termXYs(h, ti, split)
			if len(xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("loss curves %s, term %s: %w", base, term, err)
			}
			line.Color = palette[si]
			points.Color = palette[si]
			points.Radius = vg.Points(1.5)
			if si == 1 {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(line, points)
			p.Legend.Add(split, line, points)
		}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		rows = append(rows, []*plot.Plot{p})
	}
	return save(rows, 14*vg.Centimeter, vg.Length(len(rows))*6*vg.Centimeter, base)
}

// termXYs are the (epoch, value) points of term number ti on one split of a history.
func termXYs(h *vaekit.History, ti int, split string) plotter.XYs {
	var xys plotter.XYs
	for _, r := range h.Rows {
		if r.Split == split {
			xys = append(xys, plotter.XY{X: float64(r.Epoch), Y: r.Values[ti]})
		}
	}
	return xys
}

var palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
}

// mosaic tiles equally sized grayscale images (values in [0, 1]) into one image with rows x
// cols cells and a 1-pixel gap.
func mosaic(images [][]float32, h, w, rows, cols int) *image.Gray {
	const gap = 1
	m := image.NewGray(image.Rect(0, 0, cols*(w+gap)-gap, rows*(h+gap)-gap))
	for i := range m.Pix {
		m.Pix[i] = 128
	}
	for k, img := range images {
		r, c := k/cols, k%cols
		if r >= rows {
			break
		}
		for y := range h {
			for x := range w {
				v := math.Round(float64(img[y*w+x]) * 255)
				m.SetGray(c*(w+gap)+x, r*(h+gap)+y, color.Gray{Y: uint8(max(0, min(255, v)))})
			}
		}
	}
	return m
}

// Enlarge turns a grayscale image (h*w values in [0, 1], row-major) into an image whose every
// pixel is a factor x factor block, for showing one small image large.
func Enlarge(img []float32, h, w, factor int) *image.Gray {
	factor = max(factor, 1)
	out := image.NewGray(image.Rect(0, 0, w*factor, h*factor))
	for y := range h * factor {
		for x := range w * factor {
			v := math.Round(float64(img[(y/factor)*w+x/factor]) * 255)
			out.SetGray(x, y, color.Gray{Y: uint8(max(0, min(255, v)))})
		}
	}
	return out
}

// ImageGrid draws images (each h*w values in [0, 1], row-major) in rows of cols, with an
// optional label per row (for example "original" and "reconstruction", or class names).
func ImageGrid(images [][]float32, h, w, cols int, rowLabels []string, title, base string) ([]string, error) {
	if len(images) == 0 || cols <= 0 {
		return nil, fmt.Errorf("image grid %s: no images", base)
	}
	rows := (len(images) + cols - 1) / cols
	m := mosaic(images, h, w, rows, cols)
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewImage(m, 0, 0, float64(cols), float64(rows)))
	p.HideX()
	p.X.Min, p.X.Max = 0, float64(cols)
	p.Y.Min, p.Y.Max = 0, float64(rows)
	if len(rowLabels) > 0 {
		ticks := make([]plot.Tick, len(rowLabels))
		for i, l := range rowLabels {
			ticks[i] = plot.Tick{Value: float64(rows-i) - 0.5, Label: l}
		}
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Tick.Length = 0
		p.Y.LineStyle.Width = 0
	} else {
		p.HideY()
	}
	cell := 0.9 * vg.Centimeter
	labelSpace := vg.Length(0)
	if len(rowLabels) > 0 {
		labelSpace = 3 * vg.Centimeter
	}
	return save([][]*plot.Plot{{p}}, vg.Length(cols)*cell+labelSpace+vg.Centimeter, vg.Length(rows)*cell+1.5*vg.Centimeter, base)
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
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "z[0]"
	p.Y.Label.Text = "z[1]"
	// Cell k spans [k, k+1] on both axes; its tick sits at its centre with its z value.
	p.Add(plotter.NewImage(m, 0, 0, float64(n), float64(n)))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(n), 0, float64(n)
	ticks := func(values []float64) plot.ConstantTicks {
		var t plot.ConstantTicks
		step := max(1, n/5)
		for k := 0; k < n; k += step {
			t = append(t, plot.Tick{Value: float64(k) + 0.5, Label: strconv.FormatFloat(values[k], 'g', 2, 64)})
		}
		return t
	}
	p.X.Tick.Marker = ticks(z0)
	p.Y.Tick.Marker = ticks(z1)
	side := vg.Length(n)*0.75*vg.Centimeter + 2*vg.Centimeter
	return save([][]*plot.Plot{{p}}, side, side, base)
}

// Point is a point of a figure, in data coordinates.
type Point struct{ X, Y float64 }

// CurveWithReference draws one loss term of a history per epoch (training solid, test dashed)
// and reference points (published values at given epochs) as black crosses, so that a
// reproduction can be read against its source.
func CurveWithReference(h *vaekit.History, term string, reference []Point, title, base string) ([]string, error) {
	ti := slices.Index(h.Terms, term)
	if ti < 0 || len(h.Rows) == 0 {
		return nil, fmt.Errorf("curve %s: the history has no term %q (terms %v)", base, term, h.Terms)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = term + " per image"
	for si, split := range []string{"train", "test"} {
		xys := termXYs(h, ti, split)
		if len(xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("curve %s: %w", base, err)
		}
		line.Color = palette[si]
		if si == 1 {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(line)
		p.Legend.Add("vaekit "+split, line)
	}
	if len(reference) > 0 {
		xys := make(plotter.XYs, len(reference))
		for i, r := range reference {
			xys[i] = plotter.XY{X: r.X, Y: r.Y}
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("curve %s: %w", base, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		p.Add(s)
		p.Legend.Add("reference", s)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return save([][]*plot.Plot{{p}}, 14*vg.Centimeter, 9*vg.Centimeter, base)
}
