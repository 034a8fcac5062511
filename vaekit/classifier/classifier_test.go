package classifier_test

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name             string
		predicted, asked []int32
		overall          float64
		perClass         []float64
	}{
		{"all right", []int32{0, 1, 2}, []int32{0, 1, 2}, 1, []float64{1, 1, 1}},
		{"half of class 0", []int32{0, 2, 1, 1}, []int32{0, 0, 1, 1}, 0.75, []float64{0.5, 1, math.NaN()}},
		{"none", []int32{1, 0}, []int32{0, 1}, 0, []float64{0, 0, math.NaN()}},
	}
	for _, tt := range tests {
		f, err := classifier.Score(tt.predicted, tt.asked, 3)
		if err != nil {
			t.Fatal(err)
		}
		if f.Overall != tt.overall {
			t.Errorf("%s: overall %g, want %g", tt.name, f.Overall, tt.overall)
		}
		for c, want := range tt.perClass {
			if got := f.PerClass[c]; got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("%s: class %d: %g, want %g", tt.name, c, got, want)
			}
		}
	}
	for _, bad := range [][2][]int32{{{0}, {0, 1}}, {{0}, {3}}, {{0}, {-1}}} {
		if _, err := classifier.Score(bad[0], bad[1], 3); err == nil {
			t.Errorf("Score(%v, %v): want an error", bad[0], bad[1])
		}
	}
}

// fit trains m for the given epochs on the squares and returns its store.
func fit(t *testing.T, m vaekit.Model, params map[string]any, train *datasets.Set) *model.Store {
	t.Helper()
	store := model.NewStore()
	store.SetParams(params)
	tr, err := vaekit.NewTrainer(vaekit.GoBackend(), store, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), train, train.Subset(64), vaekit.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	return store
}

func classifierParams() map[string]any {
	return map[string]any{vaekit.ParamConvFilters: []int{8, 16}, classifier.ParamHidden: 32, vaekit.ParamNumClasses: 4,
		vaekit.ParamBatchSize: 32, vaekit.ParamEpochs: 2, vaekit.ParamSeed: int64(1), vaekit.ParamLearningRate: 3e-3}
}

// A classifier trained briefly on the squares predicts the held-out squares' classes.
func TestClassifierLearns(t *testing.T) {
	store := fit(t, classifier.Model{}, classifierParams(), testutil.SquaresSet(512, 1))
	test := testutil.SquaresSet(200, 2)
	predicted, err := classifier.Predict(vaekit.GoBackend(), store, test, 64)
	if err != nil {
		t.Fatal(err)
	}
	f, err := classifier.Score(predicted, test.Labels, 4)
	if err != nil {
		t.Fatal(err)
	}
	if f.Overall < 0.95 {
		t.Errorf("accuracy on held-out squares %.3f, want at least 0.95", f.Overall)
	}
}

// A briefly trained CVAE generates, for each class, images that a briefly trained classifier
// assigns to that class far more often than chance (1/4).
func TestCVAEFidelityAboveChance(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a classifier and a CVAE (about 10 s); run without -short")
	}
	train := testutil.SquaresSet(512, 3)
	judge := fit(t, classifier.Model{}, classifierParams(), train)
	for _, form := range []string{cvae.FormConcat, cvae.FormPrior} {
		gen := fit(t, cvae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{64, 32},
			vaekit.ParamLatentDim: 2, vaekit.ParamNumClasses: 4, cvae.ParamForm: form, vaekit.ParamBatchSize: 32,
			vaekit.ParamEpochs: 60, vaekit.ParamSeed: int64(1), vaekit.ParamLearningRate: 3e-3}, train)
		samples, err := vaekit.ClassSamples(vaekit.GoBackend(), gen, cvae.Model{}, 4, 25, 1)
		if err != nil {
			t.Fatal(err)
		}
		set := &datasets.Set{N: len(samples), Height: 28, Width: 28, Labels: make([]int32, len(samples))}
		for i, s := range samples {
			set.Images = append(set.Images, s...)
			set.Labels[i] = int32(i / 25)
		}
		predicted, err := classifier.Predict(vaekit.GoBackend(), judge, set, 50)
		if err != nil {
			t.Fatal(err)
		}
		f, err := classifier.Score(predicted, set.Labels, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: fidelity %.2f, per class %.2f", form, f.Overall, f.PerClass)
		if f.Overall < 0.7 {
			t.Errorf("%s CVAE: class-conditional fidelity %.2f, want at least 0.7 (chance is 0.25)", form, f.Overall)
		}
	}
}
