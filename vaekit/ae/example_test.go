package ae_test

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/infer"
)

// A denoising autoencoder: inputs corrupted by Gaussian noise while it trains, clean images as
// targets; it encodes to a 2-D code and reconstructs.
func Example() {
	store, hist, test, err := briefly.Train(ae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{64}, vaekit.ParamLatentDim: 2,
		ae.ParamCorruption: "gaussian", ae.ParamNoise: 0.3}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	codes, _ := infer.Encode(backends.Go(), store, ae.Model{}, test, 16)
	originals, recons, _ := infer.Reconstruct(backends.Go(), store, ae.Model{}, test, 5)
	first, last := hist.Rows[1], hist.Rows[len(hist.Rows)-1]
	fmt.Println("terms:", hist.Terms)
	fmt.Println("codes:", len(codes), "x", len(codes[0]))
	fmt.Println("reconstructions:", len(recons), "of", len(originals), "images of", len(recons[0]), "pixels")
	fmt.Println("test loss fell:", hist.Value(last, "loss") < hist.Value(first, "loss"))
	// Output:
	// terms: [loss reconstruction]
	// codes: 64 x 2
	// reconstructions: 5 of 5 images of 784 pixels
	// test loss fell: true
}
