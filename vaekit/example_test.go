package vaekit_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
)

// The KL divergence of a Gaussian posterior from the standard normal prior, per example: 0 when
// the posterior is the prior; 0.5 per dimension for a unit shift of the mean.
func ExampleGaussianKL() {
	mean := [][]float32{{0, 0}, {1, 0}}
	logVar := [][]float32{{0, 0}, {0, 0}}
	kl := MustExecOnce(backends.Go(), vaekit.GaussianKL, mean, logVar)
	fmt.Println(tensors.MustCopyFlatData[float32](kl))
	// Output: [0 0.5]
}

// The Bernoulli negative log-likelihood of a pixel that is on, under logit 0 (p = 0.5), is
// log 2 nats; summed over the two pixels of the image.
func ExampleBernoulliNLL() {
	logits := [][]float32{{0, 0}}
	targets := [][]float32{{1, 0}}
	nll := MustExecOnce(backends.Go(), vaekit.BernoulliNLL, logits, targets)
	fmt.Printf("%.4f nats\n", tensors.MustCopyFlatData[float32](nll)[0])
	// Output: 1.3863 nats
}
