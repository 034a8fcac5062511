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
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// ParamHidden is the width of the hidden dense layer (default 128).
const ParamHidden = "classifier_hidden"

// Model is the classifier. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "classifier" }

// Logits returns the class logits [batch, classes] of images [batch, h, w, c].
func Logits(scope *model.Scope, images *Node) *Node {
	return layers.Dense(scope.In("logits"), Penultimate(scope, images), true, vaekit.NumClasses(scope))
}

// Penultimate returns the hidden dense layer's activations [batch, ParamHidden] (after its
// ReLU), the features the logits are read from: the feature space in which package sampledist
// compares generated images with the data.
func Penultimate(scope *model.Scope, images *Node) *Node {
	x := images
	for i, filters := range vaekit.Param[[]int](scope, vaekit.ParamConvFilters) {
		x = activation.Relu(vaekit.Conv2D(scope.In("conv_%d", i), x, filters, 3, 2))
	}
	hidden := vaekit.Param[int](scope, ParamHidden)
	if hidden <= 0 {
		panic(fmt.Errorf("classifier: parameter %q = %d: expected a positive width", ParamHidden, hidden))
	}
	return activation.Relu(layers.Dense(scope.In("hidden"), Reshape(x, x.Shape().Dim(0), -1), true, hidden))
}

// Features returns the penultimate features (Penultimate) of every image of set, batchSize
// images at a time.
func Features(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([][]float32, error) {
	rows, _, err := infer.Infer[float32](backend, store, set, batchSize, func(scope *model.Scope, images, _ *Node) *Node {
		return Penultimate(scope, images)
	})
	return rows, err
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
	rows, _, err := infer.Infer[int32](backend, store, set, batchSize, func(scope *model.Scope, images, _ *Node) *Node {
		return InsertAxes(ConvertDType(ArgMax(Logits(scope, images), -1), dtypes.Int32), -1)
	})
	out := make([]int32, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out, err
}

// Probabilities returns the class probabilities [set.N][classes] of every image of set,
// batchSize images at a time.
func Probabilities(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([][]float32, error) {
	probs, _, err := infer.Infer[float32](backend, store, set, batchSize, func(scope *model.Scope, images, _ *Node) *Node {
		return Softmax(Logits(scope, images), -1)
	})
	return probs, err
}

// Quality judges unconditional samples by the classifier's class probabilities p(y|x):
//
//   - Confidence: the mean of max_y p(y|x), how clearly a sample looks like some class
//     (in [1/classes, 1]);
//   - ClassEntropy: the entropy in nats of the samples' mean class distribution p(y), how evenly
//     they cover the classes (0 for one class, ln(classes) for all equally);
//   - Score: exp(E_x[KL(p(y|x) || p(y))]), the Inception Score with this classifier in place of
//     Inception (1 to classes: high when samples are both clear and spread over the classes).
type Quality struct {
	Confidence, ClassEntropy, Score float64
}

// SampleQuality computes Quality from the class probabilities of the samples.
func SampleQuality(probs [][]float32) (Quality, error) {
	if len(probs) == 0 {
		return Quality{}, fmt.Errorf("sample quality: no samples")
	}
	k := len(probs[0])
	marginal := make([]float64, k)
	var confidence float64
	for i, p := range probs {
		if len(p) != k {
			return Quality{}, fmt.Errorf("sample quality: sample %d has %d class probabilities: expected %d", i, len(p), k)
		}
		best := 0.0
		for c, v := range p {
			marginal[c] += float64(v) / float64(len(probs))
			best = max(best, float64(v))
		}
		confidence += best / float64(len(probs))
	}
	// E_x KL(p(y|x) || p(y)) = H(p(y)) - E_x H(p(y|x)).
	entropy := func(p []float64) float64 {
		h := 0.0
		for _, v := range p {
			if v > 0 {
				h -= v * math.Log(v)
			}
		}
		return h
	}
	var conditional float64
	row := make([]float64, k)
	for _, p := range probs {
		for c, v := range p {
			row[c] = float64(v)
		}
		conditional += entropy(row) / float64(len(probs))
	}
	h := entropy(marginal)
	return Quality{Confidence: confidence, ClassEntropy: h, Score: math.Exp(h - conditional)}, nil
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

func init() {
	paramtable.Declare(paramtable.Spec{Name: ParamHidden, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Families: []string{"classifier"}, Default: 128,
		Doc: "width of the hidden dense layer"})
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: []string{vaekit.ParamConvFilters, vaekit.ParamNumClasses}})
}

// ClassLogits implements vaekit.Classifier.
func (Model) ClassLogits(scope *model.Scope, images *Node) *Node { return Logits(scope, images) }

// Units implements vaekit.Documented.
func (Model) Units(*model.Store) string {
	return "per image: loss is the cross-entropy in nats, error is 1 for a wrong class (its mean is the error rate)"
}

// TermAxes implements vaekit.Described.
func (Model) TermAxes(*model.Store) map[string]history.Axis {
	return map[string]history.Axis{"loss": {Unit: "nats per image"}, "error": {Unit: "error rate"}}
}

// Size implements vaekit.Sized: the convolutions, the hidden layer and the logits.
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	hidden := p.Int(ParamHidden, family)
	s, features := vaekit.ConvStackSize(shape, p.Ints(vaekit.ParamConvFilters, family), false)
	return s.Add(vaekit.DenseSize(features, hidden)).Add(vaekit.DenseSize(hidden, p.Int(vaekit.ParamNumClasses, family)))
}
