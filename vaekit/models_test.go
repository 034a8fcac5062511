package vaekit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// syntheticSet is testutil.SquaresSet: 4 classes of bright squares.
var syntheticSet = testutil.SquaresSet

func smallMLP(extra map[string]any) map[string]any {
	p := map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{64, 32}, vaekit.ParamLatentDim: 4,
		training.ParamBatchSize: 16, training.ParamSeed: int64(3), training.ParamLearningRate: 3e-3}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func newTrainer(t *testing.T, m vaekit.Model, params map[string]any) (*training.Trainer, *model.Store) {
	t.Helper()
	return briefly.Trainer(t, m, params)
}

func TestModelShapes(t *testing.T) {
	backend := backends.Go()
	tests := []struct {
		name      string
		model     vaekit.Model
		params    map[string]any
		latent    int
		wantTerms []string
	}{
		{"mlp-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 20}, 20, []string{"loss", "reconstruction", "kl"}},
		{"conv-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2}, 2, []string{"loss", "reconstruction", "kl"}},
		{"mlp-ae", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 8}, 8, []string{"loss", "reconstruction"}},
		{"conv-dae-mask", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 3, ae.ParamCorruption: "mask"}, 3, []string{"loss", "reconstruction"}},
		{"conv-cvae-concat-bn-leaky", cvae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, cvae.ParamNumClasses: 4,
			vaekit.ParamConvBatchNorm: true, vaekit.ParamActivation: "leaky_relu"}, 2, []string{"loss", "reconstruction", "kl"}},
		{"mlp-cvae-prior", cvae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 3, cvae.ParamForm: "prior", cvae.ParamNumClasses: 4}, 3, []string{"loss", "reconstruction", "kl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every term must be per example ([batch]): Evaluate multiplies it by the [batch] mask.
			tr, store := newTrainer(t, tt.model, tt.params)
			set := syntheticSet(5, 9)
			if _, err := tr.Evaluate(set, 4); err != nil {
				t.Fatal(err)
			}
			if names := tr.Terms(); !slices.Equal(names, tt.wantTerms) {
				t.Errorf("terms = %v, want %v", names, tt.wantTerms)
			}
			z, err := infer.Encode(backend, store, tt.model, set, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(z) != set.N || len(z[0]) != tt.latent {
				t.Errorf("Encode gave %d points of size %d, want %d of %d", len(z), len(z[0]), set.N, tt.latent)
			}
			decoded, err := infer.Decode(backend, store, tt.model, make([][]float32, 3, 3), nil)
			if err == nil {
				t.Errorf("Decode of empty latent points succeeded: %d images", len(decoded))
			}
			zs := [][]float32{make([]float32, tt.latent), make([]float32, tt.latent)}
			decoded, err = infer.Decode(backend, store, tt.model, zs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(decoded) != 2 || len(decoded[0]) != 784 {
				t.Errorf("Decode gave %d images of %d values, want 2 of 784", len(decoded), len(decoded[0]))
			}
			for _, v := range decoded[0] {
				if v < 0 || v > 1 {
					t.Fatalf("decoded pixel %v outside [0, 1]", v)
				}
			}
		})
	}
}

func variableValues(store *model.Store) map[string][]float32 {
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !v.Trainable {
			continue
		}
		val, err := v.Value()
		if err != nil || val.DType().String() != "Float32" {
			continue
		}
		out[v.Path()] = tensors.MustCopyFlatData[float32](val)
	}
	return out
}

func TestTrainStepChangesWeightsEvalDoesNot(t *testing.T) {
	models := []struct {
		model  vaekit.Model
		params map[string]any
	}{
		{vae.Model{}, smallMLP(nil)},
		{ae.Model{}, smallMLP(nil)},
		{cvae.Model{}, smallMLP(map[string]any{cvae.ParamNumClasses: 4})},
		{cvae.Model{}, smallMLP(map[string]any{cvae.ParamNumClasses: 4, cvae.ParamForm: "prior"})},
	}
	for _, mc := range models {
		m := mc.model
		t.Run(fmt.Sprint(m.Name(), mc.params[cvae.ParamForm]), func(t *testing.T) {
			tr, store := newTrainer(t, m, mc.params)
			set := syntheticSet(32, 1)
			if _, err := tr.Evaluate(set, 16); err != nil { // creates the variables
				t.Fatal(err)
			}
			before := variableValues(store)
			if len(before) == 0 {
				t.Fatal("no trainable variables")
			}
			if _, err := tr.Evaluate(set, 16); err != nil {
				t.Fatal(err)
			}
			for name, v := range variableValues(store) {
				if !slices.Equal(v, before[name]) {
					t.Errorf("evaluation changed %s", name)
				}
			}
			images, labels := randomBatch(16, false, 4) // smallMLP's conditional models have 4 classes
			if _, err := tr.TrainStep(images, labels); err != nil {
				t.Fatal(err)
			}
			changed := 0
			for name, v := range variableValues(store) {
				if !slices.Equal(v, before[name]) {
					changed++
				}
			}
			if changed != len(before) {
				t.Errorf("a train step changed %d of %d variables", changed, len(before))
			}
		})
	}
}

