package vaekit_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// smallConvBN is a small convolutional model with BatchNorm after every convolution.
func smallConvBN() map[string]any {
	return map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamConvFilters: []int{4, 8}, vaekit.ParamConvDense: 8,
		vaekit.ParamConvBatchNorm: true, vaekit.ParamLatentDim: 2, training.ParamBatchSize: 16, training.ParamSeed: int64(5),
		training.ParamLearningRate: 1e-2}
}

// allValues copies every variable of the store (trainable or not) as bytes, by path.
func allValues(t *testing.T, store *model.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for v := range store.IterVariables() {
		if !v.HasValue() {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if err := val.ConstBytes(func(data []byte) { out[v.Path()] = bytes.Clone(data) }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func isAverage(path string) bool {
	return strings.Contains(path, "/batchnorm/") &&
		(strings.HasSuffix(path, "/mean") || strings.HasSuffix(path, "/variance") || strings.HasSuffix(path, "/avg_weight"))
}

// After EstimateBatchNorm over one batch, evaluating the model on that batch (BatchNorm with its
// averages) gives what training mode gives (BatchNorm with the batch's own statistics), while
// no variable but the averages changed: not the weights, the optimizer state nor the random
// state (a VAE draws noise in training mode).
func TestEstimateBatchNorm(t *testing.T) {
	for _, m := range []vaekit.Model{ae.Model{}, vae.Model{}} {
		t.Run(m.Name(), func(t *testing.T) {
			tr, store := newTrainer(t, m, smallConvBN())
			set := syntheticSet(64, 2)
			ctx := context.Background()
			images, labels := randomBatch(16, false, 4)
			for range 5 { // weights away from their initial values, moving averages behind them
				if _, err := tr.TrainStep(images, labels); err != nil {
					t.Fatal(err)
				}
			}
			before := allValues(t, store)
			order := make([]int32, 16)
			for i := range order {
				order[i] = int32(i)
			}
			if err := tr.EstimateBatchNorm(ctx, set, order, 1); err != nil {
				t.Fatal(err)
			}
			after := allValues(t, store)
			averagesChanged := 0
			for path, value := range after {
				switch {
				case isAverage(path):
					if !bytes.Equal(value, before[path]) {
						averagesChanged++
					}
				case !bytes.Equal(value, before[path]):
					t.Errorf("EstimateBatchNorm changed %s", path)
				}
			}
			if averagesChanged == 0 {
				t.Fatal("no BatchNorm average changed")
			}
			if m.Name() != "ae" {
				return // the VAE's noise differs between the two evaluations below
			}
			sub := set.Subset(16) // the first 16 images, the batch the averages came from
			evalMeans, err := tr.Evaluate(sub, 16)
			if err != nil {
				t.Fatal(err)
			}
			trainingMode, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, images, labels *Node) *Node {
				store.SetTraining(images.Graph(), true)
				return ReduceAllMean(m.Loss(scope, images, labels)[0].Value)
			})
			if err != nil {
				t.Fatal(err)
			}
			x := tensors.FromFlatDataAndDimensions(sub.Images, 16, 28, 28, 1)
			y := tensors.FromFlatDataAndDimensions(sub.Labels, 16)
			want := float64(tensors.ToScalar[float32](trainingMode.MustExec(x, y)[0]))
			if got := evalMeans[0]; math.Abs(got-want) > 1e-3*math.Abs(want) {
				t.Errorf("loss with the estimated averages %g, with the batch's statistics %g", got, want)
			}
		})
	}
}

// In training, BatchNorm passes the gradient through the batch's mean and variance, as Keras'
// and PyTorch's do. Worked out by hand: each channel of the normalized batch sums to 0 whatever
// the input, so the sum of the outputs has a zero gradient with respect to every input; with
// the batch statistics held constant (GoMLX's norm.BatchNorm) it would be 1 / sqrt(variance +
// 0.001) instead (0.436 for the first channel here). In inference the averages normalize.
func TestBatchNormGradientThroughTheBatchStatistics(t *testing.T) {
	for _, training := range []bool{true, false} {
		store := model.NewStore()
		exec, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, x *Node) []*Node {
			store.SetTraining(x.Graph(), training)
			y := vaekit.BatchNorm(scope, x)
			return []*Node{y, Gradient(ReduceAllSum(y), x)[0]}
		})
		if err != nil {
			t.Fatal(err)
		}
		// Channel 0: 1, 2, 4, 7 (mean 3.5, variance 5.25); channel 1: 10, 20, 30, 60.
		x := tensors.FromFlatDataAndDimensions([]float32{1, 10, 2, 20, 4, 30, 7, 60}, 4, 2)
		res, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		y, grad := tensors.MustCopyFlatData[float32](res[0]), tensors.MustCopyFlatData[float32](res[1])
		want, wantGrad := (1-3.5)/math.Sqrt(5.25+1e-3), 0.0
		if !training { // fresh averages: mean 0, variance 1
			want, wantGrad = 1/math.Sqrt(1+1e-3), 1/math.Sqrt(1+1e-3)
		}
		if math.Abs(float64(y[0])-want) > 1e-5 {
			t.Errorf("training %v: first normalized value %g, want %g", training, y[0], want)
		}
		for i, v := range grad {
			if math.Abs(float64(v)-wantGrad) > 1e-5 {
				t.Errorf("training %v: gradient of the sum with respect to input %d: %g, want %g", training, i, v, wantGrad)
			}
		}
	}
}
