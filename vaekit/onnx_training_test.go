//go:build !noonnx && cgo && (linux || darwin)

package vaekit_test

import (
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// onnxBackend returns the ONNX Runtime backend as New makes it, or skips the test where
// ONNX Runtime is not installed (fails instead with VAEKIT_REQUIRE_ONNX=1, as in make test).
func onnxBackend(t *testing.T) compute.Backend {
	t.Helper()
	t.Setenv(backends.Env, "onnx:cpu")
	onnx, _, err := backends.New()
	if err != nil {
		if os.Getenv("VAEKIT_REQUIRE_ONNX") == "1" {
			t.Fatal(err)
		}
		t.Skipf("ONNX Runtime not installed (`make onnxruntime`): %v", err)
	}
	return onnx
}

// TestONNXTrainsLikeGoBackend trains the deterministic models (no sampled noise, whose random
// streams differ between backends) from the same initial weights on the pure-Go backend and on
// ONNX Runtime, and checks that every loss term agrees step by step: the convolutions, the
// quantizer and the masked convolutions lower to the same mathematics on both.
func TestONNXTrainsLikeGoBackend(t *testing.T) {
	onnx := onnxBackend(t)
	cases := []struct {
		name   string
		model  vaekit.Model
		params map[string]any
		codes  bool
		// tolerance: 10x the largest relative gap measured (GoMLX v0.28.16, compute v0.1.14,
		// compute-onnx v0.1.13): the BatchNorm model's batch statistics round differently.
		tolerance float64
	}{
		{"conv-ae", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, training.ParamOptimizer: "rmsprop"}, false, 4e-4},
		{"conv-ae-batchnorm", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2,
			vaekit.ParamConvBatchNorm: true, vaekit.ParamActivation: "leaky_relu"}, false, 6e-4},
		{"vqvae", vqvae.Model{}, map[string]any{vaekit.ParamReconstruction: "mse"}, false, 1e-6},
		{"vqvae-keras", vqvae.Model{}, map[string]any{vaekit.ParamReconstruction: "mse_linear", vqvae.ParamReconstructionWeight: 10.5}, false, 1.2e-6},
		{"pixelcnn-prior", pixelcnn.Model{}, map[string]any{vaekit.ParamImageShape: []int{7, 7, 1}, pixelcnn.ParamConditional: true}, true, 1e-6},
		{"classifier", classifier.Model{}, nil, false, 1e-6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			goStore := model.NewStore()
			goStore.SetParams(tc.params)
			goStore.SetParams(map[string]any{training.ParamBatchSize: 16, training.ParamSeed: int64(3)})
			goTrainer, err := training.NewTrainer(backends.Go(), goStore, tc.model)
			if err != nil {
				t.Fatal(err)
			}
			images, labels := randomBatch(16, tc.codes, 10)
			onnxImages, onnxLabels := randomBatch(16, tc.codes, 10) // a tensor lives on one backend
			ones := tensors.FromFlatDataAndDimensions([]float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 16)
			if _, err := goTrainer.EvalStep(images, labels, ones); err != nil { // creates the variables
				t.Fatal(err)
			}
			onnxStore, err := goStore.Clone()
			if err != nil {
				t.Fatal(err)
			}
			for v := range onnxStore.IterVariables() { // the clone's values are on the Go backend
				local, err := v.MustValue().LocalClone()
				if err != nil {
					t.Fatal(err)
				}
				v.MustSetValue(local)
			}
			onnxTrainer, err := training.NewTrainer(onnx, onnxStore, tc.model)
			if err != nil {
				t.Fatal(err)
			}
			onnxOnes, err := ones.LocalClone()
			if err != nil {
				t.Fatal(err)
			}
			// Evaluating before training compiles the evaluation graph now; evaluating again after
			// it must see the trained variables (BatchNorm's moving averages are not trainable:
			// New must keep ONNX Runtime from freezing them into that graph as constants).
			if _, err := onnxTrainer.EvalStep(onnxImages, onnxLabels, onnxOnes); err != nil {
				t.Fatal(err)
			}
			maxRel := 0.0 // the largest relative gap seen, logged: the tolerance comes from it
			check := func(what, term string, got, want float64) {
				d := math.Abs(got-want) / max(1, math.Abs(want))
				maxRel = max(maxRel, d)
				if d > tc.tolerance || math.IsNaN(d) {
					t.Errorf("%s, %s: ONNX Runtime %.9g, pure Go %.9g (relative gap %.2g, tolerance %.2g)", what, term, got, want, d, tc.tolerance)
				}
			}
			defer func() { t.Logf("largest relative gap %.2g", maxRel) }()
			for step := range 5 {
				want, err := goTrainer.TrainStep(images, labels)
				if err != nil {
					t.Fatal(err)
				}
				got, err := onnxTrainer.TrainStep(onnxImages, onnxLabels)
				if err != nil {
					t.Fatal(err)
				}
				for i, term := range goTrainer.Terms() {
					check(fmt.Sprintf("step %d", step), term, got[i], want[i])
				}
			}
			want, err := goTrainer.EvalStep(images, labels, ones)
			if err != nil {
				t.Fatal(err)
			}
			got, err := onnxTrainer.EvalStep(onnxImages, onnxLabels, onnxOnes)
			if err != nil {
				t.Fatal(err)
			}
			for i, term := range goTrainer.Terms() {
				check("evaluation after training", term, got[i], want[i])
			}
		})
	}
}

// Every model of the benchmark, and the GAN, builds, trains and evaluates on ONNX Runtime with
// finite loss terms: each op vaekit uses has an ONNX Runtime lowering (GoMLX's own Softplus, for
// one, uses IsFinite, which that backend lacks).
func TestONNXTrainsEveryModel(t *testing.T) {
	onnx := onnxBackend(t)
	cases := append(benchCases[:len(benchCases):len(benchCases)], struct {
		name   string
		model  vaekit.Model
		params map[string]any
		codes  bool
	}{"gan", gan.Model{}, map[string]any{"/discriminator/" + vaekit.ParamActivation: "leaky_relu"}, false})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			store.SetParams(tc.params)
			store.SetParams(map[string]any{training.ParamBatchSize: 16, training.ParamSeed: int64(3)})
			tr, err := training.NewTrainer(onnx, store, tc.model)
			if err != nil {
				t.Fatal(err)
			}
			images, labels := randomBatch(16, tc.codes, 10)
			for step := range 3 {
				terms, err := tr.TrainStep(images, labels)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range terms {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("step %d: %s = %v", step, tr.Terms()[i], v)
					}
				}
			}
			mask := tensors.FromValue(slices.Repeat([]float32{1}, 16))
			terms, err := tr.EvalStep(images, labels, mask)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range terms {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("evaluation: %s = %v", tr.Terms()[i], v)
				}
			}
		})
	}
}