func TestLossFallsOnSyntheticData(t *testing.T) {
	tests := []struct {
		name   string
		model  vaekit.Model
		params map[string]any
	}{
		{"vae-adam", vae.Model{}, smallMLP(nil)},
		{"vae-rmsprop", vae.Model{}, smallMLP(map[string]any{training.ParamOptimizer: "rmsprop"})},
		{"ae-sgd", ae.Model{}, smallMLP(map[string]any{training.ParamOptimizer: "sgd", training.ParamLearningRate: 0.01})},
		{"dae-gaussian", ae.Model{}, smallMLP(map[string]any{ae.ParamCorruption: "gaussian"})},
		{"conv-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamConvFilters: []int{8, 16},
			vaekit.ParamLatentDim: 2, training.ParamBatchSize: 16, training.ParamSeed: int64(1), training.ParamLearningRate: 3e-3}},
		{"vqvae", vqvae.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16}, vqvae.ParamNumCodes: 16, vqvae.ParamCodeDim: 4,
			training.ParamBatchSize: 16, training.ParamSeed: int64(1), training.ParamLearningRate: 3e-3}},
		{"vqvae-ema-reseed", vqvae.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16}, vqvae.ParamNumCodes: 16, vqvae.ParamCodeDim: 4,
			vqvae.ParamCodebookUpdate: vqvae.UpdateEMA, vqvae.ParamReseedAfter: 5,
			training.ParamBatchSize: 16, training.ParamSeed: int64(1), training.ParamLearningRate: 3e-3}},
		{"cvae-concat", cvae.Model{}, smallMLP(map[string]any{cvae.ParamNumClasses: 4})},
		{"cvae-prior", cvae.Model{}, smallMLP(map[string]any{cvae.ParamNumClasses: 4, cvae.ParamForm: "prior"})},
	}
	set := syntheticSet(64, 2)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := newTrainer(t, tt.model, tt.params)
			first, err := tr.Evaluate(set, 32)
			if err != nil {
				t.Fatal(err)
			}
			b := syntheticSet(16, 3)
			for range 40 {
				images := tensors.FromFlatDataAndDimensions(b.Images, 16, 28, 28, 1)
				labels := tensors.FromFlatDataAndDimensions(b.Labels, 16)
				if _, err := tr.TrainStep(images, labels); err != nil {
					t.Fatal(err)
				}
			}
			last, err := tr.Evaluate(set, 32)
			if err != nil {
				t.Fatal(err)
			}
			if !(last[0] < 0.7*first[0]) {
				t.Errorf("loss after 40 steps %.2f, before %.2f: want a fall of at least 30%%", last[0], first[0])
			}
		})
	}
}

