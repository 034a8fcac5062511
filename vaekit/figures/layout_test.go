package figures

import (
	"fmt"
	"image/color"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/history"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Every figure the package's tests draw passes the layout check, or its function fails.
func TestMain(m *testing.M) {
	StrictLayout(true)
	os.Exit(m.Run())
}

// hardCases draw every figure kind from data shaped like the cases that once collided: class
// means close together, 1,093 epochs, 128 codes, ten overlapping classes of 5,000 points,
// reference values on the curves, three loss terms, a final estimate on a series' last point.
func hardCases() map[string]func(base string) ([]string, error) {
	curve := func(epochs int, terms ...string) *history.History {
		h := &history.History{Terms: terms}
		for e := 1; e <= epochs; e++ {
			f := float64(e)
			train, test := make([]float64, len(terms)), make([]float64, len(terms))
			for j := range terms {
				train[j] = (150 + 40/f) / float64(j+1)
				test[j] = (148 + 38/f + 2*math.Sin(f)) / float64(j+1)
			}
			h.Rows = append(h.Rows, history.Row{Epoch: e, Split: "train", Values: train}, history.Row{Epoch: e, Split: "test", Values: test})
		}
		return h
	}
	three := curve(30, "loss", "reconstruction", "kl")
	long := curve(1093, "loss", "reconstruction", "kl")
	vq := &history.History{Terms: []string{"loss", "reconstruction", "codebook", "commitment"}}
	for e := 1; e <= 30; e++ {
		d := 7976 / float64(e*e)
		vq.Rows = append(vq.Rows, history.Row{Epoch: e, Split: "train", Values: []float64{9000 / float64(e), 800 / float64(e), d, d}},
			history.Row{Epoch: e, Split: "test", Values: []float64{8800 / float64(e), 790 / float64(e), d, d}})
	}
	vqAxes := map[string]history.Axis{"loss": {Unit: "per image", Log: true}, "reconstruction": {Unit: "squared error per image", Log: true},
		"codebook": {Unit: "squared distance per code grid", Log: true}, "commitment": {Unit: "squared distance per code grid", Log: true,
			SameAs: "codebook", Why: "both are the squared distance between the encoder's output and its nearest code"}}
	// The recorded mnist-vqvae's shape: two decades of codebook distance in a panel under a
	// three-line title (its 1-2-5 labels collided before the axis knew its length).
	vq30 := &history.History{Terms: []string{"loss", "reconstruction", "codebook", "commitment"}}
	for e := 1; e <= 30; e++ {
		f := math.Pow(float64(e), 1.3)
		vq30.Rows = append(vq30.Rows, history.Row{Epoch: e, Split: "train", Values: []float64{11000 / f, 25 / math.Sqrt(float64(e)), 8000 / f, 8000 / f}},
			history.Row{Epoch: e, Split: "test", Values: []float64{3000 / f, 17 / math.Sqrt(float64(e)), 2000 / f, 2000 / f}})
	}
	vq30Axes := map[string]history.Axis{"loss": {Unit: "per image (weighted sum)", Log: true}, "reconstruction": {Unit: "squared error per image", Log: true},
		"codebook": {Unit: "squared distance per code grid", Log: true}, "commitment": {Unit: "squared distance per code grid", Log: true,
			SameAs: "codebook", Why: "both are ||z - e||² summed over the grid; they differ only in where the gradient goes"}}
	gan := curve(30, "discriminator_loss", "generator_loss", "real_score", "fake_score")
	// The keras-io VAE's reference values sit on its curves.
	keras := curve(30, "loss")
	onCurve := []Point{{1, 188}, {15, 150.7}, {30, 149.5}}
	// A reference of every epoch (a per-epoch log).
	everyEpoch := curve(100, "loss")
	var log100 []Point
	for e := 1; e <= 100; e++ {
		log100 = append(log100, Point{float64(e), 150 + 38/float64(e) + 0.5})
	}
	images := func(n int) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = make([]float32, 28*28)
			for p := range out[i] {
				x, y := p%28-14, p/28-14
				if r := x*x + y*y; r > 20+3*(i%20) && r < 60+5*(i%20) {
					out[i][p] = 1
				}
			}
		}
		return out
	}
	// Ten classes of 500 points each around means of which 2, 3, 5 and 8 lie within 1.3 and
	// 4 and 9 0.37 apart.
	means := [][]float32{{-4.8, 0.2}, {4.9, -0.4}, {0.3, 0.5}, {0.9, 1.1}, {-1.8, -2.6}, {-0.4, 1.2}, {2.6, 2.9}, {3.8, -3.1}, {1.1, 0.2}, {-1.5, -2.4}}
	var points [][]float32
	var labels []int32
	for i := range 5000 {
		c := i % 10
		a, r := float64(i)*2.399, 0.9*math.Sqrt(float64(i%500)/500)
		points = append(points, []float32{means[c][0] + float32(r*math.Cos(a)), means[c][1] + float32(r*math.Sin(a))})
		labels = append(labels, int32(c))
	}
	var wide [][]float32
	for i, p := range points {
		q := make([]float32, 20)
		for j := range q {
			q[j] = p[j%2]*float32(1+j%3) + float32((i*7+j*13)%17)*0.05
		}
		wide = append(wide, q)
	}
	classes := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	digits := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	counts, codes := codeUsage(128, 50000), codeGrids(10)
	grid := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = -2 + 4*float64(i)/float64(n-1)
		}
		return v
	}
	stages := []Point{{1, 131.2}, {4, 106.9}, {13, 97.3}, {40, 92.8}, {121, 90.4}, {364, 89.2}, {1093, 88.07}}
	return map[string]func(base string) ([]string, error){
		"loss_curves_three_terms":  func(b string) ([]string, error) { return LossCurves(three, nil, "mnist-mlp-vae", b) },
		"loss_curves_1093_epochs":  func(b string) ([]string, error) { return LossCurves(long, nil, "mnist-binarized-vae", b) },
		"loss_curves_vq":           func(b string) ([]string, error) { return LossCurves(vq, vqAxes, "mnist-vqvae", b) },
		"loss_curves_vq_30_epochs": func(b string) ([]string, error) { return LossCurves(vq30, vq30Axes, "mnist-vqvae", b) },
		"loss_curves_gan":          func(b string) ([]string, error) { return LossCurves(gan, nil, "mnist-dcgan", b) },
		"reference_on_curve": func(b string) ([]string, error) {
			return CurveWithReference(keras, "loss", "nats per image", onCurve, "mnist-keras-vae against keras-io", b)
		},
		"reference_every_epoch": func(b string) ([]string, error) {
			return CurveWithReference(everyEpoch, "loss", "nats per image", log100, "fashion-conv-vae against its log", b)
		},
		"trend_final_on_last": func(b string) ([]string, error) {
			return Trend([]Series{{"test NLL, k = 1000, at each stage's end", stages}, {"k = 5000 after the last epoch", []Point{{1093, 88.07}}}},
				[]Level{{86.76, "the IWAE paper, 86.76"}}, "nats per image", "mnist-binarized-vae: likelihood against passes", b)
		},
		"label_clusters_close_means": func(b string) ([]string, error) {
			return LabelClustersMarked(points, labels, digits, means, "mnist-prior-cvae: posterior means", b)
		},
		"label_clusters_pca": func(b string) ([]string, error) {
			return LabelClusters(wide, labels, classes, "fashion-vqvae: posterior means", b)
		},
		"codebook_usage_128": func(b string) ([]string, error) {
			return CodebookUsage(counts, 5.7, 26.0/128, "mnist-vqvae: codebook usage", b)
		},
		"code_map_128": func(b string) ([]string, error) {
			return CodeMap(images(6), codes[:6*49], 28, 28, 7, 7, "mnist-vqvae: codes", b)
		},
		"image_grid_10": func(b string) ([]string, error) {
			return ImageGrid(images(20), 28, 28, 10, []string{"original", "reconstruction"}, "mnist-mlp-vae: test images above their reconstructions", b)
		},
		"image_grid_classes": func(b string) ([]string, error) {
			return ImageGrid(images(100), 28, 28, 10, classes, "fashion-vqvae: samples by class", b)
		},
		"manifold_20": func(b string) ([]string, error) {
			return LatentManifold(images(400), 28, 28, grid(20), grid(20), "fashion-conv-vae: latent manifold", b)
		},
		"kl_per_dimension_50": func(b string) ([]string, error) {
			kl, variances := klFixture(50, 4)
			return KLPerDimension(kl, variances, 0.01, 6.31, "mnist-binarized-vae: KL of each latent dimension", b)
		},
	}
}

