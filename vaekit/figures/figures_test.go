package figures

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
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

func TestFiguresWritePNGAndSVGDeterministically(t *testing.T) {
	hist := &vaekit.History{Terms: []string{"loss", "kl"}, Rows: []vaekit.HistoryRow{
		{Epoch: 1, Split: "train", Values: []float64{300, 3}}, {Epoch: 1, Split: "test", Values: []float64{290, 3.5}},
		{Epoch: 2, Split: "train", Values: []float64{260, 4}}, {Epoch: 2, Split: "test", Values: []float64{255, 4.1}},
	}}
	draws := []struct {
		name string
		draw func(base string) ([]string, error)
	}{
		{"loss curves", func(base string) ([]string, error) { return LossCurves(hist, "t", false, base) }},
		{"loss curves, log scale", func(base string) ([]string, error) { return LossCurves(hist, "t", true, base) }},
		{"image grid", func(base string) ([]string, error) {
			return ImageGrid([][]float32{ramp(1), ramp(0.5), ramp(0.2)}, 4, 4, 2, []string{"a", "b"}, "grid", base)
		}},
		{"manifold", func(base string) ([]string, error) {
			return LatentManifold([][]float32{ramp(1), ramp(0.5), ramp(0.2), ramp(0)}, 4, 4, []float64{-1, 1}, []float64{-1, 1}, "m", base)
		}},
	}
	for _, d := range draws {
		t.Run(d.name, func(t *testing.T) {
			dir := t.TempDir()
			first, err := d.draw(filepath.Join(dir, "a"))
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != 2 || !strings.HasSuffix(first[0], ".png") || !strings.HasSuffix(first[1], ".svg") {
				t.Fatalf("wrote %v, want a .png and a .svg", first)
			}
			second, err := d.draw(filepath.Join(dir, "b"))
			if err != nil {
				t.Fatal(err)
			}
			a, b := readAll(t, first), readAll(t, second)
			if !bytes.HasPrefix(a[0], []byte("\x89PNG")) || !bytes.Contains(a[1], []byte("<svg")) {
				t.Errorf("files are not PNG and SVG")
			}
			for i := range a {
				if !bytes.Equal(a[i], b[i]) {
					t.Errorf("%s: the same inputs drew different bytes", first[i])
				}
			}
		})
	}
}

func TestFigureInputErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LossCurves(&vaekit.History{}, "", false, filepath.Join(dir, "x")); err == nil {
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
