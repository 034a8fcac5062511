package cvae_test

import (
	"math"
	"slices"
	"testing"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
)

// A CVAE's samples depend on the class: the same z decoded with two labels gives two images
// (concat form), and the class-prior form draws around two different learned means.
// Both forms of the conditional VAE decode the class: the same noise with another class is
// another image.
func TestCVAEClassChangesTheSample(t *testing.T) {
	for _, form := range []string{cvae.FormConcat, cvae.FormPrior} {
		t.Run(form, func(t *testing.T) {
			tr, store := briefly.Trainer(t, cvae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{64, 32},
				vaekit.ParamLatentDim: 4, training.ParamBatchSize: 16, training.ParamSeed: int64(3), training.ParamLearningRate: 3e-3,
				cvae.ParamNumClasses: 4, cvae.ParamForm: form})
			set := testutil.SquaresSet(64, 11)
			for range 5 {
				images, labels := briefly.Batch(set, 16)
				if _, err := tr.TrainStep(images, labels); err != nil {
					t.Fatal(err)
				}
			}
			samples, err := infer.ClassSamples(backends.Go(), store, cvae.Model{}, 4, 1, 7)
			if err != nil {
				t.Fatal(err)
			}
			// The same seed draws the same eps for every class; only the class differs.
			var diff float64
			for i := range samples[0] {
				diff = max(diff, math.Abs(float64(samples[0][i]-samples[1][i])))
			}
			if diff < 1e-3 {
				t.Errorf("classes 0 and 1 decoded to the same image (max pixel difference %g)", diff)
			}
			if form == cvae.FormConcat {
				z := [][]float32{{0.5, -0.5, 1, 0}, {0.5, -0.5, 1, 0}} // the latent has 4 dimensions
				images, err := infer.Decode(backends.Go(), store, cvae.Model{}, z, []int32{2, 3})
				if err != nil {
					t.Fatal(err)
				}
				if slices.Equal(images[0], images[1]) {
					t.Error("the same z with labels 2 and 3 decoded to the same image")
				}
			}
		})
	}
}
