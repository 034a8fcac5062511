package cvae_test

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/infer"
)

// A conditional VAE with a learned prior mean per class: samples are drawn from the prior of
// the class asked for.
func Example() {
	store, hist, _, err := briefly.Train(cvae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{64}, vaekit.ParamLatentDim: 2,
		cvae.ParamForm: cvae.FormPrior}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	samples, err := infer.ClassSamples(backends.Go(), store, cvae.Model{}, 4, 3, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("terms:", hist.Terms)
	fmt.Println("samples:", len(samples), "(3 per class, class after class) of", len(samples[0]), "pixels")
	fmt.Println("prior:", cvae.Model{}.Prior())
	// Output:
	// terms: [loss reconstruction kl]
	// samples: 12 (3 per class, class after class) of 784 pixels
	// prior: N(mean_c, I) given the class c (mean_c = 0 with label concatenation)
}
