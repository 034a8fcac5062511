package vaekit_test

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/vaekit"
)

// The gradient of softplus is sigmoid(x), and that of the Bernoulli NLL with respect to its
// logits sigmoid(l) - t, worked out by hand at a few points (extreme logits included).
func TestSoftplusGradientsByHand(t *testing.T) {
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	xs := []float32{0, 2, -3, 30, -30}
	targets := []float32{1, 0, 0.25, 0, 1}
	for name, backend := range testBackends(t) {
		got := MustExecOnceN(backend, func(x, tg *Node) []*Node {
			return []*Node{
				Gradient(ReduceAllSum(vaekit.StableSoftplus(x)), x)[0],
				Gradient(ReduceAllSum(vaekit.BernoulliNLL(Reshape(x, 1, -1), Reshape(tg, 1, -1))), x)[0],
			}
		}, xs, targets)
		soft, nll := tensors.MustCopyFlatData[float32](got[0]), tensors.MustCopyFlatData[float32](got[1])
		for i, x := range xs {
			want := sigmoid(float64(x))
			if math.Abs(float64(soft[i])-want) > 1e-6 {
				t.Errorf("%s: d softplus(x)/dx at %g = %g, want sigmoid = %g", name, x, soft[i], want)
			}
			if want -= float64(targets[i]); math.Abs(float64(nll[i])-want) > 1e-6 {
				t.Errorf("%s: d NLL/dl at l = %g, t = %g: %g, want %g", name, x, targets[i], nll[i], want)
			}
		}
	}
}