// fitRecording trains a VAE with params into dir (resuming what is there) and returns the history
// and the epochs this call trained.
func fitRecording(t *testing.T, dir string, params map[string]any, train, test *datasets.Set) (h *history.History, trained []int) {
	t.Helper()
	tr, _ := newTrainer(t, vae.Model{}, params)
	h, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir,
		OnEpoch: func(epoch int, _ *history.History) error { trained = append(trained, epoch); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return h, trained
}

// Resume: two epochs in one go, and one epoch then a resumed one in a new trainer and store,
// give the same history, for an MLP VAE on dynamically binarized data and for a convolutional
// VAE with BatchNorm (whose averages Fit estimates afresh after every epoch). The pure-Go
// backend is deterministic, so the tolerance is tiny.
func TestResumeGivesSameHistory(t *testing.T) {
	train, test := syntheticSet(96, 4), syntheticSet(40, 5)
	for name, params := range map[string]map[string]any{
		"mlp-dynamic-binarization": smallMLP(map[string]any{training.ParamBinarize: "dynamic"}),
		"conv-batchnorm":           smallConvBN(),
	} {
		t.Run(name, func(t *testing.T) {
			fit := func(dir string, epochs int) (*history.History, []int) {
				p := maps.Clone(params)
				p[training.ParamEpochs] = epochs
				return fitRecording(t, dir, p, train, test)
			}
			straight, _ := fit(t.TempDir(), 2)
			dir := t.TempDir()
			fit(dir, 1)
			resumed, trained := fit(dir, 2)
			if !slices.Equal(trained, []int{2}) {
				t.Fatalf("the resumed run trained epochs %v, want only [2]", trained)
			}
			if len(resumed.Rows) != 4 || len(straight.Rows) != 4 {
				t.Fatalf("rows: resumed %d, straight %d, want 4", len(resumed.Rows), len(straight.Rows))
			}
			const tol = 1e-9
			for i, r := range straight.Rows {
				for j, v := range r.Values {
					if got := resumed.Rows[i].Values[j]; math.Abs(got-v) > tol*math.Abs(v) {
						t.Errorf("epoch %d %s %s: resumed %v, straight %v", r.Epoch, r.Split, straight.Terms[j], got, v)
					}
				}
			}
		})
	}
}

// A run directory resumes only under the recipe it was started with: changing the architecture
// or the loss is an error that names the parameter, changing a training parameter is not, and
// the refused resume leaves the checkpoint as it was.
func TestResumeRefusesAnotherRecipe(t *testing.T) {
	train, test := syntheticSet(48, 4), syntheticSet(16, 5)
	tests := []struct {
		name    string
		change  map[string]any
		wantErr string // "" when the resume must succeed
	}{
		{"wider hidden layers", map[string]any{vaekit.ParamMLPHidden: []int{64, 64}}, "mlp_hidden = [64,32], not [64,64]"},
		{"another loss", map[string]any{vaekit.ParamReconstruction: "mse"}, `reconstruction = "bernoulli", not "mse"`},
		{"another latent size", map[string]any{vaekit.ParamLatentDim: 3}, "latent_dim = 4, not 3"},
		{"more epochs, another learning rate", map[string]any{training.ParamEpochs: 2, training.ParamLearningRate: 1e-4}, ""},
		{"another seed and batch size", map[string]any{training.ParamEpochs: 2, training.ParamSeed: int64(9), training.ParamBatchSize: 8}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fitRecording(t, dir, smallMLP(map[string]any{training.ParamEpochs: 1, vaekit.ParamReconstruction: "bernoulli"}), train, test)
			before := dirContents(t, filepath.Join(dir, "checkpoint"))
			tr, _ := newTrainer(t, vae.Model{}, smallMLP(maps.Clone(tt.change)))
			_, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("resume with %v: %v", tt.change, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("resume with %v: error %v, want one containing %q", tt.change, err, tt.wantErr)
			}
			if after := dirContents(t, filepath.Join(dir, "checkpoint")); !maps.Equal(before, after) {
				t.Errorf("the refused resume changed the checkpoint directory: %v -> %v", before, after)
			}
		})
	}
}

// A resumed run records the training parameters it used: one the checkpoint set to another
// value is rewritten (the next checkpoint and params.json say what trained the run), and one that
// neither call set stays unset, so an unchanged resume leaves the parameters as they were.
func TestResumeRecordsTheTrainingParametersItUsed(t *testing.T) {
	train, test := syntheticSet(48, 4), syntheticSet(16, 5)
	dir := t.TempDir()
	fitRecording(t, dir, smallMLP(map[string]any{training.ParamEpochs: 1, training.ParamAdamBeta1: 0.8, training.ParamOnNaN: "skip"}), train, test)
	tr, store := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 2, training.ParamAdamBeta1: 0.5}))
	if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{training.ParamAdamBeta1: 0.5, training.ParamOnNaN: "stop", training.ParamEpochs: 2} {
		if got, ok := store.GetParam(name); !ok || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after the resume %s = %v (set: %v), want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{training.ParamAdamEpsilon, training.ParamBatchNormBatches, training.ParamLearningRateSchedule} {
		if got, ok := store.GetParam(name); ok {
			t.Errorf("after the resume %s = %v, though neither call set it", name, got)
		}
	}
}

// dirContents maps the names of the files in dir to their contents.
func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

