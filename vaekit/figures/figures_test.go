package figures

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/vaekit/history"
)

func readAll(t *testing.T, paths []string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func ramp(v float32) []float32 {
	img := make([]float32, 16)
	for i := range img {
		img[i] = v * float32(i) / 15
	}
	return img
}

func TestFiguresWritePNGSVGAndPDFDeterministically(t *testing.T) {
	hist := &history.History{Terms: []string{"loss", "kl"}, Rows: []history.Row{
		{Epoch: 1, Split: "train", Values: []float64{300, 3}}, {Epoch: 1, Split: "test", Values: []float64{290, 3.5}},
		{Epoch: 2, Split: "train", Values: []float64{260, 4}}, {Epoch: 2, Split: "test", Values: []float64{255, 4.1}},
	}}
	draws := []struct {
		name string
		draw func(base string) ([]string, error)
	}{
		{"loss curves", func(base string) ([]string, error) { return LossCurves(hist, nil, "t", base) }},
		{"loss curves, log scale", func(base string) ([]string, error) {
			return LossCurves(hist, map[string]history.Axis{"loss": {Unit: "nats per image", Log: true}}, "t", base)
		}},
		{"image grid", func(base string) ([]string, error) {
			return ImageGrid([][]float32{ramp(1), ramp(0.5), ramp(0.2)}, 4, 4, 2, []string{"a", "b"}, "grid", base)
		}},
		{"manifold", func(base string) ([]string, error) {
			return LatentManifold([][]float32{ramp(1), ramp(0.5), ramp(0.2), ramp(0)}, 4, 4, []float64{-1, 1}, []float64{-1, 1}, "m", base)
		}},
		{"label clusters 2-D", func(base string) ([]string, error) {
			return LabelClusters([][]float32{{0, 0}, {1, 1}, {2, 0}}, []int32{0, 1, 1}, []string{"T-shirt/top", "Trouser"}, "c", base)
		}},
		{"label clusters PCA", func(base string) ([]string, error) {
			return LabelClusters([][]float32{{0, 0, 1}, {1, 1, 0}, {2, 0, 3}, {1, 2, 2}}, []int32{0, 1, 1, 2}, []string{"a", "b", "c"}, "c", base)
		}},
		{"label clusters with class means", func(base string) ([]string, error) {
			return LabelClustersMarked([][]float32{{0, 0}, {1, 1}, {2, 0}}, []int32{0, 1, 1}, []string{"0", "1"}, [][]float32{{0.1, 0}, {1.5, 0.5}}, "c", base)
		}},
		{"codebook usage", func(base string) ([]string, error) { return CodebookUsage([]int{5, 0, 3, 9}, 2.7, 0.75, "u", base) }},
		{"code map", func(base string) ([]string, error) {
			return CodeMap([][]float32{ramp(1), ramp(0.5)}, []int32{0, 1, 2, 3, 3, 2, 1, 0}, 4, 4, 2, 2, "codes", base)
		}},
		{"trend", func(base string) ([]string, error) {
			return Trend([]Series{{"a", []Point{{1, 3}, {4, 2}}}}, []Level{{1.5, "b"}}, "nats", "t", base)
		}},
	}
	for _, d := range draws {
		t.Run(d.name, func(t *testing.T) {
			dir := t.TempDir()
			first, err := d.draw(filepath.Join(dir, "a"))
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != 3 || !strings.HasSuffix(first[0], ".png") || !strings.HasSuffix(first[1], ".svg") || !strings.HasSuffix(first[2], ".pdf") {
				t.Fatalf("wrote %v, want a .png, a .svg and a .pdf", first)
			}
			second, err := d.draw(filepath.Join(dir, "b"))
			if err != nil {
				t.Fatal(err)
			}
			a, b := readAll(t, first), readAll(t, second)
			if !bytes.HasPrefix(a[0], []byte("\x89PNG")) || !bytes.Contains(a[1], []byte("<svg")) || !bytes.HasPrefix(a[2], []byte("%PDF")) {
				t.Errorf("files are not PNG, SVG and PDF")
			}
			for i := range a {
				if !bytes.Equal(a[i], b[i]) {
					t.Errorf("%s: the same inputs drew different bytes", first[i])
				}
			}
			// Two draws in the same second would agree even with the clock in the file: the
			// PDF's dates must be the fixed ones, whatever the time of drawing.
			for _, key := range []string{"/CreationDate (D:20000101000000)", "/ModDate (D:20000101000000)"} {
				if !bytes.Contains(a[2], []byte(key)) {
					t.Errorf("%s lacks %q: a PDF written at another time would differ", first[2], key)
				}
			}
		})
	}
}

// A figure drawn again in another second of the clock is the same file, in every format (a
// PDF records its creation time unless it is fixed).
func TestFiguresDoNotDependOnTheClock(t *testing.T) {
	hist := &history.History{Terms: []string{"loss"}, Rows: []history.Row{{Epoch: 1, Split: "train", Values: []float64{3}}}}
	dir := t.TempDir()
	first, err := LossCurves(hist, nil, "t", filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Unix()
	for time.Now().Unix() == start {
		time.Sleep(10 * time.Millisecond)
	}
	second, err := LossCurves(hist, nil, "t", filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := readAll(t, first), readAll(t, second)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("%s and %s, drawn a second apart, differ", first[i], second[i])
		}
	}
}

func TestFigureInputErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LossCurves(&history.History{}, nil, "", filepath.Join(dir, "x")); err == nil {
		t.Error("LossCurves of an empty history succeeded")
	}
	if _, err := ImageGrid(nil, 4, 4, 2, nil, "", filepath.Join(dir, "x")); err == nil {
		t.Error("ImageGrid of no images succeeded")
	}
	if _, err := LatentManifold([][]float32{ramp(1)}, 4, 4, []float64{-1, 1}, []float64{-1, 1}, "", filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "n*n images") {
		t.Errorf("LatentManifold with 1 image for a 2x2 grid: error = %v", err)
	}
	if _, err := ImageGrid([][]float32{ramp(1)}, 4, 4, 1, nil, "", filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("ImageGrid into a missing folder succeeded")
	}
}

