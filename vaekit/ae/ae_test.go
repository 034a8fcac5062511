package ae_test

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// The autoencoder's loss is its reconstruction; the denoising AE corrupts its inputs only while
// it trains, so the evaluation of the same weights is the same with and without corruption.
func TestAELossAndCorruption(t *testing.T) {
	set := testutil.SquaresSet(16, 5)
	mask := tensors.FromValue([]float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	evals := map[string][]float64{}
	for _, corruption := range []string{"none", "mask"} {
		tr, _ := briefly.Trainer(t, ae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{32}, vaekit.ParamLatentDim: 2,
			training.ParamSeed: int64(4), ae.ParamCorruption: corruption, ae.ParamNoise: 0.9})
		images, labels := briefly.Batch(set, 16)
		v, err := tr.EvalStep(images, labels, mask)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"loss", "reconstruction"}; strings.Join(tr.Terms(), ",") != strings.Join(want, ",") {
			t.Errorf("%s: terms %v, want %v", corruption, tr.Terms(), want)
		}
		if v[0] != v[1] {
			t.Errorf("%s: loss %g, reconstruction %g: want equal", corruption, v[0], v[1])
		}
		evals[corruption] = v
		train, err := tr.TrainStep(briefly.Batch(set, 16))
		if err != nil {
			t.Fatal(err)
		}
		evals[corruption+" train"] = train
	}
	if evals["none"][0] != evals["mask"][0] {
		t.Errorf("evaluation with and without corruption: %g and %g, want equal (same weights, clean inputs)", evals["none"][0], evals["mask"][0])
	}
	if evals["none train"][0] == evals["mask train"][0] {
		t.Errorf("training loss %g with and without a 90%% mask: want different", evals["mask train"][0])
	}
	if _, err := paramtable.CheckAll("ae", map[string]any{ae.ParamCorruption: "mask", ae.ParamNoise: 1.5}); err == nil ||
		!strings.Contains(err.Error(), "expected a fraction in [0, 1]") {
		t.Errorf("a masked fraction of 1.5: error %v", err)
	}
}