func TestTrainingParamErrors(t *testing.T) {
	tests := []struct {
		params  map[string]any
		wantErr string
	}{
		{map[string]any{training.ParamOptimizer: "adagrad"}, `parameter optimizer = "adagrad": expected one of adam, rmsprop, sgd`},
		{map[string]any{training.ParamBatchSize: 0}, `parameter batch_size = 0: expected an integer >= 1`},
		{map[string]any{training.ParamLearningRate: -1.0}, `parameter learning_rate = -1: expected a number > 0`},
		{map[string]any{training.ParamEpochs: -2}, `parameter epochs = -2: expected an integer >= 0`},
		{map[string]any{training.ParamBinarize: "yes"}, `parameter binarize = "yes": expected one of none, static, dynamic`},
		{map[string]any{training.ParamBatchNormBatches: -1}, `parameter batchnorm_batches = -1: expected an integer >= 0`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.params), func(t *testing.T) {
			store := model.NewStore()
			store.SetParams(tt.params)
			_, err := training.NewTrainer(backends.Go(), store, vae.Model{})
			if err == nil || !contains(err.Error(), tt.wantErr) {
				t.Errorf("NewTrainer error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A process killed while GoMLX writes a checkpoint leaves a truncated newest checkpoint: the run
// resumes from the one before, trains the lost epoch again and ends with the same history as an
// uninterrupted run.
func TestResumeAfterATruncatedCheckpoint(t *testing.T) {
	train, test := syntheticSet(64, 12), syntheticSet(32, 13)
	fit := func(dir string, epochs int) (*history.History, []int) {
		return fitRecording(t, dir, smallMLP(map[string]any{training.ParamEpochs: epochs}), train, test)
	}
	straight, _ := fit(t.TempDir(), 3)
	dir := t.TempDir()
	fit(dir, 2)
	jsons, _ := filepath.Glob(filepath.Join(dir, "checkpoint", "checkpoint-*.json"))
	if len(jsons) != 2 {
		t.Fatalf("%d checkpoints after 2 epochs, want 2 (Keep(2))", len(jsons))
	}
	slices.Sort(jsons)
	newest, _ := os.ReadFile(jsons[1])
	if err := os.WriteFile(jsons[1], newest[:len(newest)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	resumed, trained := fit(dir, 3)
	if !slices.Equal(trained, []int{2, 3}) {
		t.Errorf("after losing the epoch-2 checkpoint the run trained epochs %v, want [2 3]", trained)
	}
	if _, err := os.Stat(jsons[1] + ".broken"); err != nil {
		t.Errorf("the truncated checkpoint was not set aside: %v", err)
	}
	if !bytes.Equal(resumed.MarshalCSV(), straight.MarshalCSV()) {
		t.Errorf("history after the fallback differs from the uninterrupted run:\n%s\nwant\n%s", resumed.MarshalCSV(), straight.MarshalCSV())
	}
}

// A diverging run stops with an error that names the term, epoch and step, and the checkpoint of
// the last good epoch stays loadable.
func TestDivergenceStopsCleanly(t *testing.T) {
	train, test := syntheticSet(64, 14), syntheticSet(32, 15)
	dir := t.TempDir()
	tr, _ := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 1}))
	if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	tr, _ = newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 3, training.ParamOptimizer: "sgd", training.ParamLearningRate: 1e12}))
	_, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir})
	if !errors.Is(err, training.ErrNonFinite) {
		t.Fatalf("Fit with learning rate 1e12: error = %v, want ErrNonFinite", err)
	}
	t.Logf("divergence: %v", err)
	for _, want := range []string{"term \"", "at epoch 2, step", "last good checkpoint", "learning_rate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	tr, _ = newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 1}))
	h, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if h.Epochs() != 1 || tr.CompletedEpochs() != 1 {
		t.Errorf("after the failed run the checkpoint is at epoch %d (history %d), want 1", tr.CompletedEpochs(), h.Epochs())
	}
}