// Every figure kind, on the hard cases, passes the layout check.
func TestLayoutOfEveryFigureKind(t *testing.T) {
	dir := t.TempDir()
	cases := hardCases()
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		t.Run(name, func(t *testing.T) {
			if _, err := cases[name](filepath.Join(dir, name)); err != nil {
				t.Error(err)
			}
		})
	}
}

// The check finds each kind of defect in a figure made to have it, and no other.
func TestLayoutCheckFindsEachDefect(t *testing.T) {
	w := CurrentStyle().width()
	style := func(size float64) text.Style {
		return text.Style{Color: color.Black, Font: sans(vg.Points(size)), XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
	}
	line := func(dc draw.Canvas) {
		l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		p := plot.New()
		p.HideAxes()
		p.Add(data(l))
		p.Draw(dc)
	}
	for _, c := range []struct {
		name   string
		width  vg.Length
		draw   func(dc draw.Canvas)
		expect string
	}{
		{"clean", w, func(dc draw.Canvas) {
			dc.FillText(style(9), vg.Point{X: 10, Y: 10}, "one")
			dc.FillText(style(9), vg.Point{X: 60, Y: 10}, "two")
		}, ""},
		{"text on text", w, func(dc draw.Canvas) {
			dc.FillText(style(9), vg.Point{X: 10, Y: 10}, "147.23")
			dc.FillText(style(9), vg.Point{X: 20, Y: 13}, "143.02")
		}, `text "143.02" overlaps text "147.23"`},
		{"rotated text on text", w, func(dc draw.Canvas) {
			s := style(9)
			s.Rotation = math.Pi / 2
			dc.FillText(s, vg.Point{X: 30, Y: 10}, "a long rotated label")
			dc.FillText(style(9), vg.Point{X: 10, Y: 40}, "across it")
		}, `text "across it" overlaps text "a long rotated label"`},
		{"text off the figure", w, func(dc draw.Canvas) {
			dc.FillText(style(9), vg.Point{X: w - 10, Y: 10}, "too far right")
		}, `text "too far right" leaves the figure`},
		{"small type", w, func(dc draw.Canvas) {
			dc.FillText(style(3.5), vg.Point{X: 10, Y: 10}, "17")
		}, `text "17" is 3.5 pt: expected at least 7 pt`},
		{"text on a line", w, func(dc draw.Canvas) {
			line(dc)
			dc.FillText(style(9), vg.Point{X: w / 2, Y: w * 0.3}, "88.07")
		}, `text "88.07" covers data (a line`},
		// From the top of the lower line's box (10 pt up, plus the font's 9 pt less its descent)
		// to the foot of the upper one (7.5 cm less the descent): about 6.9 of the 9 cm.
		{"empty band", w, func(dc draw.Canvas) {
			dc.FillText(style(9), vg.Point{X: 10, Y: 10}, "an axis label")
			dc.FillText(style(9), vg.Point{X: 10, Y: w * 0.5}, "a title far above")
		}, "nothing is drawn from 0.6 to 7.5 cm above the bottom (76% of the figure's height)"},
		{"narrow figure", 13 * vg.Centimeter, func(dc draw.Canvas) {
			dc.FillText(style(9), vg.Point{X: 10, Y: 10}, "one")
		}, "the figure is 13.0 cm wide: expected the style's 15.0 cm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			problems := checkLayout(c.width, w*0.6, c.draw)
			got := strings.Join(problems, "\n")
			if c.expect == "" && got != "" || c.expect != "" && (len(problems) != 1 || !strings.Contains(got, c.expect)) {
				t.Errorf("problems:\n%s\nexpected %s", got, fmt.Sprintf("%q alone", c.expect))
			}
		})
	}
}

// A panel's title is its term's Title where the family gives one, else the term's name in words;
// the run's name is the figure's heading, over the panels.
func TestLossCurvesTitles(t *testing.T) {
	h := &history.History{Terms: []string{"loss", "real_score", "kl"}}
	for e := 1; e <= 3; e++ {
		h.Rows = append(h.Rows, history.Row{Epoch: e, Split: "train", Values: []float64{3, 0.5, 1}}, history.Row{Epoch: e, Split: "test", Values: []float64{3, 0.5, 1}})
	}
	base := filepath.Join(t.TempDir(), "curves")
	paths, err := LossCurves(h, map[string]history.Axis{"kl": {Title: "KL divergence", Unit: "nats per image"}}, "the-run", base)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">KL divergence<", ">real score<", ">loss<", ">the-run<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("%s lacks the text %s", paths[1], want)
		}
	}
	for _, unwanted := range []string{">kl<", ">real_score<"} {
		if strings.Contains(string(svg), unwanted) {
			t.Errorf("%s has the raw term name %s", paths[1], unwanted)
		}
	}
}
