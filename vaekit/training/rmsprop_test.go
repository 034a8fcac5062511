package training

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/backends"
)

// Two steps of Keras' RMSprop on loss = 3 w from w = 1, lr 1e-3, worked out by hand:
//
//	step 1: ms = 0.1 * 9 = 0.9,             w = 1 - 0.001 * 3 / sqrt(0.9 + 1e-7)
//	step 2: ms = 0.9 * 0.9 + 0.1 * 9 = 1.71, w = w1 - 0.001 * 3 / sqrt(1.71 + 1e-7)
func TestKerasRMSprop(t *testing.T) {
	store := model.NewStore()
	w := store.RootScope().In("layer").VariableWithValue("w", float32(1))
	opt := kerasRMSprop{learningRate: 1e-3, rho: 0.9, epsilon: 1e-7}
	step, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, x *Node) *Node {
		g := x.Graph()
		store.SetTraining(g, true)
		loss := Mul(x, w.NodeValue(g))
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	w1 := 1 - 0.001*3/math.Sqrt(0.9+1e-7)
	w2 := w1 - 0.001*3/math.Sqrt(1.71+1e-7)
	for i, want := range []float64{w1, w2} {
		if _, err := step.Exec(float32(3)); err != nil {
			t.Fatal(err)
		}
		got := float64(tensors.ToScalar[float32](w.MustValue()))
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("after step %d: w = %.8f, want %.8f", i+1, got, want)
		}
	}
}
