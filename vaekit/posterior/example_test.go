package posterior_test

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/posterior"
)

// The posteriors of four images in two latent dimensions: the first dimension's mean follows the
// image, the second is N(0, 1) for every image (collapsed: no KL, no information).
func Example() {
	p := posterior.Params{
		Mean:   [][]float64{{-2, 0}, {-1, 0}, {1, 0}, {2, 0}},
		LogVar: [][]float64{{-4, 0}, {-4, 0}, {-4, 0}, {-4, 0}},
	}
	kl, _ := posterior.KLPerDim(p)
	active, _, _ := posterior.ActiveUnits(p)
	fmt.Printf("KL per dimension %.3f and %.3f nats, %d active unit\n", kl[0], kl[1], active)
	// Output: KL per dimension 2.759 and 0.000 nats, 1 active unit
}
