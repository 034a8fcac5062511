package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
)

var randomTensor = testutil.RandomTensor

func maxAbsDiff(t *testing.T, a, b *tensors.Tensor) float64 {
	t.Helper()
	if !a.Shape().Equal(b.Shape()) {
		t.Fatalf("shapes differ: %s vs %s", a.Shape(), b.Shape())
	}
	x, y := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	var m float64
	for i := range x {
		m = max(m, math.Abs(float64(x[i]-y[i])))
	}
	return m
}

func TestConv2DSameMatchesConvolve(t *testing.T) {
	backend := GoBackend()
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct{ h, w, c, out, k, stride int }{
		{28, 28, 1, 32, 3, 2},
		{14, 14, 32, 64, 3, 2},
		{7, 7, 64, 16, 1, 1},
		{7, 7, 3, 5, 3, 1},
		{9, 6, 2, 3, 4, 3},
		{28, 28, 32, 1, 3, 1}, // fewer output than input channels: the output-side formulation
		{6, 5, 8, 3, 3, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%dx%d_k%d_s%d", tt.h, tt.w, tt.c, tt.k, tt.stride), func(t *testing.T) {
			x := randomTensor(rng, 2, tt.h, tt.w, tt.c)
			k := randomTensor(rng, tt.k, tt.k, tt.c, tt.out)
			got := MustExecOnce(backend, func(x, k *Node) *Node { return Conv2DSame(x, k, tt.stride) }, x, k)
			want := MustExecOnce(backend, func(x, k *Node) *Node {
				_, top, bottom := samePadding(tt.h, tt.k, tt.stride)
				_, left, right := samePadding(tt.w, tt.k, tt.stride)
				return Convolve(x, k).StridePerAxis(tt.stride, tt.stride).
					PaddingPerDim([][2]int{{top, bottom}, {left, right}}).Done()
			}, x, k)
			if d := maxAbsDiff(t, got, want); d > 1e-4 {
				t.Errorf("Conv2DSame differs from Convolve by %g", d)
			}
		})
	}
}

// The transposed convolution is, by definition, the gradient of the convolution with respect to
// its input: <Conv(x, K), u> has gradient ConvTranspose(u, K^T) in x.
func TestConvTranspose2DSameIsConvGradient(t *testing.T) {
	backend := GoBackend()
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct{ h, c, out, k, stride int }{
		{7, 64, 64, 3, 2},
		{14, 64, 32, 3, 2},
		{5, 3, 2, 3, 1},
		{4, 2, 3, 4, 2},
		{3, 2, 2, 5, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d_to_%d_k%d_s%d", tt.h, tt.c, tt.out, tt.k, tt.stride), func(t *testing.T) {
			u := randomTensor(rng, 2, tt.h, tt.h, tt.c)                       // cotangent at the conv's output
			k := randomTensor(rng, tt.k, tt.k, tt.out, tt.c)                  // conv kernel: out -> c channels
			x := randomTensor(rng, 2, tt.h*tt.stride, tt.h*tt.stride, tt.out) // conv input
			want := MustExecOnce(backend, func(x, k, u *Node) *Node {
				y := Conv2DSame(x, k, tt.stride)
				return Gradient(ReduceAllSum(Mul(y, u)), x)[0]
			}, x, k, u)
			got := MustExecOnce(backend, func(u, k *Node) *Node {
				return ConvTranspose2DSame(u, Transpose(k, 2, 3), tt.stride)
			}, u, k)
			if d := maxAbsDiff(t, got, want); d > 1e-4 {
				t.Errorf("ConvTranspose2DSame differs from the conv gradient by %g", d)
			}
		})
	}
}
