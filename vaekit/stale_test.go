package vaekit_test

import (
	"os"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/training"
)

// testBackends are the backends an evaluation must be correct on: the one backends.New chooses
// (GOMLX_BACKEND, as make test sets it), the shared pure-Go backend, and ONNX Runtime where it
// is installed.
func testBackends(t *testing.T) map[string]compute.Backend {
	t.Helper()
	chosen, desc, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]compute.Backend{"backends.New: " + desc: chosen, "backends.Go": backends.Go()}
	if os.Getenv(backends.Env) != "onnx:cpu" {
		t.Setenv(backends.Env, "onnx:cpu")
		if onnx, _, err := backends.New(); err == nil {
			all["onnx"] = onnx
		} else if os.Getenv("VAEKIT_REQUIRE_ONNX") == "1" {
			t.Fatal(err)
		}
	}
	return all
}

// A graph compiled once and run again must read every variable's current value, trainable or
// not, in training and in inference mode. GoMLX embeds variables as constants in inference
// graphs on a backend that reports PreferConstantsForVariables (ONNX Runtime since compute-onnx
// v0.1.5, the pure-Go backend since compute v0.1.14): then a test loss, an encoding or a sample
// would use the weights of the moment the graph was first compiled.
func TestEvaluationReadsCurrentVariables(t *testing.T) {
	for name, backend := range testBackends(t) {
		if backend.Capabilities().PreferConstantsForVariables {
			t.Errorf("%s: backend still asks for variables as constants", name)
		}
		for _, trainable := range []bool{true, false} {
			store := model.NewStore()
			v := store.RootScope().In("layer").VariableWithValue("w", []float32{1, 2}).SetTrainable(trainable)
			read, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
				return Add(x, v.NodeValue(x.Graph()))
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range [][]float32{{1, 2}, {10, 20}, {-3, 0.5}} {
				v.MustSetValue(tensors.FromValue(w))
				out, err := read.Exec([]float32{100, 200})
				if err != nil {
					t.Fatal(err)
				}
				got := tensors.MustCopyFlatData[float32](out[0])
				if want := []float32{100 + w[0], 200 + w[1]}; !slices.Equal(got, want) {
					t.Errorf("%s, trainable=%v: after setting the variable to %v the graph gives %v, want %v", name, trainable, w, got, want)
				}
			}
		}
	}
}

// The test loss after training equals the loss a new trainer computes from the same weights:
// the evaluation graph, compiled before training, does not keep the initial weights.
func TestEvalStepSeesTrainedWeights(t *testing.T) {
	for name, backend := range testBackends(t) {
		store := model.NewStore()
		store.SetParams(map[string]any{training.ParamBatchSize: 16, training.ParamSeed: int64(5), vaekit.ParamLatentDim: 2})
		tr, err := training.NewTrainer(backend, store, ae.Model{})
		if err != nil {
			t.Fatal(err)
		}
		images, labels := randomBatchOn(16)
		mask := tensors.FromValue(slices.Repeat([]float32{1}, 16))
		// One step first: the variables then have values when the evaluation graph is compiled.
		if _, err := tr.TrainStep(images, labels); err != nil {
			t.Fatal(err)
		}
		before, err := tr.EvalStep(images, labels, mask)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := tr.TrainStep(images, labels); err != nil {
				t.Fatal(err)
			}
		}
		after, err := tr.EvalStep(images, labels, mask)
		if err != nil {
			t.Fatal(err)
		}
		clone, err := store.Clone()
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := training.NewTrainer(backend, clone, ae.Model{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.EvalStep(images, labels, mask)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(before, after) {
			t.Errorf("%s: test loss %v unchanged by 3 training steps", name, after)
		}
		if !slices.Equal(after, want) {
			t.Errorf("%s: test loss after training %v, a new trainer on the same weights gives %v", name, after, want)
		}
	}
}

// randomBatchOn is randomBatch of fresh tensors (a tensor is bound to the first backend that
// uses it).
func randomBatchOn(batch int) (*tensors.Tensor, *tensors.Tensor) {
	return randomBatch(batch, false, 10)
}
