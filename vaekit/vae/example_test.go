package vae_test

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// A VAE trained briefly: its test -ELBO and an importance-weighted estimate of -log p(x) with
// k = 16 samples, which can only be lower in expectation.
func Example() {
	store, hist, test, err := briefly.Train(vae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{64}, vaekit.ParamLatentDim: 4}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	row, _ := hist.Last("test")
	nll, err := vae.Model{}.ImportanceWeightedNLL(backends.Go(), store, test, vaekit.NLLOptions{K: 16, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("terms:", hist.Terms)
	fmt.Println("NLL (k=16) below the -ELBO:", nll < hist.Value(row, "loss"))
	// Output:
	// terms: [loss reconstruction kl]
	// NLL (k=16) below the -ELBO: true
}
