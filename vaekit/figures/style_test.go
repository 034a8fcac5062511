package figures

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/history"
	"gonum.org/v1/plot"
)

// Ticks step by 1, 2 or 5 times a power of ten, at most maxLabels of them labelled, and share one
// number format: as many decimals as the finest needs.
func TestSameDecimals(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0, 1.6, []string{"0.0", "0.5", "1.0", "1.5"}},
		{100, 135, []string{"100", "110", "120", "130"}},
		{-2, 2, []string{"-2", "-1", "0", "1", "2"}},
		// gonum's own ticks label 150, 210, 270 here (a step of 60).
		{125, 280, []string{"150", "200", "250"}},
		{-0.013, 0.0021, []string{"-0.010", "-0.005", "0.000"}},
		{0.5, 0.5004, []string{"0.5000", "0.5001", "0.5002", "0.5003", "0.5004"}},
	} {
		got := labels(sameDecimals{}, c.lo, c.hi)
		if !slices.Equal(got, c.want) {
			t.Errorf("ticks of [%g, %g]: %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// SetStyle refuses sizes out of range, and the PNG's pixel width is the width in inches
// times the resolution.
func TestStyle(t *testing.T) {
	defer SetStyle(DefaultStyle)
	for _, bad := range []Style{{Width: 2}, {DPI: 10}, {FontSize: 40}} {
		if err := SetStyle(bad); err == nil {
			t.Errorf("SetStyle(%+v): want an error", bad)
		}
	}
	if got := CurrentStyle(); got != DefaultStyle {
		t.Errorf("after refused styles: %+v, want the default %+v", got, DefaultStyle)
	}
	for _, s := range []Style{{Width: 15, DPI: 150}, {Width: 8, DPI: 300}} {
		if err := SetStyle(s); err != nil {
			t.Fatal(err)
		}
		paths, err := CodebookUsage([]int{5, 0, 3, 9}, 2.7, 0.75, "u", filepath.Join(t.TempDir(), "u"))
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, paths[0])
		want := int(s.Width / 2.54 * float64(s.DPI))
		if w := img.Bounds().Dx(); w < want-1 || w > want+1 {
			t.Errorf("style %+v: PNG %d pixels wide, want %d", s, w, want)
		}
	}
}

// Each panel's axis carries its term's unit; a term equal to another by construction (and in
// the data) shares that term's panel with the reason written; unequal data keeps both panels.
func TestLossCurvesPanels(t *testing.T) {
	equal := &history.History{Terms: []string{"loss", "reconstruction"}, Rows: []history.Row{
		{Epoch: 1, Split: "train", Values: []float64{70, 70}}, {Epoch: 2, Split: "train", Values: []float64{65, 65}}}}
	axes := map[string]history.Axis{"loss": {Unit: "nats per image", SameAs: "reconstruction", Why: "the objective is the reconstruction"},
		"reconstruction": {Unit: "nats per image"}}
	svg := func(h *history.History) string {
		paths, err := LossCurves(h, axes, "run", filepath.Join(t.TempDir(), "c"))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(paths[1])
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	merged := svg(equal)
	for _, want := range []string{"reconstruction = loss", "the objective is the reconstruction", "nats per image"} {
		if !strings.Contains(merged, want) {
			t.Errorf("equal terms: the figure lacks %q", want)
		}
	}
	unequal := &history.History{Terms: equal.Terms, Rows: []history.Row{
		{Epoch: 1, Split: "train", Values: []float64{70, 69}}, {Epoch: 2, Split: "train", Values: []float64{65, 65}}}}
	if s := svg(unequal); strings.Contains(s, "reconstruction = loss") || strings.Count(s, ">epoch<") != 2 {
		t.Errorf("unequal terms: merged into one panel, or not two panels (%d epoch axes)", strings.Count(s, ">epoch<"))
	}
}

var updateFigures = flag.Bool("update-figures", false, "rewrite the reference images of TestReferenceImages (on purpose only: review the change)")

// Every figure kind, drawn from fixed data in the default style, matches its committed reference
// image pixel for pixel (testdata/reference/*.png), so a change of style shows in review.
// Regenerate on purpose: go test ./vaekit/figures -run TestReferenceImages -update-figures.
func TestReferenceImages(t *testing.T) {
	defer SetStyle(DefaultStyle)
	if err := SetStyle(DefaultStyle); err != nil {
		t.Fatal(err)
	}
	hist := &history.History{Terms: []string{"loss", "reconstruction", "kl"}}
	for e := 1; e <= 8; e++ {
		f := float64(e)
		hist.Rows = append(hist.Rows, history.Row{Epoch: e, Split: "train", Values: []float64{180 - 40/f + 3, 170 - 40/f, 3 + 10/f}},
			history.Row{Epoch: e, Split: "test", Values: []float64{178 - 35/f + 3, 168 - 35/f, 3.2 + 9/f}})
	}
	vq := &history.History{Terms: []string{"loss", "reconstruction", "codebook", "commitment"}}
	for e := 1; e <= 6; e++ {
		d := 2 / float64(e*e)
		vq.Rows = append(vq.Rows, history.Row{Epoch: e, Split: "train", Values: []float64{900 / float64(e), 80 / float64(e), d, d}})
	}
	vqAxes := map[string]history.Axis{"loss": {Unit: "per image", Log: true}, "reconstruction": {Unit: "squared error per image", Log: true},
		"codebook": {Unit: "squared distance per code grid", Log: true}, "commitment": {Unit: "squared distance per code grid", Log: true,
			SameAs: "codebook", Why: "both are ||z - e||²"}}
	digits := make([][]float32, 20)
	for i := range digits {
		digits[i] = make([]float32, 28*28)
		for p := range digits[i] {
			x, y := p%28-14, p/28-14
			if r := x*x + y*y; r > 20+3*i && r < 60+5*i {
				digits[i][p] = 1
			}
		}
	}
	var points [][]float32
	var labels []int32
	for i := range 300 {
		c := i % 10
		points = append(points, []float32{float32(c%5) + float32(i%7)*0.08, float32(c/5)*2 + float32(i%11)*0.07})
		labels = append(labels, int32(c))
	}
	classes := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	counts, codes := codeUsage(32, 5000), codeGrids(3)
	kinds := map[string]func(base string) ([]string, error){
		"loss_curves":    func(b string) ([]string, error) { return LossCurves(hist, nil, "vae run", b) },
		"loss_curves_vq": func(b string) ([]string, error) { return LossCurves(vq, vqAxes, "vq-vae run", b) },
		"image_grid": func(b string) ([]string, error) {
			return ImageGrid(digits, 28, 28, 10, []string{"original", "reconstruction"}, "test images above their reconstructions", b)
		},
		"manifold": func(b string) ([]string, error) {
			return LatentManifold(digits[:16], 28, 28, NormalQuantilesForTest(4), NormalQuantilesForTest(4), "latent manifold", b)
		},
		"label_clusters": func(b string) ([]string, error) {
			return LabelClustersMarked(points, labels, classes, [][]float32{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {0, 2}, {1, 2}, {2, 2}, {3, 2}, {4, 2}},
				"posterior means", b)
		},
		"codebook_usage": func(b string) ([]string, error) { return CodebookUsage(counts, 9.1, 0.6, "codebook usage", b) },
		"kl_per_dimension": func(b string) ([]string, error) {
			// 20 dimensions, 6 of them collapsed (variance of the mean 0.001, KL near 0).
			kl, variances := klFixture(20, 7)
			return KLPerDimension(kl, variances, 0.01, 6.31, "vae run: KL of each latent dimension", b)
		},
		"code_map": func(b string) ([]string, error) { return CodeMap(digits[:3], codes, 28, 28, 7, 7, "codes", b) },
		"trend": func(b string) ([]string, error) {
			stages := []Point{{1, 131.2}, {4, 106.9}, {13, 97.3}, {40, 92.8}, {121, 90.4}, {364, 89.2}, {1093, 88.6}}
			return Trend([]Series{{"test NLL, k = 500, at each stage's end", stages}, {"k = 5000 after the last epoch", []Point{{1093, 87.9}}}},
				[]Level{{86.76, "the IWAE paper, 86.76"}}, "nats per image", "likelihood against passes", b)
		},
		"reference_curve": func(b string) ([]string, error) {
			return CurveWithReference(hist, "loss", "nats per image", []Point{{1, 150}, {4, 172}, {8, 178}}, "against the reference", b)
		},
	}
	dir := t.TempDir()
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range kinds {
			if !yield(k) {
				return
			}
		}
	}) {
		paths, err := kinds[name](filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref := filepath.Join("testdata", "reference", name+".png")
		if *updateFigures {
			data, err := os.ReadFile(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(ref, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(ref); err != nil {
			t.Errorf("%s: no reference image (%v); create it with -update-figures and review it", name, err)
			continue
		}
		if diff := pixelDifference(decodePNG(t, ref), decodePNG(t, paths[0])); diff != "" {
			t.Errorf("%s differs from %s: %s; the new image is %s (if the change is meant, rerun with -update-figures)", name, ref, diff, paths[0])
		}
	}
}

// klFixture are the KL and posterior-mean variance of n latent dimensions, active of every ten
// active and the others collapsed (variance of the mean 0.001, KL near 0).
func klFixture(n, active int) (kl, variances []float64) {
	kl, variances = make([]float64, n), make([]float64, n)
	for j := range kl {
		kl[j], variances[j] = 0.002*float64(j%3), 0.001
		if j%10 < active {
			kl[j], variances[j] = 0.4+0.13*float64(j*7%20), 0.3+0.05*float64(j)
		}
	}
	return kl, variances
}

// codeUsage are n codes' counts of use, uneven, a third never used, code 3 used top times.
func codeUsage(n, top int) []int {
	counts := make([]int, n)
	for i := range counts {
		counts[i] = (i * 37 % 11) * (i % 3) * 10
	}
	counts[3] = top
	return counts
}

// codeGrids are n 7x7 grids of code indices spread over 128 codes.
func codeGrids(n int) []int32 {
	codes := make([]int32, n*7*7)
	for i := range codes {
		codes[i] = int32(i * 13 % 128)
	}
	return codes
}

// NormalQuantilesForTest are n evenly spread coordinates, as a manifold's axis.
func NormalQuantilesForTest(n int) []float64 {
	q := make([]float64, n)
	for i := range q {
		q[i] = -1.5 + 3*float64(i)/float64(n-1)
	}
	return q
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// pixelDifference describes how two images differ ("" if not at all).
func pixelDifference(want, got image.Image) string {
	if want.Bounds() != got.Bounds() {
		return fmt.Sprintf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	differ := 0
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := want.At(x, y).RGBA()
			r2, g2, b2, a2 := got.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				differ++
			}
		}
	}
	if differ == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d pixels differ", differ, b.Dx()*b.Dy())
}

// A logarithmic axis is labelled at 1, 2 and 5 per decade, or at every multiple within a
// decade too narrow for two of those.
func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.05, 3, []string{"0.05", "0.10", "0.20", "0.50", "1.00", "2.00"}},
		{13, 80, []string{"20", "50"}},
		{21, 48, []string{"30", "40"}},
		{5, 10000, []string{"10", "100", "1000", "10000"}},
		{720, 930, []string{"800", "900"}},
		{820, 890, []string{"820", "840", "860", "880"}},
	} {
		got := labels(logTicks{}, c.lo, c.hi)
		if !slices.Equal(got, c.want) {
			t.Errorf("log ticks of [%g, %g]: %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// Epoch axes are labelled at whole epochs; a reason too long for a panel's title is wrapped.
func TestEpochTicksAndWrap(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{{0.5, 2.5, []string{"1", "2"}}, {0.5, 20.5, []string{"5", "10", "15", "20"}}, {0.5, 100.5, []string{"20", "40", "60", "80", "100"}}} {
		got := labels(epochTicks{}, c.lo, c.hi)
		if !slices.Equal(got, c.want) {
			t.Errorf("epoch ticks of [%g, %g]: %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
	if got := wrap("both are the same distance summed over the grid", 20); got != "both are the same\ndistance summed over\nthe grid" {
		t.Errorf("wrap: %q", got)
	}
}

// labels are the labelled ticks a marker puts on [lo, hi].
func labels(m plot.Ticker, lo, hi float64) []string {
	var out []string
	for _, tick := range m.Ticks(lo, hi) {
		if tick.Label != "" {
			out = append(out, tick.Label)
		}
	}
	return out
}

// Trend refuses what it cannot draw, naming it.
func TestTrendRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		series []Series
		want   string
	}{
		{nil, "0 series, expected 1 to 8"},
		{[]Series{{"empty", nil}}, `series "empty" has no point`},
		{[]Series{{"early", []Point{{0, 100}}}}, `series "early" has a point at epoch 0, expected 1 or later`},
	} {
		if _, err := Trend(c.series, nil, "nats", "t", filepath.Join(dir, "trend")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Trend(%v): error %v, want one containing %q", c.series, err, c.want)
		}
	}
}
