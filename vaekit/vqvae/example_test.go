package vqvae_test

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// A VQ-VAE encodes each image into a 7x7 grid of code indices; the code set of the test images
// is what a PixelCNN prior trains on.
func Example() {
	store, hist, test, err := briefly.Train(vqvae.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16},
		vqvae.ParamNumCodes: 16, vqvae.ParamCodeDim: 4}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	codes, err := vqvae.CodeSet(backends.Go(), store, test, 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	counts, _ := vqvae.CodeCounts(backends.Go(), store, test, 16)
	total := 0
	for _, c := range counts {
		total += c
	}
	fmt.Println("terms:", hist.Terms)
	fmt.Printf("code grids: %d of %dx%d\n", codes.N, codes.Height, codes.Width)
	fmt.Println("codes counted:", total, "in", len(counts), "codes")
	// Output:
	// terms: [loss reconstruction codebook commitment]
	// code grids: 64 of 7x7
	// codes counted: 3136 in 16 codes
}
