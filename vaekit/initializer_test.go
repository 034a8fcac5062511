package vaekit_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// The weights of a new model follow ParamInitializer, checked on the VQ-VAE encoder's second
// convolution (kernel 3x3x8x16: fan in 72, fan out 144, 1152 values): He normal has standard
// deviation sqrt(2/72) = 0.167, and about a third of its values lie beyond Glorot's bound
// sqrt(6/216) = 0.167; Glorot uniform stays within that bound and nearly reaches it. Biases
// start at zero under both, and vq_codebook_init_scale bounds the codebook.
func TestInitializers(t *testing.T) {
	const glorotLimit = 0.16666666 // sqrt(6 / (72 + 144))
	tests := []struct {
		name          string
		params        map[string]any
		glorot        bool
		codebookBound float64 // 0: not checked
	}{
		{"default is he_normal", nil, false, 0},
		{"he_normal", map[string]any{training.ParamInitializer: "he_normal"}, false, 0},
		{"glorot_uniform", map[string]any{training.ParamInitializer: "glorot_uniform"}, true, 0},
		{"keras-io codebook", map[string]any{training.ParamInitializer: "glorot_uniform", vqvae.ParamCodebookInitScale: 0.05}, true, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{vaekit.ParamConvFilters: []int{8, 16}, vqvae.ParamNumCodes: 64, vqvae.ParamCodeDim: 4,
				training.ParamBatchSize: 16, training.ParamSeed: int64(5)}
			for k, v := range tt.params {
				params[k] = v
			}
			tr, store := newTrainer(t, vqvae.Model{}, params)
			if _, err := tr.Evaluate(syntheticSet(16, 1), 16); err != nil { // builds the graph, creating the weights
				t.Fatal(err)
			}
			kernel := variableOfShape(t, store, "/encoder/", 3, 3, 8, 16)
			var sumSq, maxAbs float64
			for _, w := range kernel {
				sumSq += float64(w) * float64(w)
				maxAbs = max(maxAbs, math.Abs(float64(w)))
			}
			std := math.Sqrt(sumSq / float64(len(kernel)))
			if tt.glorot {
				if maxAbs > glorotLimit || maxAbs < 0.95*glorotLimit {
					t.Errorf("glorot_uniform: largest |w| = %.4f, want within [0.95, 1] x %.4f", maxAbs, glorotLimit)
				}
				if want := glorotLimit / math.Sqrt(3); math.Abs(std-want) > 0.1*want {
					t.Errorf("glorot_uniform: standard deviation %.4f, want %.4f +- 10%%", std, want)
				}
			} else {
				if want := math.Sqrt(2.0 / 72); math.Abs(std-want) > 0.1*want {
					t.Errorf("he_normal: standard deviation %.4f, want %.4f +- 10%%", std, want)
				}
				if maxAbs < 1.5*glorotLimit {
					t.Errorf("he_normal: largest |w| = %.4f, want a normal's tail beyond %.4f", maxAbs, 1.5*glorotLimit)
				}
			}
			for _, b := range variableOfShape(t, store, "/encoder/", 16) {
				if b != 0 {
					t.Fatalf("a bias starts at %g, want 0", b)
				}
			}
			if tt.codebookBound > 0 {
				codebook := variableOfShape(t, store, "/quantizer/", 64, 4)
				largest := slices.MaxFunc(codebook, func(a, b float32) int { return int(math.Copysign(1, math.Abs(float64(a))-math.Abs(float64(b)))) })
				if l := math.Abs(float64(largest)); l > tt.codebookBound || l < 0.9*tt.codebookBound {
					t.Errorf("codebook: largest |e| = %.4f, want within [0.9, 1] x %g", l, tt.codebookBound)
				}
			}
		})
	}
}

// variableOfShape returns the values of the one variable under path whose shape is dims.
func variableOfShape(t *testing.T, store *model.Store, path string, dims ...int) []float32 {
	t.Helper()
	var found [][]float32
	for v := range store.IterVariables() {
		if strings.Contains(v.Path(), path) && slices.Equal(v.Shape().Dimensions, dims) {
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			found = append(found, tensors.MustCopyFlatData[float32](val))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d variables under %s with shape %v, want 1", len(found), path, dims)
	}
	return found[0]
}

func TestUnknownInitializer(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{training.ParamInitializer: "zeros"})
	_, err := training.NewTrainer(backends.Go(), store, vqvae.Model{})
	if err == nil || !strings.Contains(err.Error(), `parameter initializer = "zeros": expected one of he_normal, glorot_uniform`) {
		t.Errorf("NewTrainer error = %v, want the initializer named", err)
	}
}
