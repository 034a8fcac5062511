package gan_test

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
)

// A GAN trains its two players in the one loop, each on its own term; its generator then
// decodes draws from N(0, I) into images.
func Example() {
	store, hist, _, err := briefly.Train(gan.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{64}, training.ParamAdamBeta1: 0.5}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	samples, err := infer.PriorSamples(backends.Go(), store, gan.Model{}, 6, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("terms:", hist.Terms)
	fmt.Println("players:", gan.Model{}.Players())
	fmt.Println("samples:", len(samples), "of", len(samples[0]), "pixels")
	// Output:
	// terms: [loss discriminator generator real_score fake_score]
	// players: [{discriminator discriminator} {generator generator}]
	// samples: 6 of 784 pixels
}