// The importance-weighted estimate of -log p(x) (of -log p(x|y) for the conditional VAEs) is
// never above the ELBO-based bound: with k = 1 it estimates the negative ELBO (the evaluated
// loss), and more samples can only tighten it.
func TestImportanceWeightedNLLBoundsTheELBO(t *testing.T) {
	tests := []struct {
		name   string
		model  vaekit.Model
		params map[string]any
		cond   vae.Conditioning
	}{
		{"vae", vae.Model{}, smallMLP(nil), nil},
		{"cvae-concat", cvae.Model{}, smallMLP(map[string]any{cvae.ParamNumClasses: 4}), cvae.Conditioning},
		{"cvae-prior", cvae.Model{}, smallMLP(map[string]any{cvae.ParamNumClasses: 4, cvae.ParamForm: cvae.FormPrior}), cvae.Conditioning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, store := newTrainer(t, tt.model, tt.params)
			set := syntheticSet(32, 17)
			for range 20 {
				b := set.Subset(16)
				if _, err := tr.TrainStep(tensors.FromFlatDataAndDimensions(slices.Clone(b.Images), 16, 28, 28, 1),
					tensors.FromFlatDataAndDimensions(slices.Clone(b.Labels), 16)); err != nil {
					t.Fatal(err)
				}
			}
			negELBO, err := tr.Evaluate(set, 16)
			if err != nil {
				t.Fatal(err)
			}
			backend := backends.Go()
			nll1, err := vae.ImportanceWeightedNLL(backend, store, set, tt.cond, vae.NLLOptions{K: 1, Batch: 8, Chunk: 1, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			nll64, err := vae.ImportanceWeightedNLL(backend, store, set, tt.cond, vae.NLLOptions{K: 64, Batch: 8, Chunk: 16, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("negative ELBO %.3f, NLL k=1 %.3f, k=64 %.3f", negELBO[0], nll1, nll64)
			if math.Abs(nll1-negELBO[0]) > 0.05*negELBO[0] {
				t.Errorf("k=1 estimate %.3f differs from the negative ELBO %.3f by more than 5%%", nll1, negELBO[0])
			}
			if !(nll64 <= nll1) {
				t.Errorf("k=64 estimate %.3f above the k=1 estimate %.3f", nll64, nll1)
			}
			if _, err := vae.ImportanceWeightedNLL(backend, store, set, tt.cond, vae.NLLOptions{K: 0, Batch: 8, Chunk: 1, Seed: 1}); err == nil {
				t.Error("k=0 accepted")
			}
			// An interrupted run's estimate stops at the next batch of images.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := vae.ImportanceWeightedNLL(backend, store, set, tt.cond, vae.NLLOptions{K: 64, Batch: 8, Seed: 1, Context: ctx}); !errors.Is(err, context.Canceled) ||
				!strings.Contains(err.Error(), "stopped after 0 of 32 images") {
				t.Errorf("with its context cancelled: error %v, want one that stopped after 0 of 32 images, wrapping context.Canceled", err)
			}
		})
	}
}

// Reconstruction errors by hand: the sum over pixels of the BCE and of the squared error of the
// model's own reconstructions, averaged over images.
func TestReconstructionErrors(t *testing.T) {
	_, store := newTrainer(t, ae.Model{}, smallMLP(nil))
	set := syntheticSet(5, 31)
	backend := backends.Go()
	bce, sse, err := infer.ReconstructionErrors(backend, store, ae.Model{}, set, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, recons, err := infer.Reconstruct(backend, store, ae.Model{}, set, 5)
	if err != nil {
		t.Fatal(err)
	}
	var wantBCE, wantSSE float64
	for i, r := range recons {
		for j, p := range r {
			x := float64(set.Image(i)[j])
			wantBCE -= x*math.Log(float64(p)) + (1-x)*math.Log(1-float64(p))
			wantSSE += (float64(p) - x) * (float64(p) - x)
		}
	}
	wantBCE, wantSSE = wantBCE/5, wantSSE/5
	if math.Abs(bce-wantBCE) > 1e-3*wantBCE || math.Abs(sse-wantSSE) > 1e-3*wantSSE {
		t.Errorf("ReconstructionErrors = %.4f, %.4f; by hand %.4f, %.4f", bce, sse, wantBCE, wantSSE)
	}
}

// The ends of a latent interpolation are the reconstructions of the two images (decoded
// posterior means), and the points between differ from both.
func TestLatentInterpolationEnds(t *testing.T) {
	tr, store := newTrainer(t, vae.Model{}, smallMLP(nil))
	set := syntheticSet(16, 21)
	for range 5 {
		images, labels := briefly.Batch(set, 16)
		if _, err := tr.TrainStep(images, labels); err != nil {
			t.Fatal(err)
		}
	}
	backend := backends.Go()
	path, err := infer.LatentInterpolation(backend, store, vae.Model{}, set, 3, 7, 5)
	if err != nil {
		t.Fatal(err)
	}
	_, recons, err := infer.Reconstruct(backend, store, vae.Model{}, set, 8)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff := func(a, b []float32) (d float64) {
		for i := range a {
			d = max(d, math.Abs(float64(a[i]-b[i])))
		}
		return d
	}
	if len(path) != 5 || maxDiff(path[0], recons[3]) > 1e-5 || maxDiff(path[4], recons[7]) > 1e-5 {
		t.Errorf("interpolation of %d images: ends differ from the reconstructions by %g and %g", len(path), maxDiff(path[0], recons[3]), maxDiff(path[4], recons[7]))
	}
	if maxDiff(path[2], path[0]) < 1e-4 || maxDiff(path[2], path[4]) < 1e-4 {
		t.Error("the midpoint decodes to one of the ends")
	}
	for _, bad := range [][3]int{{-1, 2, 5}, {0, 16, 5}, {0, 1, 1}} {
		if _, err := infer.LatentInterpolation(backend, store, vae.Model{}, set, bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("LatentInterpolation(%v): want an error", bad)
		}
	}
}

// With on_nan = "skip", a batch whose loss is not finite (here: the one holding an image with a
// NaN pixel) is undone and left out, once per epoch; the run ends with finite weights and a
// finite history. With the default "stop", the same data stops the run.
func TestNaNBatchesSkipped(t *testing.T) {
	train, test := syntheticSet(64, 16), syntheticSet(32, 17)
	train.Images = slices.Clone(train.Images)
	train.Image(5)[100] = float32(math.NaN())
	clean := syntheticSet(16, 18)
	for _, policy := range []string{"stop", "skip"} {
		tr, store := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 2, training.ParamOnNaN: policy}))
		// One clean step first, so that the first batch of Fit may also be undone.
		if _, err := tr.TrainStep(tensors.FromFlatDataAndDimensions(clean.Images, 16, 28, 28, 1), tensors.FromFlatDataAndDimensions(clean.Labels, 16)); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		h, err := tr.Fit(context.Background(), train, test, training.FitOptions{Progress: &log})
		if policy == "stop" {
			if !errors.Is(err, training.ErrNonFinite) {
				t.Errorf("stop: error = %v, want ErrNonFinite", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("skip: %v", err)
		}
		if tr.Skipped() != 2 || strings.Count(log.String(), "batch skipped") != 2 {
			t.Errorf("skip: %d batches skipped (log %q), want one per epoch", tr.Skipped(), log.String())
		}
		for _, r := range h.Rows {
			for _, v := range r.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("skip: history row %+v is not finite", r)
				}
			}
		}
		for path, values := range variableValues(store) {
			for _, v := range values {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("skip: variable %s holds %g", path, v)
				}
			}
		}
	}
}

