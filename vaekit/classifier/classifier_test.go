package classifier_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
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
	tr, store := briefly.Trainer(t, m, params)
	if _, err := tr.Fit(context.Background(), train, train.Subset(64), training.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	return store
}

func classifierParams() map[string]any {
	return map[string]any{vaekit.ParamConvFilters: []int{8, 16}, classifier.ParamHidden: 32, vaekit.ParamNumClasses: 4,
		training.ParamBatchSize: 32, training.ParamEpochs: 2, training.ParamSeed: int64(1), training.ParamLearningRate: 3e-3}
}

// A classifier trained briefly on the squares predicts the held-out squares' classes.
func TestClassifierLearns(t *testing.T) {
	store := fit(t, classifier.Model{}, classifierParams(), testutil.SquaresSet(512, 1))
	test := testutil.SquaresSet(200, 2)
	predicted, err := classifier.Predict(backends.Go(), store, test, 64)
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
			vaekit.ParamLatentDim: 2, vaekit.ParamNumClasses: 4, cvae.ParamForm: form, training.ParamBatchSize: 32,
			training.ParamEpochs: 60, training.ParamSeed: int64(1), training.ParamLearningRate: 3e-3}, train)
		samples, err := infer.ClassSamples(backends.Go(), gen, cvae.Model{}, 4, 25, 1)
		if err != nil {
			t.Fatal(err)
		}
		set := &datasets.Set{N: len(samples), Height: 28, Width: 28, Labels: make([]int32, len(samples))}
		for i, s := range samples {
			set.Images = append(set.Images, s...)
			set.Labels[i] = int32(i / 25)
		}
		predicted, err := classifier.Predict(backends.Go(), judge, set, 50)
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

// Sample quality of hand-made class probabilities, worked out by hand.
func TestSampleQuality(t *testing.T) {
	oneHot := func(c int) []float32 {
		p := make([]float32, 4)
		p[c] = 1
		return p
	}
	uniform := []float32{0.25, 0.25, 0.25, 0.25}
	tests := []struct {
		name  string
		probs [][]float32
		want  classifier.Quality
	}{
		// Clear samples, one per class: confident, every class covered, score = classes.
		{"clear and spread", [][]float32{oneHot(0), oneHot(1), oneHot(2), oneHot(3)}, classifier.Quality{Confidence: 1, ClassEntropy: math.Log(4), Score: 4}},
		// Clear samples of one class only (mode collapse): score 1.
		{"collapsed", [][]float32{oneHot(2), oneHot(2), oneHot(2)}, classifier.Quality{Confidence: 1, ClassEntropy: 0, Score: 1}},
		// Unrecognisable samples: the marginal is uniform but each p(y|x) is too: score 1.
		{"unclear", [][]float32{uniform, uniform}, classifier.Quality{Confidence: 0.25, ClassEntropy: math.Log(4), Score: 1}},
		// Half clear class 0, half unclear: marginal (5/8, 1/8, 1/8, 1/8);
		// E H(p(y|x)) = ln(4)/2.
		{"mixed", [][]float32{oneHot(0), uniform}, classifier.Quality{Confidence: 0.625,
			ClassEntropy: -(0.625*math.Log(0.625) + 3*0.125*math.Log(0.125)),
			Score:        math.Exp(-(0.625*math.Log(0.625) + 3*0.125*math.Log(0.125)) - math.Log(4)/2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := classifier.SampleQuality(tt.probs)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"confidence", got.Confidence, tt.want.Confidence}, {"class entropy", got.ClassEntropy, tt.want.ClassEntropy}, {"score", got.Score, tt.want.Score}} {
				if math.Abs(f.got-f.want) > 1e-6 {
					t.Errorf("%s = %.7g, want %.7g", f.name, f.got, f.want)
				}
			}
		})
	}
	if _, err := classifier.SampleQuality(nil); err == nil {
		t.Error("SampleQuality(nil): no error, want one")
	}
	if _, err := classifier.SampleQuality([][]float32{oneHot(0), {0.5, 0.5}}); err == nil || !strings.Contains(err.Error(), "sample 1 has 2") {
		t.Errorf("SampleQuality of ragged rows: %v, want an error naming sample 1", err)
	}
}
