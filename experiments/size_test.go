package experiments

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// A family's count of its weights before any is made (vaekit.Sized, what preflight refuses
// oversized runs by) is the number of trainable values the model then builds, for each family
// and both architectures, grey and colour.
func TestSizeCountsTheWeightsBuilt(t *testing.T) {
	tests := []struct {
		family string
		params map[string]any
		shape  []int
	}{
		{"vae", map[string]any{vaekit.ParamMLPHidden: []int{12, 6}, vaekit.ParamLatentDim: 3}, []int{8, 8, 1}},
		{"vae", map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamConvFilters: []int{4, 6}, vaekit.ParamConvDense: 5, vaekit.ParamLatentDim: 2}, []int{8, 8, 3}},
		{"ae", map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamConvFilters: []int{4}, vaekit.ParamConvDense: 0, vaekit.ParamConvBatchNorm: true}, []int{8, 8, 1}},
		{"betatcvae", map[string]any{vaekit.ParamMLPHidden: []int{10}, vaekit.ParamLatentDim: 4, vaekit.ParamTrainingImages: 100}, []int{8, 8, 3}},
		{"cvae", map[string]any{vaekit.ParamMLPHidden: []int{10}, vaekit.ParamLatentDim: 2, vaekit.ParamNumClasses: 4}, []int{8, 8, 1}},
		{"cvae", map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamConvFilters: []int{3, 5}, vaekit.ParamLatentDim: 2, vaekit.ParamNumClasses: 4}, []int{8, 8, 1}},
		{"cvae", map[string]any{vaekit.ParamMLPHidden: []int{10}, vaekit.ParamLatentDim: 3, vaekit.ParamNumClasses: 4, "cvae_form": "prior"}, []int{8, 8, 1}},
		{"gan", map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamConvFilters: []int{4, 6}, vaekit.ParamConvDense: 5}, []int{8, 8, 1}},
		{"vqvae", map[string]any{vaekit.ParamConvFilters: []int{4, 6}, "vq_num_codes": 7, "vq_code_dim": 3}, []int{8, 8, 3}},
		{"classifier", map[string]any{vaekit.ParamConvFilters: []int{4, 6}, "classifier_hidden": 9, vaekit.ParamNumClasses: 4}, []int{8, 8, 1}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		m, err := vaekit.FamilyByName(tt.family)
		if err != nil {
			t.Fatal(err)
		}
		sized, ok := m.(vaekit.Sized)
		if !ok {
			t.Errorf("%s: not vaekit.Sized", tt.family)
			continue
		}
		p := map[string]any{training.ParamBatchSize: 4}
		for k, v := range tt.params {
			p[k] = v
		}
		checked, err := paramtable.CheckAll(tt.family, p)
		if err != nil {
			t.Fatal(err)
		}
		want := sized.Size(checked, tt.family, tt.shape).Weights
		store := model.NewStore()
		store.SetParams(checked)
		store.SetParam(vaekit.ParamImageShape, tt.shape)
		tr, err := training.NewTrainer(backends.Go(), store, m)
		if err != nil {
			t.Fatal(err)
		}
		images := testutil.RandomTensor(rng, append([]int{4}, tt.shape...)...)
		if _, err := tr.TrainStep(images, tensors.FromValue([]int32{0, 1, 2, 3})); err != nil {
			t.Fatalf("%s %v: %v", tt.family, tt.params, err)
		}
		if got, _ := infer.ParameterCounts(store); int64(got) != want {
			t.Errorf("%s %v on %v images: built %d trainable values, Size counted %d", tt.family, tt.params, tt.shape, got, want)
		}
	}
}
