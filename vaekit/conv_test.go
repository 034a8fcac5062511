package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit/backends"
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
	backend := backends.Go()
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
			// The gradients in x and in the kernel (strided taps go through a reshape into
			// phases, whose gradient is a plain Pad) equal finite differences, which are exact
			// up to rounding because the convolution is linear in each. Not compared with
			// Convolve's gradient: in GoMLX v0.28.16 (as in v0.28.8) its input gradient is wrong for
			// the 9x6 k4 s3 case (largest difference 10.6 from ours, which matches finite differences).
			u := randomTensor(rng, got.Shape().Dimensions...)
			conv := func(x, k *Node) *Node { return Conv2DSame(x, k, tt.stride) }
			grads := MustExecOnceN(backend, func(x, k, u *Node) []*Node {
				return Gradient(ReduceAllSum(Mul(conv(x, k), u)), x, k)
			}, x, k, u)
			loss := MustNewExec(backend, func(x, k, u *Node) *Node { return ReduceAllSum(Mul(conv(x, k), u)) })
			for i, name := range []string{"x", "kernel"} {
				for range 4 {
					at := make([]int, 4)
					for axis, dim := range grads[i].Shape().Dimensions {
						at[axis] = rng.IntN(dim)
					}
					args := []*tensors.Tensor{x, k}
					plus, minus := withDelta(args[i], at, 1), withDelta(args[i], at, -1)
					args[i] = plus
					lp := loss.MustExec(args[0], args[1], u)[0].Value().(float32)
					args[i] = minus
					lm := loss.MustExec(args[0], args[1], u)[0].Value().(float32)
					fd := float64(lp-lm) / 2
					g := float64(tensors.MustCopyFlatData[float32](grads[i])[flatIndex(grads[i].Shape().Dimensions, at)])
					if math.Abs(fd-g) > 1e-3*max(1, math.Abs(fd)) {
						t.Errorf("gradient in %s at %v: %g, finite difference %g", name, at, g, fd)
					}
				}
			}
		})
	}
}

// The transposed convolution is, by definition, the gradient of the convolution with respect to
// its input: <Conv(x, K), u> has gradient ConvTranspose(u, K^T) in x. Compared with the gradient
// autodiff takes through im2col (plainConv), since Conv2DSame's own input gradient is now
// ConvTranspose2DSame where the shapes allow.
func TestConvTranspose2DSameIsConvGradient(t *testing.T) {
	backend := backends.Go()
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
				y := plainConv(x, k, tt.stride, samePad(x, k, tt.stride))
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

// withDelta returns a copy of the float32 tensor t with delta added at one position.
func withDelta(t *tensors.Tensor, at []int, delta float32) *tensors.Tensor {
	flat := tensors.MustCopyFlatData[float32](t)
	flat[flatIndex(t.Shape().Dimensions, at)] += delta
	return tensors.FromFlatDataAndDimensions(flat, t.Shape().Dimensions...)
}

// flatIndex is the row-major position of the element at index at of a tensor of dimensions dims.
func flatIndex(dims, at []int) int {
	i := 0
	for axis, d := range dims {
		i = i*d + at[axis]
	}
	return i
}

// Both sub-pixel forms of the transposed convolution give the same values and the same
// gradients with respect to the input and the kernel, whichever ConvTranspose2DSame picks.
func TestSubPixelFormsAgree(t *testing.T) {
	backend := backends.Go()
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct{ h, w, c, out, k, stride int }{
		{7, 7, 8, 8, 3, 2},
		{6, 5, 8, 4, 3, 2},
		{4, 4, 3, 5, 4, 2},
		{3, 4, 2, 3, 5, 3},
		{5, 5, 3, 2, 3, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%dx%d_to_%d_k%d_s%d", tt.h, tt.w, tt.c, tt.out, tt.k, tt.stride), func(t *testing.T) {
			x := randomTensor(rng, 2, tt.h, tt.w, tt.c)
			k := randomTensor(rng, tt.k, tt.k, tt.c, tt.out)
			u := randomTensor(rng, 2, tt.h*tt.stride, tt.w*tt.stride, tt.out)
			form := func(one bool) []*tensors.Tensor {
				return MustExecOnceN(backend, func(x, k, u *Node) []*Node {
					sp := newSubPixel(x, k, tt.stride)
					y := sp.perPhase()
					if one {
						y = sp.oneProduct()
					}
					return append([]*Node{y}, Gradient(ReduceAllSum(Mul(y, u)), x, k)...)
				}, x, k, u)
			}
			perPhase, oneProduct := form(false), form(true)
			for i, what := range []string{"value", "input gradient", "kernel gradient"} {
				if d := maxAbsDiff(t, oneProduct[i], perPhase[i]); d > 1e-4 {
					t.Errorf("%s: the two forms differ by %g", what, d)
				}
			}
		})
	}
}