// A non-finite first step of a process (here: a NaN pixel in every image) cannot be undone with
// on_nan = "skip": it created the variables, whose values before it no copy holds. The run stops
// naming it, where it used to go on from weights the step had left.
func TestNaNFirstStepStops(t *testing.T) {
	train, test := syntheticSet(64, 16), syntheticSet(32, 17)
	train.Images = slices.Clone(train.Images)
	for i := range train.N {
		train.Image(i)[100] = float32(math.NaN())
	}
	tr, _ := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 1, training.ParamOnNaN: "skip"}))
	_, err := tr.Fit(context.Background(), train, test, training.FitOptions{})
	if !errors.Is(err, training.ErrNonFinite) || !strings.Contains(err.Error(), "step 1, the first of this process, which made variable") {
		t.Errorf("Fit with a NaN first step: error = %v, want ErrNonFinite naming the first step", err)
	}
}

// A figure that needs a 2-D latent space, asked of a model with another latent size, is a
// clear error; so are bad grid sizes.
func TestManifoldNeedsATwoDimensionalLatentSpace(t *testing.T) {
	backend := backends.Go()
	_, store := newTrainer(t, vae.Model{}, smallMLP(nil)) // latent 4
	_, _, _, err := infer.ManifoldGrid(backend, store, vae.Model{}, 5, 2)
	if err == nil || !strings.Contains(err.Error(), `needs a 2-D latent space, model has 4 dimensions ("latent_dim")`) {
		t.Errorf("ManifoldGrid of a 4-D model: error = %v", err)
	}
	_, store2 := newTrainer(t, vae.Model{}, smallMLP(map[string]any{vaekit.ParamLatentDim: 2}))
	for _, bad := range []struct {
		n     int
		scale float64
	}{{1, 2}, {5, 0}, {5, -1}} {
		if _, _, _, err := infer.ManifoldGrid(backend, store2, vae.Model{}, bad.n, bad.scale); err == nil {
			t.Errorf("ManifoldGrid(n=%d, scale=%g): want an error", bad.n, bad.scale)
		}
	}
	if _, err := infer.ManifoldGridAt(backend, store2, vae.Model{}, []float64{1, 0}); err == nil {
		t.Error("ManifoldGridAt with decreasing coordinates: want an error")
	}
	images, err := infer.ManifoldGridAt(backend, store2, vae.Model{}, infer.NormalQuantiles(3))
	if err != nil || len(images) != 9 {
		t.Errorf("ManifoldGridAt over 3 normal quantiles: %d images, %v", len(images), err)
	}
}

// Variables that are not trained (optimizer moments and counters, the random state) stay so
// after a run resumes from its checkpoint, which restores every variable as trainable.
func TestResumedRunKeepsUntrainedVariablesUntrained(t *testing.T) {
	train, test := syntheticSet(64, 16), syntheticSet(32, 17)
	dir := t.TempDir()
	untrained := func(store *model.Store) []string {
		var out []string
		for v := range store.IterVariables() {
			if !v.Trainable {
				out = append(out, v.Path())
			}
		}
		slices.Sort(out)
		return out
	}
	tr, store := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 1}))
	if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	want := untrained(store)
	if !slices.ContainsFunc(want, func(p string) bool { return strings.Contains(p, "moment") }) {
		t.Fatalf("untrained variables %v: expected the optimizer's moments among them", want)
	}
	tr, store = newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 2}))
	if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if got := untrained(store); !slices.Equal(got, want) {
		t.Errorf("after resuming, untrained variables %v\nwant %v", got, want)
	}
}

