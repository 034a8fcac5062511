// Package testutil holds helpers shared by vaekit's tests.
package testutil

import (
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/datasets"
)

// RandomTensor returns a float32 tensor of the given dimensions with N(0, 1) values from rng.
func RandomTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// SquaresSet is n 28x28 images, each a bright 8x8 square at one of 4 places (the label, one of
// the classes "a" to "d") with a jitter of up to 2 pixels: a data set that models learn in a
// few steps, for tests that train.
func SquaresSet(n int, seed uint64) *datasets.Set {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := &datasets.Set{Name: "synthetic", Split: "train", N: n, Height: 28, Width: 28,
		Images: make([]float32, n*784), Labels: make([]int32, n), ClassNames: []string{"a", "b", "c", "d"}}
	for i := range n {
		l := rng.IntN(4)
		s.Labels[i] = int32(l)
		y0, x0 := 4+14*(l/2)+rng.IntN(3), 4+14*(l%2)+rng.IntN(3)
		img := s.Image(i)
		for y := y0; y < y0+8; y++ {
			for x := x0; x < x0+8; x++ {
				img[y*28+x] = 0.9
			}
		}
	}
	return s
}

// PNGWidth is the width in pixels of the PNG file at path; a missing or unreadable file fails t.
func PNGWidth(t testing.TB, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width
}

// ReadPNG decodes the PNG file at path; a missing or unreadable file fails t.
func ReadPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
