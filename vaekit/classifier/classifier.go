// Package classifier is the small convolutional classifier that judges class-conditioned
// samples: trained by vaekit's one training loop on the same data set as the generative model,
// it assigns every generated image a class, and the class-conditional fidelity of a generator is
// the share of its samples for class c that the classifier puts in class c.
//
// Architecture: the stride-2 3x3 convolutions of vaekit.ParamConvFilters (default 32, 64) with
// ReLU, a dense layer of ParamHidden units (default 128) with ReLU, and a dense layer to
// vaekit.ParamNumClasses logits. Loss terms, per image:
//
//	loss  = cross-entropy of the true class, in nats
//	error = 1 if the most likely class is not the true class, else 0 (its mean is the error rate)
package classifier

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// ParamHidden is the width of the hidden dense layer (default 128).
const ParamHidden = "classifier_hidden"

// Model is the classifier. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "classifier" }

// Logits returns the class logits [batch, classes] of images [batch, h, w, c].
func Logits(scope *model.Scope, images *Node) *Node {
	x := images
	for i, filters := range model.GetParamOr(scope, vaekit.ParamConvFilters, []int{32, 64}) {
		x = activation.Relu(vaekit.Conv2D(scope.In("conv_%d", i), x, filters, 3, 2))
	}
	hidden := model.GetParamOr(scope, ParamHidden, 128)
	if hidden <= 0 {
		panic(fmt.Errorf("classifier: parameter %q = %d: expected a positive width", ParamHidden, hidden))
	}
	x = activation.Relu(layers.Dense(scope.In("hidden"), Reshape(x, x.Shape().Dim(0), -1), true, hidden))
	return layers.Dense(scope.In("logits"), x, true, vaekit.NumClasses(scope))
}

// Loss implements vaekit.Model.
func (Model) Loss(scope *model.Scope, images, labels *Node) vaekit.Terms {
	logits := Logits(scope, images)
	k := logits.Shape().Dim(-1)
	loss := Neg(ReduceSum(Mul(LogSoftmax(logits, -1), OneHot(labels, k, logits.DType())), -1))
	wrong := ConvertDType(NotEqual(ConvertDType(ArgMax(logits, -1), dtypes.Int32), labels), logits.DType())
	return vaekit.Terms{{Name: "loss", Value: loss}, {Name: "error", Value: wrong}}
}

// Predict returns the most likely class of every image of set, batchSize images at a time.
func Predict(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([]int32, error) {
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *Node) *Node {
		return ConvertDType(ArgMax(Logits(scope, images), -1), dtypes.Int32)
	})
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, set.N)
	err = vaekit.ForEachBatch(set, batchSize, func(images, _ *tensors.Tensor, n int) error {
		res, err := exec.Exec(images)
		if err != nil {
			return err
		}
		out = append(out, tensors.MustCopyFlatData[int32](res[0])[:n]...)
		return nil
	})
	return out, err
}

// Fidelity is the class-conditional fidelity of generated samples: for every class, the share
// of the samples asked for that class that the classifier assigns to it, and that share over
// all samples. Classes without samples get NaN.
type Fidelity struct {
	Overall  float64
	PerClass []float64
}

// Score compares the classes predicted for samples with the classes asked for.
func Score(predicted, asked []int32, numClasses int) (Fidelity, error) {
	if len(predicted) != len(asked) {
		return Fidelity{}, fmt.Errorf("fidelity: %d predictions for %d samples: expected one each", len(predicted), len(asked))
	}
	hits, totals := make([]int, numClasses), make([]int, numClasses)
	var allHits int
	for i, c := range asked {
		if c < 0 || int(c) >= numClasses {
			return Fidelity{}, fmt.Errorf("fidelity: sample %d asked for class %d: expected a class in [0, %d)", i, c, numClasses)
		}
		totals[c]++
		if predicted[i] == c {
			hits[c]++
			allHits++
		}
	}
	f := Fidelity{PerClass: make([]float64, numClasses)}
	for c := range f.PerClass {
		f.PerClass[c] = float64(hits[c]) / float64(totals[c]) // NaN for 0/0
	}
	f.Overall = float64(allHits) / float64(len(asked))
	return f, nil
}