// A traversal row whose value is the code's own coordinate decodes to the reconstruction;
// tempered samples at t = 1 are the prior samples and at t = 0 all the decoded prior mean.
func TestTraversalAndTemperature(t *testing.T) {
	tr, store := newTrainer(t, vae.Model{}, smallMLP(nil))
	set := syntheticSet(16, 21)
	images, labels := briefly.Batch(set, 16)
	for range 5 {
		if _, err := tr.TrainStep(images, labels); err != nil {
			t.Fatal(err)
		}
	}
	backend := backends.Go()
	maxDiff := func(a, b []float32) (d float64) {
		for i := range a {
			d = max(d, math.Abs(float64(a[i]-b[i])))
		}
		return d
	}
	codes, err := infer.Encode(backend, store, vae.Model{}, set, 16)
	if err != nil {
		t.Fatal(err)
	}
	_, recons, err := infer.Reconstruct(backend, store, vae.Model{}, set, 8)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := infer.LatentTraversal(backend, store, vae.Model{}, set, 5, []int{0, 1}, []float64{-3, float64(codes[5][1]), 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || maxDiff(rows[4], recons[5]) > 1e-5 {
		t.Fatalf("traversal: %d images; row of dimension 1 at its own value differs from the reconstruction by %g", len(rows), maxDiff(rows[4], recons[5]))
	}
	if maxDiff(rows[0], rows[2]) < 1e-4 {
		t.Error("traversal: dimension 0 at -3 and at 3 decode to the same image")
	}
	for _, bad := range []struct {
		i    int
		dims []int
	}{{16, []int{0}}, {0, []int{4}}, {0, nil}} {
		if _, err := infer.LatentTraversal(backend, store, vae.Model{}, set, bad.i, bad.dims, []float64{0}); err == nil {
			t.Errorf("LatentTraversal(image %d, dims %v): want an error", bad.i, bad.dims)
		}
	}
	prior, err := infer.PriorSamples(backend, store, vae.Model{}, 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	one, err := infer.TemperedSamples(backend, store, vae.Model{}, 4, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	cold, err := infer.TemperedSamples(backend, store, vae.Model{}, 4, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	if maxDiff(one[3], prior[3]) != 0 || maxDiff(cold[0], cold[3]) != 0 || maxDiff(one[0], one[3]) < 1e-4 {
		t.Errorf("temperature 1 vs prior samples: %g; temperature 0, two samples: %g (expected 0 and 0)", maxDiff(one[3], prior[3]), maxDiff(cold[0], cold[3]))
	}
	if _, err := infer.TemperedSamples(backend, store, vae.Model{}, 4, 7, -1); err == nil {
		t.Error("temperature -1: want an error")
	}
}

// The trace of a Fit names every phase in order, counting steps from the run's start: 2 epochs
// of 3 steps (batches of 16 of 48 images), checkpointing after every step, then a resumed Fit of
// one more epoch starts from the 6 steps saved.
func TestFitTrace(t *testing.T) {
	train, test := syntheticSet(48, 4), syntheticSet(16, 5)
	dir := t.TempDir()
	fit := func(epochs int) []string {
		var events []string
		tr, _ := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: epochs}))
		if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir, CheckpointSteps: 1,
			Trace: func(e string) { events = append(events, e) }}); err != nil {
			t.Fatal(err)
		}
		return events
	}
	epoch := func(e, first int) []string {
		return []string{fmt.Sprintf("step %d", first), fmt.Sprintf("checkpoint %d", first+1), fmt.Sprintf("saved %d", first+1),
			fmt.Sprintf("step %d", first+1), fmt.Sprintf("checkpoint %d", first+2), fmt.Sprintf("saved %d", first+2),
			fmt.Sprintf("step %d", first+2), fmt.Sprintf("batchnorm %d", e), fmt.Sprintf("evaluate %d", e), fmt.Sprintf("history %d", e),
			fmt.Sprintf("checkpoint %d", first+3), fmt.Sprintf("saved %d", first+3)}
	}
	want := append(append([]string{"resume 0"}, epoch(1, 0)...), epoch(2, 3)...)
	if got := fit(2); !slices.Equal(got, want) {
		t.Errorf("trace of 2 epochs:\n got %q\nwant %q", got, want)
	}
	if got, want := fit(3), append([]string{"resume 6"}, epoch(3, 6)...); !slices.Equal(got, want) {
		t.Errorf("trace of the resumed third epoch:\n got %q\nwant %q", got, want)
	}
}