// A convolution over some taps equals the full convolution with the other taps of the kernel
// zeroed, in value and in both gradients (zero for the taps left out).
func TestConv2DTapsPaddedIsMaskedConv(t *testing.T) {
	backend := backends.Go()
	rng := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name                 string
		h, c, out, kh, kw, s int
		pad                  [4]int
		taps                 [][2]int
	}{
		{"PixelCNN mask A, 7x7 rows 0-3", 7, 4, 3, 4, 7, 1, [4]int{3, 0, 3, 3}, [][2]int{{0, 0}, {0, 6}, {1, 3}, {2, 2}, {3, 0}, {3, 2}}},
		{"mask B 3x3 rows 0-1", 6, 3, 2, 2, 3, 1, [4]int{1, 0, 1, 1}, [][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}}},
		{"strided, taps out of order", 8, 2, 3, 3, 3, 2, [4]int{0, 1, 0, 1}, [][2]int{{2, 2}, {0, 1}, {1, 0}}},
		{"every tap", 5, 2, 2, 3, 3, 1, [4]int{1, 1, 1, 1}, allTaps(3, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := randomTensor(rng, 2, tt.h, tt.h, tt.c)
			k := randomTensor(rng, tt.kh, tt.kw, tt.c, tt.out)
			maskData := make([]float32, tt.kh*tt.kw)
			for _, tap := range tt.taps {
				maskData[tap[0]*tt.kw+tap[1]] = 1
			}
			mask := tensors.FromFlatDataAndDimensions(maskData, tt.kh, tt.kw, 1, 1)
			p := tt.pad
			run := func(taps bool) []*tensors.Tensor {
				return MustExecOnceN(backend, func(x, k, mask *Node) []*Node {
					var y *Node
					if taps {
						y = Conv2DTapsPadded(x, k, tt.taps, tt.s, p[0], p[1], p[2], p[3])
					} else {
						y = Conv2DPadded(x, Mul(k, mask), tt.s, p[0], p[1], p[2], p[3])
					}
					u := Cos(Iota(x.Graph(), y.Shape(), 3)) // a fixed cotangent
					return append([]*Node{y}, Gradient(ReduceAllSum(Mul(y, u)), x, k)...)
				}, x, k, mask)
			}
			got, want := run(true), run(false)
			for i, what := range []string{"value", "input gradient", "kernel gradient"} {
				if d := maxAbsDiff(t, got[i], want[i]); d > 1e-4 {
					t.Errorf("%s differs from the masked convolution by %g", what, d)
				}
			}
		})
	}
}

// A stride-1 convolution over some taps takes its input gradient from the convolution of the
// output gradient with the mirrored taps (withInputGradient, tapsInputGradient): the value, the
// input gradient and the kernel gradient equal those of the plain im2col form, for the PixelCNN's
// masks and an asymmetric padding.
func TestTapsInputGradient(t *testing.T) {
	tests := []struct {
		name string
		x, k []int // shapes
		taps [][2]int
		pad  [4]int
	}{
		{"mask B 3x3", []int{2, 6, 5, 3}, []int{2, 3, 3, 4}, [][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}}, [4]int{1, 0, 1, 1}},
		{"mask A 5x5", []int{2, 7, 7, 2}, []int{3, 5, 2, 3}, [][2]int{{0, 0}, {0, 4}, {1, 2}, {2, 0}, {2, 1}}, [4]int{2, 0, 2, 2}},
		{"uneven padding", []int{1, 5, 6, 2}, []int{3, 3, 2, 2}, [][2]int{{0, 2}, {1, 0}, {2, 2}}, [4]int{0, 2, 1, 0}},
	}
	backend := backends.Go()
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, k := randomTensor(rng, tt.x...), randomTensor(rng, tt.k...)
			kh, kw, c, out := tt.k[0], tt.k[1], tt.k[2], tt.k[3]
			plain := func(x, k *Node) *Node {
				patches, ho, wo := im2colTaps(x, kh, kw, tt.taps, 1, tt.pad)
				rows := make([]*Node, len(tt.taps))
				for n, tp := range tt.taps {
					rows[n] = Reshape(Slice(k, AxisElem(tp[0]), AxisElem(tp[1])), c, out)
				}
				return Reshape(MatMul(patches, Concatenate(rows, 0)), x.Shape().Dim(0), ho, wo, out)
			}
			custom := func(x, k *Node) *Node {
				return Conv2DTapsPadded(x, k, tt.taps, 1, tt.pad[0], tt.pad[1], tt.pad[2], tt.pad[3])
			}
			got, want := valueAndGradients(backend, custom, x, k, 3), valueAndGradients(backend, plain, x, k, 3)
			for i, what := range []string{"value", "input gradient", "kernel gradient"} {
				if d := maxAbsDiff(t, got[i], want[i]); d > 1e-4 {
					t.Errorf("%s differs from the plain form's by %g", what, d)
				}
			}
		})
	}
}

