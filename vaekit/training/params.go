package training

import (
	"encoding/json"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Training parameter keys, read from the model store by Fit.
const (
	// ParamOptimizer is "adam", "rmsprop" or "sgd".
	ParamOptimizer = "optimizer" // the same key as optimizer.ParamOptimizer
	// ParamLearningRate of the optimizer (default 1e-3).
	ParamLearningRate = "learning_rate" // the same key as optimizer.ParamLearningRate
	// ParamBatchSize is the number of images per training step (default 128).
	ParamBatchSize = "batch_size"
	// ParamEpochs is the number of passes over the training set (default 10).
	ParamEpochs = "epochs"
	// ParamSeed seeds the initialization, the data order, the sampling and the binarization.
	ParamSeed = "initializer_seed" // the same key as model.ParamInitialSeed
	// ParamBinarize is how pixels are made binary before they reach the model: "none"
	// (intensities as Bernoulli targets), "static" (threshold 0.5, once) or "dynamic" (a fresh
	// Bernoulli draw of every training image each epoch; test images are drawn once).
	ParamBinarize = "binarize"
	// ParamOnNaN is what a non-finite loss term does: "stop" (default: the run stops with an
	// error naming the term, epoch and step, keeping the last good checkpoint) or "skip" (the
	// step is undone, weights, optimizer and random state restored from a copy taken before it,
	// and the batch left out of the epoch's means; the run still stops if more than half of an
	// epoch's batches are skipped). Skipping copies every variable before every step; the first
	// step of a process creates or loads the variables, so a non-finite one stops the run.
	ParamOnNaN = "on_nan"
	// ParamAdamBeta1 is Adam's decay of its running mean of gradients (default 0.9; GANs use 0.5,
	// after Radford, Metz and Chintala 2016).
	ParamAdamBeta1 = "adam_beta1"
	// ParamAdamEpsilon is Adam's epsilon (default 1e-7, Keras'; the IWAE paper uses 1e-4).
	ParamAdamEpsilon = "adam_epsilon"
	// ParamLearningRateSchedule is how the learning rate changes over the epochs: "constant"
	// (default) or "iwae", the schedule of Burda, Grosse and Salakhutdinov (2016): stage i =
	// 0, 1, 2, ... lasts 3^i epochs at learning_rate x 10^(-i/7).
	ParamLearningRateSchedule = "learning_rate_schedule"
	// ParamBatchNormBatches is the number of training batches over which, after every epoch, Fit
	// estimates the BatchNorm averages afresh with the epoch's final weights (default 100; 0
	// keeps the moving averages that training left). Training itself normalizes with each
	// batch's statistics and is not changed; the averages are what evaluation, sampling and the
	// checkpoint use: the moving averages (momentum 0.99) lag weights that Adam moves quickly
	// (docs/DESIGN.md, "BatchNorm averages").
	ParamBatchNormBatches = "batchnorm_batches"
	// ParamInitializer is how Fit initializes the weights of a new model: "he_normal" (default,
	// GoMLX's: N(0, 2/fan_in) kernels, zero biases) or "glorot_uniform" (Keras' default:
	// uniform in +-sqrt(6/(fan_in+fan_out)), zero biases), for reproducing a Keras source
	// exactly. Only variables created by the training graph take it; a resumed run keeps its
	// checkpoint's weights.
	ParamInitializer = "initializer"
)

// Initializers Fit knows.
var Initializers = []string{"he_normal", "glorot_uniform"}

// NaN policies Fit knows.
var NaNPolicies = []string{"stop", "skip"}

// Optimizers Fit knows.
var Optimizers = []string{"adam", "rmsprop", "sgd"}

// LearningRateSchedules are the values of ParamLearningRateSchedule.
var LearningRateSchedules = []string{"constant", "iwae"}

// ScheduledLearningRate is the learning rate of an epoch (1-based) under a schedule: base for
// "constant"; for "iwae", base x 10^(-i/7) in stage i, which holds the epochs after the
// (3^i - 1) / 2 of the stages before it.
func ScheduledLearningRate(schedule string, base float64, epoch int) float64 {
	if schedule != "iwae" {
		return base
	}
	stage, end := 0, 1 // end: the last epoch of the stage, (3^(stage+1) - 1) / 2
	for pow := 3; epoch > end; pow *= 3 {
		stage++
		end += pow
	}
	return base * math.Pow(10, -float64(stage)/7)
}

// ScheduleStageEnds are the epochs, up to epochs, after which a schedule's stage ends and the
// learning rate changes, then epochs itself (the last stage cut there): for "iwae" and 1093
// epochs 1, 4, 13, 40, 121, 364, 1093; for "constant" only epochs.
func ScheduleStageEnds(schedule string, epochs int) []int {
	var ends []int
	if schedule == "iwae" {
		for end, pow := 1, 3; end < epochs; end, pow = end+pow, pow*3 {
			ends = append(ends, end)
		}
	}
	return append(ends, epochs)
}

// Binarizations Fit knows.
var Binarizations = []string{"none", "static", "dynamic"}

// TrainingParams are the training hyperparameters as read from a store.
type TrainingParams struct {
	Optimizer    string
	LearningRate float64
	BatchSize    int
	Epochs       int
	Seed         int64
	Binarize     string
	OnNaN        string
	AdamBeta1    float64
	AdamEpsilon  float64
	// Schedule is ParamLearningRateSchedule.
	Schedule string
	// BatchNormBatches is ParamBatchNormBatches.
	BatchNormBatches int
	// AveragingDecay is ParamAveragingDecay.
	AveragingDecay float64
}

// ReadTrainingParams reads and checks the training parameters of a store.
func ReadTrainingParams(store *model.Store) (TrainingParams, error) {
	root := store.RootScope()
	// Every value the store sets is checked against its declaration (kind, range, choices), the
	// reconstruction kind too, which the graph reads later: a typo is reported before any data
	// is loaded or anything is written.
	names := []string{vaekit.ParamReconstruction}
	for _, s := range trainingSpecs {
		if !s.Internal { // set by vaekit itself, not by users
			names = append(names, s.Name)
		}
	}
	for _, name := range names {
		if v, ok := root.GetParam(name); ok {
			if _, err := paramtable.Check(name, v); err != nil {
				return TrainingParams{}, err
			}
		}
	}
	p := TrainingParams{
		Optimizer:    vaekit.Param[string](root, ParamOptimizer),
		LearningRate: vaekit.Param[float64](root, ParamLearningRate),
		BatchSize:    vaekit.Param[int](root, ParamBatchSize),
		Epochs:       vaekit.Param[int](root, ParamEpochs),
		Seed:         vaekit.Param[int64](root, ParamSeed),
		Binarize:     vaekit.Param[string](root, ParamBinarize),
		OnNaN:        vaekit.Param[string](root, ParamOnNaN),
		AdamBeta1:    vaekit.Param[float64](root, ParamAdamBeta1),
		AdamEpsilon:  vaekit.Param[float64](root, ParamAdamEpsilon),
		Schedule:     vaekit.Param[string](root, ParamLearningRateSchedule),

		BatchNormBatches: vaekit.Param[int](root, ParamBatchNormBatches),
		AveragingDecay:   vaekit.Param[float64](root, ParamAveragingDecay),
	}
	return p, nil
}

// newOptimizer builds the optimizer named by the parameters. RMSprop is Keras' (kerasRMSprop:
// rho 0.9, epsilon 1e-7 under the square root, no bias correction); Adam is GoMLX's, with
// Keras' epsilon 1e-7.
func newOptimizer(p TrainingParams) optimizer.Interface {
	switch p.Optimizer {
	case "rmsprop":
		return kerasRMSprop{learningRate: p.LearningRate, rho: 0.9, epsilon: 1e-7}
	case "sgd":
		return optimizer.StochasticGradientDescent().WithDecay(false).WithLearningRate(p.LearningRate).Done()
	default:
		return optimizer.Adam().LearningRate(p.LearningRate).Betas(p.AdamBeta1, 0.999).Epsilon(p.AdamEpsilon).Done()
	}
}

// resumableParams may differ between a run and its resumption: they steer the training, not
// what the saved variables mean (ParamFrozenVariables and ParamModel are the checkpoint's own
// bookkeeping, checked elsewhere).
var resumableParams = map[string]bool{
	ParamOptimizer: true, ParamLearningRate: true, ParamBatchSize: true, ParamEpochs: true,
	ParamSeed: true, ParamBinarize: true, ParamOnNaN: true, ParamAdamBeta1: true, ParamAdamEpsilon: true, ParamLearningRateSchedule: true,
	ParamBatchNormBatches: true, ParamFrozenVariables: true, vaekit.ParamModel: true,
}

// RecipeChanges lists the parameters that a run was started with (saved) and that requested
// sets to another value, leaving out the training parameters a resumed run may change
// (optimizer, learning rate and its schedule, batch size, epochs, random seed, binarization, NaN
// policy, Adam's beta1 and epsilon, BatchNorm batches). A parameter the saved run lacks counts
// as what that run read for it: a scoped one from the scopes above it, else its declared default
// (a run from before the parameter existed trained with it), so only another value is a change;
// a parameter only the saved run sets is not one: checkpoints written before a parameter existed
// must still load.
// Each entry reads `name = saved, not requested`, names without the root scope's slash,
// sorted. Values are compared in their JSON form, so a value read back from JSON (float64,
// []any) equals the Go value it was written from.
func RecipeChanges(saved, requested map[string]any) []string {
	var changes []string
	family := recipeFamily(saved, requested)
	for key, want := range requested {
		name := strings.TrimPrefix(key, "/")
		leaf := name[strings.LastIndex(name, "/")+1:] // the parameter, without its scope
		if resumableParams[leaf] {
			continue
		}
		got, ok := savedValue(saved, key)
		if !ok {
			spec, known := paramtable.Lookup(leaf)
			if got = spec.DefaultFor(family); !known || got == nil || !spec.Reads(family) {
				continue
			}
		}
		g, gerr := json.Marshal(got)
		w, werr := json.Marshal(want)
		if gerr == nil && werr == nil && string(g) == string(w) {
			continue
		}
		changes = append(changes, fmt.Sprintf("%s = %s, not %s", name, jsonOrSprint(g, gerr, got), jsonOrSprint(w, werr, want)))
	}
	slices.Sort(changes)
	return changes
}

// savedValue is the value a run with the saved parameters read for key: a scoped parameter
// ("/discriminator/activation") the run did not set is read from the scopes above it, up to the
// root ("/activation"), as the store does.
func savedValue(saved map[string]any, key string) (any, bool) {
	scope, name := path.Split(path.Clean("/" + key))
	for {
		if v, ok := saved[scope+name]; ok {
			return v, true
		}
		if scope == "/" || scope == "" {
			return nil, false
		}
		scope, _ = path.Split(strings.TrimSuffix(scope, "/"))
	}
}

// recipeFamily is the model family a recipe is for (ParamModel, saved or requested).
func recipeFamily(saved, requested map[string]any) string {
	for _, m := range []map[string]any{saved, requested} {
		if f, ok := m["/"+vaekit.ParamModel].(string); ok {
			return f
		}
	}
	return ""
}

func jsonOrSprint(data []byte, err error, v any) string {
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// trainingSpecs declare the parameters of the training loop (see the constants' docs).
var trainingSpecs = []paramtable.Spec{
	paramtable.Spec{Name: ParamFrozenVariables, Kind: paramtable.KindStrings, Internal: true, Doc: "variables the checkpoint does not train"},
	paramtable.Spec{Name: norm.AveragesUpdatesTriggerParam, Kind: paramtable.KindBool, Internal: true, Doc: "set by GoMLX's BatchNorm in the stores it builds"},
	paramtable.Spec{Name: ParamOptimizer, Kind: paramtable.KindChoice, Choices: Optimizers, Default: "adam", Doc: "the optimizer"},
	paramtable.Spec{Name: ParamLearningRate, Kind: paramtable.KindFloat, Range: paramtable.Above(0), Default: 1e-3, Doc: "the optimizer's learning rate"},
	paramtable.Spec{Name: ParamBatchSize, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Default: 128, Doc: "images per training step (at most the training images)"},
	paramtable.Spec{Name: ParamEpochs, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Default: 10, Doc: "passes over the training set"},
	paramtable.Spec{Name: ParamSeed, Kind: paramtable.KindInt64, Default: int64(0), Doc: "seeds the initialization, the data order, the sampling and the binarization"},
	paramtable.Spec{Name: ParamBinarize, Kind: paramtable.KindChoice, Choices: Binarizations, Default: "none",
		Doc: "binary pixels: none, static (threshold 0.5) or dynamic (a fresh Bernoulli draw each epoch)"},
	paramtable.Spec{Name: ParamOnNaN, Kind: paramtable.KindChoice, Choices: NaNPolicies, Default: "stop", Doc: "what a non-finite loss does: stop the run or skip the batch"},
	paramtable.Spec{Name: ParamAdamBeta1, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0).Below(1), Default: 0.9, Doc: "Adam's decay of its running mean of gradients"},
	paramtable.Spec{Name: ParamAdamEpsilon, Kind: paramtable.KindFloat, Range: paramtable.Above(0), Default: 1e-7, Doc: "Adam's epsilon (Keras' 1e-7; the IWAE paper's 1e-4)"},
	paramtable.Spec{Name: ParamLearningRateSchedule, Kind: paramtable.KindChoice, Choices: LearningRateSchedules, Default: "constant",
		Doc: "constant, or iwae: stages of 3^i epochs at learning_rate x 10^(-i/7) (Burda et al. 2016)"},
	paramtable.Spec{Name: ParamBatchNormBatches, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Default: 100,
		Doc: "training batches over which the BatchNorm averages are estimated after every epoch (0: keep the moving averages)"},
	paramtable.Spec{Name: ParamAveragingDecay, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0).Below(1), Default: 0.0,
		Families: []string{"dcgan", "gan"},
		Doc:      "decay of the moving average of a GAN's generator weights that sampling uses (0: none; 0.999: about the last thousand steps)"},
	paramtable.Spec{Name: ParamInitializer, Kind: paramtable.KindChoice, Choices: Initializers, Default: "he_normal",
		Doc: "initial weights: he_normal (GoMLX's) or glorot_uniform (Keras')"},
}

func init() { paramtable.Declare(trainingSpecs...) }