// Points on a line in 3-D: the first component explains all the variance and the projections
// keep the distances along the line; the second is zero.
func TestPCA2OfALine(t *testing.T) {
	dir := []float64{1, 2, 2} // length 3
	var points [][]float32
	for _, s := range []float64{-2, -1, 0, 1, 2} {
		points = append(points, []float32{float32(1 + s*dir[0]), float32(-1 + s*dir[1]), float32(s * dir[2])})
	}
	proj, explained, err := PCA2(points)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(explained-1) > 1e-6 {
		t.Errorf("explained variance %g, want 1", explained)
	}
	for i, s := range []float64{-2, -1, 0, 1, 2} {
		if math.Abs(proj[i][0]-3*s) > 1e-4 || math.Abs(proj[i][1]) > 1e-4 {
			t.Errorf("point %d projected to %v, want (%g, 0)", i, proj[i], 3*s)
		}
	}
	if _, _, err := PCA2(points[:1]); err == nil {
		t.Error("PCA2 of one point: want an error")
	}
	if _, _, err := PCA2([][]float32{{1, 2}, {1}}); err == nil {
		t.Error("PCA2 of points of different sizes: want an error")
	}
}

// Marks come one per class, over 2-D points.
func TestLabelClustersMarkedRefusesMismatchedMarks(t *testing.T) {
	base := filepath.Join(t.TempDir(), "c")
	for name, c := range map[string]struct {
		points [][]float32
		marks  [][]float32
	}{
		"one mark for two classes": {[][]float32{{0, 0}, {1, 1}}, [][]float32{{0, 0}}},
		"3-D points":               {[][]float32{{0, 0, 1}, {1, 1, 0}}, [][]float32{{0, 0}, {1, 1}}},
	} {
		if _, err := LabelClustersMarked(c.points, []int32{0, 1}, []string{"a", "b"}, c.marks, "c", base); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// Up to 200 epochs a training curve has a dot per epoch; above, the dots would merge into a band.
func TestDottedUpTo200Epochs(t *testing.T) {
	for _, c := range []struct {
		epochs int
		want   bool
	}{{1, true}, {100, true}, {200, true}, {201, false}, {1093, false}} {
		h := &history.History{Terms: []string{"loss"}, Rows: []history.Row{{Epoch: c.epochs, Split: "train", Values: []float64{1}}}}
		if got := dotted(h); got != c.want {
			t.Errorf("dotted after %d epochs = %v, want %v", c.epochs, got, c.want)
		}
	}
}
