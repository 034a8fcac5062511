// Package testutil holds helpers shared by vaekit's tests.
package testutil

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
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
