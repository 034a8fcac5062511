package vqvae

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
)

var random = testutil.RandomTensor

func TestNearestEqualsBruteForce(t *testing.T) {
	backend := vaekit.GoBackend()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ b, g, d, k int }{{2, 3, 4, 7}, {4, 7, 16, 128}, {1, 1, 1, 2}} {
		z, codebook := random(rng, tc.b, tc.g, tc.g, tc.d), random(rng, tc.k, tc.d)
		got := tensors.MustCopyFlatData[int32](MustExecOnce(backend, Nearest, z, codebook))
		zf, cf := tensors.MustCopyFlatData[float32](z), tensors.MustCopyFlatData[float32](codebook)
		for i := range got {
			best, bestDist := -1, math.Inf(1)
			for c := range tc.k {
				var dist float64
				for j := range tc.d {
					diff := float64(zf[i*tc.d+j] - cf[c*tc.d+j])
					dist += diff * diff
				}
				if dist < bestDist {
					best, bestDist = c, dist
				}
			}
			if int(got[i]) != best {
				t.Errorf("%+v vector %d: Nearest = %d, brute force = %d", tc, i, got[i], best)
			}
		}
	}
}

// The straight-through estimator: the gradient that reaches the encoder output z equals the
// gradient at the quantised output, and the forward value is the code itself.
func TestStraightThroughGradient(t *testing.T) {
	backend := vaekit.GoBackend()
	rng := rand.New(rand.NewPCG(3, 4))
	z, e, u := random(rng, 2, 2, 2, 3), random(rng, 2, 2, 2, 3), random(rng, 2, 2, 2, 3)
	out := MustExecOnceN(backend, func(z, e, u *Node) []*Node {
		values := Add(z, StopGradient(Sub(e, z))) // what Quantize returns
		loss := ReduceAllSum(Mul(Square(values), u))
		dValues := Mul(MulScalar(values, 2), u) // d loss / d values, by hand
		return []*Node{values, Gradient(loss, z)[0], dValues}
	}, z, e, u)
	values, dz, dValues := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2])
	ef := tensors.MustCopyFlatData[float32](e)
	for i := range values {
		if math.Abs(float64(values[i]-ef[i])) > 1e-6 {
			t.Fatalf("forward value %d = %v, want the code %v", i, values[i], ef[i])
		}
		if math.Abs(float64(dz[i]-dValues[i])) > 1e-5 {
			t.Fatalf("gradient at z %d = %v, want the gradient at the quantised output %v", i, dz[i], dValues[i])
		}
	}
}

func TestLossesByHand(t *testing.T) {
	backend := vaekit.GoBackend()
	z := tensors.FromValue([][][][]float32{{{{1, 2}, {0, 0}}}, {{{3, 0}, {0, 4}}}}) // [2, 1, 2, 2]
	e := tensors.FromValue([][][][]float32{{{{0, 0}, {0, 1}}}, {{{0, 0}, {0, 0}}}})
	out := MustExecOnceN(backend, func(z, e *Node) []*Node {
		codebook, commitment := Losses(z, e)
		// The codebook term moves only the codes, the commitment term only the encoder output.
		gz := Gradient(ReduceAllSum(codebook), z)[0]
		ge := Gradient(ReduceAllSum(commitment), e)[0]
		return []*Node{codebook, commitment, ReduceAllSum(Abs(gz)), ReduceAllSum(Abs(ge))}
	}, z, e)
	want := []float32{1 + 4 + 1, 9 + 16}
	for i, name := range []string{"codebook", "commitment"} {
		got := tensors.MustCopyFlatData[float32](out[i])
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("%s of image %d = %v, want %v", name, j, got[j], want[j])
			}
		}
	}
	if g := tensors.ToScalar[float32](out[2]); g != 0 {
		t.Errorf("the codebook term has gradient %v in z, want 0 (stop-gradient)", g)
	}
	if g := tensors.ToScalar[float32](out[3]); g != 0 {
		t.Errorf("the commitment term has gradient %v in the codes, want 0 (stop-gradient)", g)
	}
}

func TestPerplexityAndUsage(t *testing.T) {
	tests := []struct {
		name           string
		counts         []int
		perplexity, in float64
	}{
		{"uniform over 4 codes", []int{5, 5, 5, 5}, 4, 1},
		{"one code", []int{0, 9, 0, 0}, 1, 0.25},
		{"two of four equally", []int{3, 0, 3, 0}, 2, 0.5},
		{"nothing counted", []int{0, 0}, 0, 0},
	}
	for _, tt := range tests {
		if got := Perplexity(tt.counts); math.Abs(got-tt.perplexity) > 1e-12 {
			t.Errorf("%s: Perplexity = %v, want %v", tt.name, got, tt.perplexity)
		}
		if got := InUse(tt.counts); got != tt.in {
			t.Errorf("%s: InUse = %v, want %v", tt.name, got, tt.in)
		}
	}
}
