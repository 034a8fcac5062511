package betatcvae_test

import (
	"fmt"
	"math"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/betatcvae"
)

// A beta-TC-VAE trained briefly on 256 images: its history holds the three parts of the KL,
// and the estimated mutual information never exceeds log(N M), N training images in batches of
// M = 32.
func Example() {
	_, hist, _, err := briefly.Train(betatcvae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{64}, vaekit.ParamLatentDim: 4,
		betatcvae.ParamBeta: 6.0}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	row, _ := hist.Last("train")
	fmt.Println("terms:", hist.Terms)
	fmt.Println("mutual information below log(N M):", hist.Value(row, "mutual_information") <= math.Log(256*32))
	// Output:
	// terms: [loss reconstruction kl mutual_information total_correlation dimension_wise_kl]
	// mutual information below log(N M): true
}
