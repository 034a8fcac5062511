package vqvae

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit/backends"
)

var random = testutil.RandomTensor

func TestNearestEqualsBruteForce(t *testing.T) {
	backend := backends.Go()
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
	backend := backends.Go()
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
	backend := backends.Go()
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

// The moving-average update by hand. Codebook (0, 10, 100), counts 1, decay 0.5; vectors 1 and 2
// go to code 0, 9 to code 1, none to code 2:
//
//	code 0: N = 0.5*1 + 0.5*2 = 1.5, M = 0.5*0 + 0.5*3 = 1.5, e = 1
//	code 1: N = 0.5*1 + 0.5*1 = 1,   M = 0.5*10 + 0.5*9 = 9.5, e = 9.5
//	code 2: unused: e stays 100, N = 0.5; re-seeded after 1 idle step: e = z[(2*7919) mod 3] = 2, N = 1.
func TestEMAUpdateByHand(t *testing.T) {
	for _, tc := range []struct {
		reseedAfter  int
		wantE, wantN []float32
	}{
		{0, []float32{1, 9.5, 100}, []float32{1.5, 1, 0.5}},
		{1, []float32{1, 9.5, 2}, []float32{1.5, 1, 1}},
	} {
		store := model.NewStore()
		store.SetParams(map[string]any{ParamNumCodes: 3, ParamCodeDim: 1, ParamEMADecay: 0.5})
		store.RootScope().In("quantizer").VariableWithValue("codebook", [][]float32{{0}, {10}, {100}})
		exec, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, z, codes *Node) *Node {
			emaUpdate(scope, z, codes, tc.reseedAfter)
			return ReduceAllSum(z)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.Exec([][]float32{{1}, {2}, {9}}, []int32{0, 0, 1}); err != nil {
			t.Fatal(err)
		}
		read := func(name string) []float32 {
			v, err := store.GetVariable("/quantizer/" + name).Value()
			if err != nil {
				t.Fatal(err)
			}
			return tensors.MustCopyFlatData[float32](v)
		}
		e, n := read("codebook"), read("ema_count")
		for i := range e {
			if math.Abs(float64(e[i]-tc.wantE[i])) > 1e-5 || math.Abs(float64(n[i]-tc.wantN[i])) > 1e-5 {
				t.Errorf("reseedAfter=%d: codebook %v, counts %v; want %v, %v", tc.reseedAfter, e, n, tc.wantE, tc.wantN)
				break
			}
		}
	}
}
