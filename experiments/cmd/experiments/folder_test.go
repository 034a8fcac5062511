package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vaekit/vaekit/internal/testutil"
)

// writeShapes writes a folder of 16x16 colour PNGs in two classes (sub-folders): red squares
// and blue discs on a dark ground, at random places and sizes.
func writeShapes(t *testing.T, dir string, perClass int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	for ci, class := range []string{"red-squares", "blue-discs"} {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for k := range perClass {
			img := image.NewRGBA(image.Rect(0, 0, 16, 16))
			cx, cy, r := 4+rng.IntN(8), 4+rng.IntN(8), 2+rng.IntN(3)
			for y := range 16 {
				for x := range 16 {
					dx, dy := x-cx, y-cy
					c := color.RGBA{20, 20, 20, 255}
					switch {
					case ci == 0 && max(dx, -dx) <= r && max(dy, -dy) <= r:
						c = color.RGBA{230, 40, 30, 255}
					case ci == 1 && dx*dx+dy*dy <= r*r:
						c = color.RGBA{30, 60, 220, 255}
					}
					img.Set(x, y, c)
				}
			}
			f, err := os.Create(filepath.Join(dir, class, fmt.Sprintf("%03d.png", k)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// colourful says whether a PNG figure holds pixels whose red and blue differ by more than
// least (out of 255): a grey drawing has none (its text and lines are grey too).
func colourful(t *testing.T, path string, least int) bool {
	t.Helper()
	img := testutil.ReadPNG(t, path)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, bl, _ := img.At(x, y).RGBA()
			if d := int(r>>8) - int(bl>>8); d > least || d < -least {
				return true
			}
		}
	}
	return false
}

// A user's own folder of colour images trains a conv VAE and a CVAE through the command line:
// the data's shape and classes reach the model, the figures draw the images in colour, and the
// evaluation (the samples judged by a classifier trained on the folder) is written.
func TestOwnFolderOfColourImages(t *testing.T) {
	images, runs := filepath.Join(t.TempDir(), "shapes"), t.TempDir()
	writeShapes(t, images, 48)
	for _, tt := range []struct {
		family  string
		figures []string
		metric  string
	}{
		{"vae", []string{"samples", "interpolation"}, "sample_frechet_distance_features"},
		{"cvae", []string{"class_samples"}, "class_fidelity_fraction"},
	} {
		// Each call registers the folder afresh, as separate commands would: a name of its own.
		name := "shapes-" + tt.family
		args := []string{"run", "-quick", "-runs", runs, "-data-dir", images, "-dataset", name, "-model", tt.family,
			"-set", "architecture=conv", "-set", "batch_size=16", "custom"}
		if err := run(args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		dir := filepath.Join(runs, "custom-"+tt.family+"-"+name)
		var params map[string]any
		readJSON(t, filepath.Join(dir, "params.json"), &params)
		if fmt.Sprint(params["/image_shape"]) != "[16 16 3]" {
			t.Errorf("%s: image_shape %v, want [16 16 3]", tt.family, params["/image_shape"])
		}
		if tt.family == "cvae" && params["/num_classes"] != 2.0 {
			t.Errorf("cvae: num_classes %v, want the folder's 2 classes", params["/num_classes"])
		}
		// The test images are red and blue; what six steps of training generate is barely
		// coloured, but a grey drawing would have none at all.
		if !colourful(t, filepath.Join(dir, "figures", "reconstructions.png"), 150) {
			t.Errorf("%s: the reconstructions figure does not show the red and blue test images", tt.family)
		}
		for _, fig := range tt.figures {
			if !colourful(t, filepath.Join(dir, "figures", fig+".png"), 8) {
				t.Errorf("%s: figure %s has no colour", tt.family, fig)
			}
		}
		var metrics struct{ Extra map[string]float64 }
		readJSON(t, filepath.Join(dir, "metrics.json"), &metrics)
		if _, ok := metrics.Extra[tt.metric]; !ok {
			t.Errorf("%s: metrics.json lacks %s: %v", tt.family, tt.metric, metrics.Extra)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
