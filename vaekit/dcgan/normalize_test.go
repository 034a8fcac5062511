package dcgan

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
)

// In training, the generator's normalization passes the gradient through the batch's mean and
// variance, as Keras' does. Worked out by hand: each feature of the normalized batch sums to 0
// whatever the input, so the sum of the outputs (before the LeakyReLU: alpha 1 makes it the
// identity) has a zero gradient with respect to every input; with the batch statistics held
// constant (GoMLX's norm.BatchNorm) it would be 1 / sqrt(variance + epsilon) instead.
func TestNormalizationGradientThroughTheBatchStatistics(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{vaekit.ParamLeakyReluAlpha: 1.0})
	exec, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, x *Node) []*Node {
		store.SetTraining(x.Graph(), true)
		y := normalize(scope, x)
		return []*Node{y, Gradient(ReduceAllSum(y), x)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromFlatDataAndDimensions([]float32{1, 10, 2, 20, 4, 30, 7, 60}, 4, 2)
	res, err := exec.Exec(x)
	if err != nil {
		t.Fatal(err)
	}
	y, grad := tensors.MustCopyFlatData[float32](res[0]), tensors.MustCopyFlatData[float32](res[1])
	// Feature 0: 1, 2, 4, 7 (mean 3.5, variance 5.25); normalized first value (1 - 3.5) / sqrt(5.251).
	if want := (1 - 3.5) / math.Sqrt(5.25+1e-3); math.Abs(float64(y[0])-want) > 1e-5 {
		t.Errorf("normalized first value %g, want %g", y[0], want)
	}
	for i, v := range grad {
		if math.Abs(float64(v)) > 1e-5 {
			t.Errorf("gradient of the sum with respect to input %d: %g, want 0", i, v)
		}
	}
}