// OnResume is called once when Fit starts from the checkpoint of an epoch's end, with the
// epoch OnEpoch last saw and the same weights, and not when it starts from a checkpoint saved
// within an epoch (its weights are not an epoch's).
func TestOnResume(t *testing.T) {
	train, test := syntheticSet(96, 4), syntheticSet(16, 5) // 6 steps per epoch
	dir := t.TempDir()
	type call struct {
		epoch   int
		weights map[string][]float32
	}
	fit := func(ctx context.Context, epochs int, trace func(string)) (onEpoch, onResume []call, err error) {
		tr, store := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: epochs}))
		_, err = tr.Fit(ctx, train, test, training.FitOptions{Dir: dir, CheckpointSteps: 1, Trace: trace,
			OnEpoch: func(e int, _ *history.History) error {
				onEpoch = append(onEpoch, call{e, variableValues(store)})
				return nil
			},
			OnResume: func(e int, _ *history.History) error {
				// The checkpoint's variables load as a graph creates them.
				if _, err := tr.Evaluate(test, 0); err != nil {
					return err
				}
				onResume = append(onResume, call{e, variableValues(store)})
				return nil
			}})
		return onEpoch, onResume, err
	}
	onEpoch, onResume, err := fit(context.Background(), 2, nil)
	if err != nil || len(onEpoch) != 2 || len(onResume) != 0 {
		t.Fatalf("a new run of 2 epochs: OnEpoch %d times, OnResume %d times, err %v; want 2, 0, nil", len(onEpoch), len(onResume), err)
	}
	_, again, err := fit(context.Background(), 2, nil)
	if err != nil || len(again) != 1 || again[0].epoch != 2 || !reflect.DeepEqual(again[0].weights, onEpoch[1].weights) {
		t.Fatalf("the finished run opened again: OnResume %d times (%v), err %v; want once, for epoch 2, with epoch 2's weights", len(again), again, err)
	}
	// Stopped after two steps of epoch 3 were checkpointed (14 steps in all): the batch loader
	// may hand over two more before it sees the cancellation, and the next start resumes within
	// the epoch.
	ctx, cancel := context.WithCancel(context.Background())
	_, resumed, err := fit(ctx, 3, func(e string) {
		if e == "saved 14" {
			cancel()
		}
	})
	if err == nil || len(resumed) != 1 || resumed[0].epoch != 2 {
		t.Fatalf("the run continued to 3 epochs and stopped within epoch 3: OnResume %v, err %v; want once for epoch 2 and an error", resumed, err)
	}
	if _, within, err := fit(context.Background(), 3, nil); err != nil || len(within) != 0 {
		t.Fatalf("started from a checkpoint within epoch 3: OnResume %d times, err %v; want none", len(within), err)
	}
}

// The IWAE schedule: stage i lasts 3^i epochs at 10^(-i/7) of the base rate (epochs 1 | 2-4 |
// 5-13 | 14-40 | ...), and Fit sets the optimizer's rate at each epoch's start, resumed or not.
func TestLearningRateSchedule(t *testing.T) {
	for _, c := range []struct {
		epoch int
		stage float64
	}{{1, 0}, {2, 1}, {4, 1}, {5, 2}, {13, 2}, {14, 3}, {40, 3}, {41, 4}, {1093, 6}, {1094, 7}} {
		if got, want := training.ScheduledLearningRate("iwae", 1e-3, c.epoch), 1e-3*math.Pow(10, -c.stage/7); math.Abs(got-want) > 1e-15 {
			t.Errorf("epoch %d: rate %g, want %g (stage %g)", c.epoch, got, want, c.stage)
		}
	}
	if got := training.ScheduledLearningRate("constant", 1e-3, 500); got != 1e-3 {
		t.Errorf("constant schedule at epoch 500: %g", got)
	}
	for _, c := range []struct {
		schedule string
		epochs   int
		want     []int
	}{{"iwae", 1093, []int{1, 4, 13, 40, 121, 364, 1093}}, {"iwae", 50, []int{1, 4, 13, 40, 50}}, {"iwae", 4, []int{1, 4}},
		{"iwae", 1, []int{1}}, {"constant", 20, []int{20}}} {
		if got := training.ScheduleStageEnds(c.schedule, c.epochs); !slices.Equal(got, c.want) {
			t.Errorf("stage ends of %s over %d epochs: %v, want %v", c.schedule, c.epochs, got, c.want)
		}
	}
	train, test := syntheticSet(32, 4), syntheticSet(16, 5)
	tr, store := newTrainer(t, vae.Model{}, smallMLP(map[string]any{training.ParamEpochs: 5, training.ParamLearningRateSchedule: "iwae"}))
	var rates []float64
	_, err := tr.Fit(context.Background(), train, test, training.FitOptions{OnEpoch: func(int, *history.History) error {
		v, err := store.GetVariable("/optimizers/learning_rate").Value()
		if err != nil {
			return err
		}
		rates = append(rates, float64(tensors.ToScalar[float32](v)))
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rates {
		if want := training.ScheduledLearningRate("iwae", 3e-3, i+1); math.Abs(r-want) > 1e-9 {
			t.Errorf("epoch %d trained at rate %g, want %g", i+1, r, want)
		}
	}
}