// valueAndGradients runs the convolution f of x and k and returns its value and the gradients,
// in x and in k, of its sum against a fixed cotangent (cosines of the index along axis).
func valueAndGradients(backend compute.Backend, f func(x, k *Node) *Node, x, k *tensors.Tensor, axis int) []*tensors.Tensor {
	return MustExecOnceN(backend, func(x, k *Node) []*Node {
		y := f(x, k)
		u := Cos(Iota(x.Graph(), y.Shape(), axis))
		return append([]*Node{y}, Gradient(ReduceAllSum(Mul(y, u)), x, k)...)
	}, x, k)
}

// plainConv is the im2col convolution with the input gradient autodiff takes through im2col's
// windows: the reference for the forms with a custom input gradient.
func plainConv(x, k *Node, stride int, pad [4]int) *Node {
	kh, kw, c, out := k.Shape().Dim(0), k.Shape().Dim(1), k.Shape().Dim(2), k.Shape().Dim(3)
	patches, ho, wo := im2col(x, kh, kw, stride, pad)
	return Reshape(MatMul(patches, Reshape(k, kh*kw*c, out)), x.Shape().Dim(0), ho, wo, out)
}

// samePad is Conv2DSame's padding (top, bottom, left, right).
func samePad(x, k *Node, stride int) [4]int {
	_, top, bottom := samePadding(x.Shape().Dim(1), k.Shape().Dim(0), stride)
	_, left, right := samePadding(x.Shape().Dim(2), k.Shape().Dim(1), stride)
	return [4]int{top, bottom, left, right}
}

// A strided convolution takes its input gradient as a transposed convolution where that is the
// gradient and the output is no larger than the input (transposesTo); elsewhere autodiff's
// through im2col. Either way the value, the input
// gradient and the kernel gradient equal the plain form's; the table also pins which cases take
// the transposed form, so that a wrong padding or an uneven size cannot slip into it.
func TestStridedConvInputGradient(t *testing.T) {
	tests := []struct {
		name       string
		x, k       []int
		stride     int
		pad        [4]int // nil padding: Conv2DSame's
		same       bool
		transposed bool
	}{
		{"encoder 28x28x1->32 s2 (output larger than input)", []int{2, 28, 28, 1}, []int{3, 3, 1, 32}, 2, [4]int{}, true, false},
		{"output as large as the input", []int{2, 8, 8, 2}, []int{3, 3, 2, 8}, 2, [4]int{}, true, true},
		{"encoder 14x14x32->64 s2", []int{2, 14, 14, 32}, []int{3, 3, 32, 64}, 2, [4]int{}, true, true},
		{"4x4 kernel s2", []int{2, 8, 6, 3}, []int{4, 4, 3, 5}, 2, [4]int{}, true, true},
		{"5x5 kernel s2 (DCGAN's)", []int{2, 14, 14, 4}, []int{5, 5, 4, 6}, 2, [4]int{}, true, true},
		{"3x3 kernel s3", []int{1, 9, 6, 2}, []int{3, 3, 2, 3}, 3, [4]int{}, true, true},
		{"odd size 7x7 s2", []int{2, 7, 7, 4}, []int{3, 3, 4, 5}, 2, [4]int{}, true, false},
		{"kernel under the stride", []int{1, 9, 9, 2}, []int{2, 2, 2, 3}, 3, [4]int{}, true, false},
		{"padding not Conv2DSame's", []int{2, 8, 8, 3}, []int{3, 3, 3, 4}, 2, [4]int{1, 1, 1, 1}, false, false},
		{"stride 1", []int{2, 6, 6, 3}, []int{3, 3, 3, 4}, 1, [4]int{}, true, false},
	}
	backend := backends.Go()
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, k := randomTensor(rng, tt.x...), randomTensor(rng, tt.k...)
			var transposed bool
			pad := func(x, k *Node) [4]int {
				if tt.same {
					return samePad(x, k, tt.stride)
				}
				return tt.pad
			}
			custom := func(x, k *Node) *Node {
				p := pad(x, k)
				transposed = transposesTo(x, k, tt.stride, p)
				return Conv2DPadded(x, k, tt.stride, p[0], p[1], p[2], p[3])
			}
			plain := func(x, k *Node) *Node { return plainConv(x, k, tt.stride, pad(x, k)) }
			got, want := valueAndGradients(backend, custom, x, k, 2), valueAndGradients(backend, plain, x, k, 2)
			if transposed != tt.transposed {
				t.Errorf("transposed input gradient: %v, want %v", transposed, tt.transposed)
			}
			for i, what := range []string{"value", "input gradient", "kernel gradient"} {
				if d := maxAbsDiff(t, got[i], want[i]); d > 1e-4 {
					t.Errorf("%s differs from the plain form's by %g", what, d)
				}
			}
		})
	}
}
