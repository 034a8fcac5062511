package vaekit

import (
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/vaekit/vaekit/vaekit/backends"
)

// BenchmarkConvLayers times forward plus gradient (in the input and the kernel) of each
// convolution of the reference conv VAE at batch 64 and of the classifier at batch 128, to see where a
// training step goes. bench/pytorch_layers.py times the same layers in PyTorch.
func BenchmarkConvLayers(b *testing.B) {
	backend, _, err := backends.New()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name                   string
		batch, h, c, out, k, s int
		transposed             bool
	}{
		{"conv 28x28x1->32 s2", 64, 28, 1, 32, 3, 2, false},
		{"conv 14x14x32->64 s2", 64, 14, 32, 64, 3, 2, false},
		{"deconv 7x7x64->64 s2", 64, 7, 64, 64, 3, 2, true},
		{"deconv 14x14x64->32 s2", 64, 14, 64, 32, 3, 2, true},
		{"conv 28x28x32->1 s1", 64, 28, 32, 1, 3, 1, false},
		{"classifier conv 28x28x1->32 s2", 128, 28, 1, 32, 3, 2, false},
		{"classifier conv 14x14x32->64 s2", 128, 14, 32, 64, 3, 2, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			x := randomTensor(rng, tc.batch, tc.h, tc.h, tc.c)
			k := randomTensor(rng, tc.k, tc.k, tc.c, tc.out)
			exec := MustNewExec(backend, func(x, k *Node) []*Node {
				var y *Node
				if tc.transposed {
					y = ConvTranspose2DSame(x, k, tc.s)
				} else {
					y = Conv2DSame(x, k, tc.s)
				}
				loss := ReduceAllSum(Square(y))
				return Gradient(loss, x, k)
			})
			exec.MustExec(x, k)
			b.ResetTimer()
			for b.Loop() {
				exec.MustExec(x, k)
			}
		})
	}
}
