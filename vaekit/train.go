package vaekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/vaekit/vaekit/datasets"
)

var nan = math.NaN()

// Trainer runs the one training loop of vaekit for any Model: it compiles a training step (loss
// terms, gradients, optimizer update) and an evaluation step (loss terms summed over the real
// examples of a padded batch), both reading hyperparameters from the store.
type Trainer struct {
	backend compute.Backend
	store   *model.Store
	model   Model
	params  TrainingParams
	terms   []string
	train   *model.Exec
	eval    *model.Exec
	bnStats *model.Exec // built on first use, by EstimateBatchNorm
	skipped int
	// Progress, if set, shows the progress of the BatchNorm estimate and of Evaluate (Fit sets
	// it to FitOptions.Progress).
	Progress io.Writer
}

// learningRateVariable is where GoMLX's optimizers keep the learning rate
// (optimizer.LearningRateVar: scope optimizer.Scope, name optimizer.ParamLearningRate).
const learningRateVariable = "/optimizers/learning_rate"

// epochVariable is the store variable counting completed epochs, checkpointed with the weights.
const epochVariable = "/vaekit/epoch"

// stepVariable counts the steps done in the epoch in progress (0 at an epoch boundary) and
// sumsVariable holds the sums of the training terms over those steps: with them a checkpoint
// taken in the middle of an epoch resumes it exactly.
const (
	stepVariable = "/vaekit/step"
	sumsVariable = "/vaekit/train_sums"
)

// stepVar returns the in-epoch step counter, loading it from an attached checkpoint or creating it.
func (t *Trainer) stepVar() *model.Variable {
	if v := t.store.GetVariable(stepVariable); v != nil {
		return v.SetTrainable(false)
	}
	return t.store.RootScope().In("vaekit").VariableWithValue("step", int64(0)).SetTrainable(false)
}

// savedSums returns the training-term sums of the epoch in progress kept in the store, or nil.
func (t *Trainer) savedSums() []float64 {
	v := t.store.GetVariable(sumsVariable)
	if v == nil {
		return nil
	}
	value, err := v.Value()
	if err != nil {
		return nil
	}
	return tensors.MustCopyFlatData[float64](value)
}

// saveProgress records the steps done in the epoch in progress and their term sums.
func (t *Trainer) saveProgress(step int, sums []float64) error {
	if err := t.stepVar().SetValue(tensors.FromScalar(int64(step))); err != nil {
		return err
	}
	if sums == nil {
		return nil
	}
	if v := t.store.GetVariable(sumsVariable); v != nil {
		return v.SetTrainable(false).SetValue(tensors.FromValue(slices.Clone(sums)))
	}
	t.store.RootScope().In("vaekit").VariableWithValue("train_sums", slices.Clone(sums)).SetTrainable(false)
	return nil
}

// epochVar returns the epoch counter, loading it from an attached checkpoint or creating it.
func (t *Trainer) epochVar() *model.Variable {
	if v := t.store.GetVariable(epochVariable); v != nil {
		return v.SetTrainable(false) // a variable read back from a checkpoint comes back trainable
	}
	return t.store.RootScope().In("vaekit").VariableWithValue("epoch", int64(0)).SetTrainable(false)
}

// NewTrainer checks the training parameters of store and prepares the steps of m. The store's
// ParamModel is set to m.Name().
func NewTrainer(backend compute.Backend, store *model.Store, m Model) (*Trainer, error) {
	p, err := ReadTrainingParams(store)
	if err != nil {
		return nil, err
	}
	store.SetParam(ParamModel, m.Name())
	t := &Trainer{backend: backend, store: store, model: m, params: p}
	opt := newOptimizer(p)
	t.train, err = model.NewExec(backend, store, func(scope *model.Scope, images, labels *Node) *Node {
		scope = initializing(scope)
		g := images.Graph()
		store.SetTraining(g, true)
		terms := m.Loss(scope, images, labels)
		t.terms = terms.Names()
		means := make([]*Node, len(terms))
		for i, term := range terms {
			means[i] = ReduceAllMean(term.Value)
		}
		adversarial, ok := m.(Adversarial)
		if !ok {
			opt.UpdateGraph(scope, g, means[0])
			return Stack(means, 0)
		}
		for _, player := range adversarial.Players() {
			i := slices.Index(t.terms, player.Term)
			if i < 0 {
				panic(fmt.Errorf("%s: player %q minimises term %q: expected one of the model's terms %v", m.Name(), player.Scope, player.Term, t.terms))
			}
			opt.UpdateGraph(scope.At("%s", player.Scope), g, means[i])
		}
		return Stack(means, 0)
	})
	if err != nil {
		return nil, err
	}
	t.eval, err = model.NewExec(backend, store, func(scope *model.Scope, images, labels, mask *Node) *Node {
		scope = initializing(scope)
		terms := m.Loss(scope, images, labels)
		t.terms = terms.Names()
		sums := make([]*Node, len(terms))
		for i, term := range terms {
			sums[i] = ReduceAllSum(Mul(term.Value, mask))
		}
		return Stack(sums, 0)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// initializing gives scope the initializer ParamInitializer names (checked by
// ReadTrainingParams), for the variables a training, evaluation or BatchNorm graph creates:
// whichever of them is built first creates the model's weights.
func initializing(scope *model.Scope) *model.Scope {
	if model.GetParamOr(scope, ParamInitializer, "he_normal") == "glorot_uniform" {
		return scope.WithInitializer(initializer.GlorotUniformFn(scope))
	}
	return scope
}

// Params returns the training parameters the trainer was built with.
func (t *Trainer) Params() TrainingParams { return t.params }

// Terms returns the names of the loss terms (known after the first step or evaluation).
func (t *Trainer) Terms() []string { return t.terms }

// CompletedEpochs is the number of epochs trained so far (restored from a checkpoint).
func (t *Trainer) CompletedEpochs() int {
	v, err := t.epochVar().Value()
	if err != nil {
		return 0
	}
	return int(tensors.ToScalar[int64](v))
}

// TrainStep runs one optimisation step on a batch and returns the batch mean of every term.
func (t *Trainer) TrainStep(images, labels *tensors.Tensor) ([]float64, error) {
	out, err := t.train.Exec(images, labels)
	if err != nil {
		return nil, GraphError(err)
	}
	defer Release(out...)
	return float64s(out[0]), nil
}

// EvalStep returns, for every term, the sum over the examples whose mask is 1.
func (t *Trainer) EvalStep(images, labels, mask *tensors.Tensor) ([]float64, error) {
	out, err := t.eval.Exec(images, labels, mask)
	if err != nil {
		return nil, GraphError(err)
	}
	defer Release(out...)
	return float64s(out[0]), nil
}

// isBatchNormAverage says whether v is one of the averages a BatchNorm layer keeps for
// inference (GoMLX's norm.BatchNorm: "mean", "variance" and their "avg_weight", in a scope
// named "batchnorm" by vaekit's blocks or "batch_normalization" by GoMLX's default).
func isBatchNormAverage(v *model.Variable) bool {
	scope, name := model.SplitPath(v.Path())
	if name != "mean" && name != "variance" && name != "avg_weight" {
		return false
	}
	return strings.HasSuffix(scope, "/batchnorm") || strings.HasSuffix(scope, "/batch_normalization")
}

// EstimateBatchNorm sets the BatchNorm averages to the mean and variance of each layer's input
// over the first batches of order in set, with the current weights: the weight of the averages
// is reset, so the first batch replaces them and the next ones are averaged in with equal weight
// up to the layer's momentum (100 batches at 0.99). Nothing else changes: the weights, the
// optimizer, the random state and any other variable the model updates in training mode keep
// their values. It does nothing for a model without BatchNorm.
func (t *Trainer) EstimateBatchNorm(ctx context.Context, set *datasets.Set, order []int32, batches int) error {
	var averages []*model.Variable
	for v := range t.store.IterVariables() {
		if isBatchNormAverage(v) && v.HasValue() {
			averages = append(averages, v)
		}
	}
	batches = min(batches, len(order)/t.params.BatchSize)
	if len(averages) == 0 || batches <= 0 {
		return nil
	}
	for _, v := range averages {
		if _, name := model.SplitPath(v.Path()); name == "avg_weight" {
			if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
				return err
			}
		}
	}
	if t.bnStats == nil {
		var err error
		t.bnStats, err = model.NewExec(t.backend, t.store, func(scope *model.Scope, images, labels *Node) *Node {
			scope = initializing(scope)
			g := images.Graph()
			t.store.SetTraining(g, true)
			// The model may update other variables in training mode (the random state, a
			// VQ-VAE's moving-average codebook): take their values before and set them back.
			kept := map[*model.Variable]*Node{}
			for v := range t.store.IterVariables() {
				if !v.Trainable && !isBatchNormAverage(v) && v.HasValue() {
					kept[v] = v.NodeValue(g)
				}
			}
			terms := t.model.Loss(scope, images, labels)
			for v, node := range kept {
				v.SetNodeValue(node)
			}
			return ReduceAllMean(terms[0].Value)
		})
		if err != nil {
			return err
		}
	}
	b := newBatcher(set, t.params.BatchSize)
	phase := NewPhase(t.Progress, "BatchNorm averages", batches, "batches")
	defer phase.End("")
	for bt := range b.prefetch(ctx, order, batches) {
		out, err := t.bnStats.Exec(bt.images, bt.labels)
		Release(bt.images, bt.labels)
		if err != nil {
			return GraphError(err)
		}
		Release(out...)
		phase.Add(1)
	}
	return ctx.Err()
}

// snapshot copies the value of every variable of the store (to undo a step).
func (t *Trainer) snapshot() (map[*model.Variable]*tensors.Tensor, error) {
	values := map[*model.Variable]*tensors.Tensor{}
	for v := range t.store.IterVariables() {
		if !v.HasValue() {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, err
		}
		if values[v], err = value.LocalClone(); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// restore sets the variables back to a snapshot.
func restore(values map[*model.Variable]*tensors.Tensor) error {
	for v, value := range values {
		if err := v.SetValue(value); err != nil {
			return err
		}
	}
	return nil
}

// Skipped is the number of batches skipped for a non-finite loss (with ParamOnNaN "skip")
// during the last Fit.
func (t *Trainer) Skipped() int { return t.skipped }

// GraphError shortens the error of a graph that failed to build because a model panicked on a
// bad parameter: GoMLX wraps the model's message in the names of its executors; what the user
// needs is the message ("building the model: vaekit: parameter ... expected ...").
func GraphError(err error) error {
	const marker = "panicked: "
	msg := err.Error()
	if strings.HasPrefix(msg, "failed during graph construction") {
		if i := strings.LastIndex(msg, marker); i >= 0 {
			return fmt.Errorf("building the model: %s", msg[i+len(marker):])
		}
	}
	return err
}

// float64s copies a float32 vector tensor into float64s.
func float64s(t *tensors.Tensor) []float64 {
	v := tensors.MustCopyFlatData[float32](t)
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return f
}

// Evaluate returns the mean of every term over all of set (no update, no example dropped: the
// last batch is padded and the padding masked out). batchSize <= 0 uses the training batch size.
func (t *Trainer) Evaluate(set *datasets.Set, batchSize int) ([]float64, error) {
	if batchSize <= 0 {
		batchSize = t.params.BatchSize
	}
	if set.N == 0 {
		return nil, fmt.Errorf("evaluate: the %s %s set is empty", set.Name, set.Split)
	}
	b := newBatcher(set, batchSize)
	var sums []float64
	phase := NewPhase(t.Progress, "evaluating on "+string(set.Split), set.N, "images")
	defer phase.End("")
	for start := 0; start < set.N; start += batchSize {
		images, labels, mask := b.sequential(start)
		s, err := t.EvalStep(images, labels, mask)
		Release(images, labels, mask)
		if err != nil {
			return nil, err
		}
		phase.Add(min(batchSize, set.N-start))
		if sums == nil {
			sums = make([]float64, len(s))
		}
		for i := range s {
			sums[i] += s[i]
		}
	}
	for i := range sums {
		sums[i] /= float64(set.N)
	}
	return sums, nil
}

// FitOptions are what Fit needs besides the store's parameters.
type FitOptions struct {
	// Dir holds the checkpoint (Dir/checkpoint) and the history (Dir/history.csv). If it has a
	// checkpoint, Fit resumes from it. Empty: nothing is saved.
	Dir string
	// Progress receives a progress bar on a terminal, elsewhere a line per tenth of a long epoch
	// and one per epoch; nil: silent.
	Progress io.Writer
	// OnEpoch, if set, is called after every epoch has been evaluated and saved.
	OnEpoch func(epoch int, h *History) error
	// MaxSteps, if > 0, stops each epoch after that many steps (quick mode for tests and CI).
	MaxSteps int
	// CheckpointInterval and CheckpointSteps, if > 0, also save a checkpoint within an epoch,
	// when that much time or that many steps have passed since the last one; a run killed in
	// the middle of an epoch then resumes from its last step instead of from the epoch's start,
	// with the same result. Without a Dir they do nothing.
	CheckpointInterval time.Duration
	CheckpointSteps    int
}

// ErrNonFinite is wrapped by the error Fit returns when a loss term becomes NaN or infinite.
var ErrNonFinite = errors.New("loss is not finite")

// Fit trains for the number of epochs in ParamEpochs, evaluating every term on the training
// and test sets after each epoch and saving the checkpoint and history. A run interrupted
// between epochs and started again with the same Dir continues where it stopped: the
// checkpoint holds the weights, the optimizer state, the random state and the epoch count, and
// the order of the data in each epoch is a function of the seed and the epoch number.
func (t *Trainer) Fit(ctx context.Context, trainSet, testSet *datasets.Set, opts FitOptions) (*History, error) {
	hist := &History{}
	t.skipped = 0
	t.Progress = opts.Progress
	var ckpt *checkpoint.Handler
	if opts.Dir != "" {
		var err error
		if ckpt, hist, err = t.openCheckpoint(opts.Dir, opts.Progress); err != nil {
			return nil, err
		}
	}
	p := t.params
	stepsPerEpoch := trainSet.N / p.BatchSize
	if stepsPerEpoch == 0 {
		return nil, fmt.Errorf("parameter %q = %d: larger than the %d training images", ParamBatchSize, p.BatchSize, trainSet.N)
	}
	if opts.MaxSteps > 0 {
		stepsPerEpoch = min(stepsPerEpoch, opts.MaxSteps)
	}
	testSet = binarizeOnce(testSet, p)
	staticTrain := trainSet
	if p.Binarize == "static" {
		staticTrain = trainSet.Binarized(0.5)
	}
	start := t.CompletedEpochs()
	hist.truncate(start)
	// A checkpoint taken within epoch start+1 says how many of its steps are done.
	resumeStep := 0
	if ckpt != nil {
		if v, err := t.stepVar().Value(); err == nil {
			resumeStep = int(tensors.ToScalar[int64](v))
		}
	}
	if resumeStep >= stepsPerEpoch {
		resumeStep = 0 // the steps per epoch changed (MaxSteps): start the epoch over
	}
	lastSave, stepsSinceSave := time.Now(), 0
	for epoch := start + 1; epoch <= p.Epochs; epoch++ {
		epochSet := staticTrain
		if p.Binarize == "dynamic" {
			epochSet = dynamicBinarized(trainSet, p.Seed, epoch)
		}
		first, skippedInEpoch := 0, 0
		var sums []float64
		if epoch == start+1 && resumeStep > 0 {
			first, sums = resumeStep, t.savedSums()
			if len(sums) == 0 {
				first, sums = 0, nil
			}
		}
		bar := NewPhase(opts.Progress, fmt.Sprintf("epoch %d/%d", epoch, p.Epochs), stepsPerEpoch-first, "steps")
		b := newBatcher(epochSet, p.BatchSize)
		order := epochOrder(epochSet.N, p.Seed, epoch)
		batches := b.prefetch(ctx, order[first*p.BatchSize:], stepsPerEpoch-first)
		for step := first; step < stepsPerEpoch; step++ {
			batch, ok := <-batches
			if !ok {
				return hist, ctx.Err()
			}
			var before map[*model.Variable]*tensors.Tensor
			if p.OnNaN == "skip" && t.store.NumVariables() > 0 {
				var err error
				if before, err = t.snapshot(); err != nil {
					return hist, err
				}
			}
			means, err := t.TrainStep(batch.images, batch.labels)
			Release(batch.images, batch.labels)
			if err != nil {
				return hist, fmt.Errorf("epoch %d step %d: %w", epoch, step+1, err)
			}
			if i := firstNonFinite(means); i >= 0 {
				if before == nil {
					return hist, fmt.Errorf("%w: term %q = %g at epoch %d, step %d; the last good checkpoint is kept: lower %q (now %g) or warm up the KL weight",
						ErrNonFinite, t.terms[i], means[i], epoch, step+1, ParamLearningRate, p.LearningRate)
				}
				if err := restore(before); err != nil {
					return hist, err
				}
				t.skipped++
				skippedInEpoch++
				if opts.Progress != nil {
					fmt.Fprintf(opts.Progress, "epoch %d step %d: term %q = %g: batch skipped (%q = \"skip\")\n", epoch, step+1, t.terms[i], means[i], ParamOnNaN)
				}
				if 2*skippedInEpoch > stepsPerEpoch {
					return hist, fmt.Errorf("%w: %d of the %d batches of epoch %d skipped; the last good checkpoint is kept: lower %q (now %g)",
						ErrNonFinite, skippedInEpoch, stepsPerEpoch, epoch, ParamLearningRate, p.LearningRate)
				}
				continue
			}
			if sums == nil {
				sums = make([]float64, len(means)+1) // the term sums, then the number of steps summed
			}
			for i := range means {
				sums[i] += means[i]
			}
			sums[len(means)]++
			bar.Step(fmt.Sprintf("loss %.4g", means[0]))
			stepsSinceSave++
			due := (opts.CheckpointSteps > 0 && stepsSinceSave >= opts.CheckpointSteps) ||
				(opts.CheckpointInterval > 0 && time.Since(lastSave) >= opts.CheckpointInterval)
			if ckpt != nil && due && step+1 < stepsPerEpoch { // the epoch's end saves anyway
				if err := t.saveProgress(step+1, sums); err != nil {
					return hist, err
				}
				t.recordFrozen()
				if err := ckpt.Save(); err != nil {
					return hist, fmt.Errorf("saving checkpoint in %s: %w", opts.Dir, err)
				}
				lastSave, stepsSinceSave = time.Now(), 0
			}
		}
		if sums == nil {
			return hist, fmt.Errorf("%w: every batch of epoch %d was skipped", ErrNonFinite, epoch)
		}
		n := len(sums) - 1
		means := make([]float64, n)
		for i := range means {
			means[i] = sums[i] / sums[n]
		}
		if hist.Terms == nil {
			hist.Terms = t.terms
		}
		// Training normalized with each batch's statistics; evaluation, sampling and the
		// checkpoint use the BatchNorm averages, estimated afresh with the epoch's final weights.
		if err := t.EstimateBatchNorm(ctx, epochSet, order, p.BatchNormBatches); err != nil {
			return hist, fmt.Errorf("epoch %d: estimating the BatchNorm averages: %w", epoch, err)
		}
		testMeans, err := t.Evaluate(testSet, 0)
		if err != nil {
			return hist, err
		}
		hist.Rows = append(hist.Rows, HistoryRow{Epoch: epoch, Split: "train", Values: means},
			HistoryRow{Epoch: epoch, Split: "test", Values: testMeans})
		bar.End(epochSummary(hist))
		if err := t.epochVar().SetValue(tensors.FromScalar(int64(epoch))); err != nil {
			return hist, err
		}
		if err := t.saveProgress(0, nil); err != nil {
			return hist, err
		}
		if ckpt != nil {
			// History first: if the process dies before the checkpoint is saved, the resumed run
			// drops the extra rows and repeats the epoch.
			if err := hist.WriteFile(filepath.Join(opts.Dir, "history.csv")); err != nil {
				return hist, err
			}
			t.recordFrozen()
			if err := ckpt.Save(); err != nil {
				return hist, fmt.Errorf("saving checkpoint in %s: %w", opts.Dir, err)
			}
			lastSave, stepsSinceSave = time.Now(), 0
		}
		if opts.OnEpoch != nil {
			if err := opts.OnEpoch(epoch, hist); err != nil {
				return hist, err
			}
		}
		if err := ctx.Err(); err != nil {
			return hist, err
		}
	}
	return hist, nil
}

// ParamFrozenVariables is the store parameter, saved with every checkpoint, listing the paths of
// the variables that are not trained, because GoMLX's checkpoints do not record it.
const ParamFrozenVariables = "vaekit_frozen_variables"

// recordFrozen sets ParamFrozenVariables from the store's variables.
func (t *Trainer) recordFrozen() {
	var frozen []string
	for v := range t.store.IterVariables() {
		if !v.Trainable {
			frozen = append(frozen, v.Path())
		}
	}
	slices.Sort(frozen)
	t.store.SetParam(ParamFrozenVariables, frozen)
}

// frozenPaths reads ParamFrozenVariables (a JSON round trip may give []any).
func frozenPaths(store *model.Store) []string {
	raw, _ := store.GetParam(ParamFrozenVariables)
	switch list := raw.(type) {
	case []string:
		return list
	case []any:
		out := make([]string, 0, len(list))
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// openCheckpoint attaches the checkpoint in dir/checkpoint to the store (loading the latest one
// if present) and reads the history that goes with it. GoMLX writes a checkpoint's .bin and then
// its .json in place, so a process killed while saving leaves a truncated newest checkpoint: one
// that does not load is renamed to *.broken (kept for inspection, reported on log) and the one
// before it is used; the epochs after it are trained again.
func (t *Trainer) openCheckpoint(dir string, log io.Writer) (*checkpoint.Handler, *History, error) {
	ckptDir := filepath.Join(dir, "checkpoint")
	if err := os.MkdirAll(ckptDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	// Variables that exist before the checkpoint is attached would not be read back from it.
	if n := t.store.NumVariables(); n > 0 {
		return nil, nil, fmt.Errorf("Fit with a run directory (%s) must come first: the store already holds %d variables", dir, n)
	}
	// What this call asks for, before the checkpoint's own parameters replace it.
	requested := maps.Collect(t.store.IterParams())
	var h *checkpoint.Handler
	for {
		var err error
		if h, err = checkpoint.Build(t.store).Dir(ckptDir).Keep(2).Done(); err == nil {
			break
		}
		broken, setAsideErr := setAsideNewestCheckpoint(ckptDir)
		if setAsideErr != nil || broken == "" {
			return nil, nil, fmt.Errorf("checkpoint in %s: %w", ckptDir, err)
		}
		if log != nil {
			fmt.Fprintf(log, "checkpoint %s does not load (%v): renamed to %s.broken, resuming from the one before\n", broken, err, broken)
		}
	}
	// Attaching restored the checkpoint's parameters; the training parameters of this call win
	// (more epochs, another learning rate), so the next checkpoint records what was used.
	p := t.params
	t.store.SetParams(map[string]any{ParamOptimizer: p.Optimizer, ParamLearningRate: p.LearningRate,
		ParamBatchSize: p.BatchSize, ParamEpochs: p.Epochs, ParamSeed: p.Seed, ParamBinarize: p.Binarize})
	hist := &History{}
	if has, _ := h.HasCheckpoints(); has {
		// Every variable comes back from a checkpoint trainable: the random state, the optimizer's
		// moments and counters, the VQ-VAE's moving averages. Left so, the optimizer would move
		// them too (the random state through a float conversion that rounds its 64-bit key).
		// The random state is named as well for checkpoints written before the list existed.
		if v := t.store.GetVariable("/" + model.RNGStateVariableName); v != nil {
			v.SetTrainable(false)
		}
		for _, path := range frozenPaths(t.store) {
			if v := t.store.GetVariable(path); v != nil {
				v.SetTrainable(false)
			}
		}
		// GoMLX's optimizers keep the learning rate in a variable, which the checkpoint restores:
		// set it to this call's learning rate.
		if v := t.store.GetVariable(learningRateVariable); v != nil {
			if err := v.SetValue(tensors.FromScalar(float32(p.LearningRate))); err != nil {
				return nil, nil, err
			}
			v.SetTrainable(false)
		}
		if got := model.GetParamOr(t.store.RootScope(), ParamModel, t.model.Name()); got != t.model.Name() {
			return nil, nil, fmt.Errorf("checkpoint in %s belongs to model %q, not %q: use another run directory", ckptDir, got, t.model.Name())
		}
		// Resuming with another architecture or loss would silently train the checkpoint's
		// recipe under the new one's name (the checkpoint's parameters win when it loads).
		if changes := RecipeChanges(maps.Collect(t.store.IterParams()), requested); len(changes) > 0 {
			return nil, nil, fmt.Errorf("checkpoint in %s was trained with another recipe (%s): start it over, or use another run directory", ckptDir, strings.Join(changes, "; "))
		}
		read, err := ReadHistory(filepath.Join(dir, "history.csv"))
		switch {
		case err == nil:
			hist = read
		case !os.IsNotExist(err):
			return nil, nil, err
		}
	}
	return h, hist, nil
}

// setAsideNewestCheckpoint renames the newest checkpoint's files in dir to *.broken and returns
// its base path ("" if there is none).
func setAsideNewestCheckpoint(dir string) (string, error) {
	jsons, err := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	if err != nil || len(jsons) == 0 {
		return "", err
	}
	slices.Sort(jsons) // names carry a zero-padded count, so the last one is the newest
	base := strings.TrimSuffix(jsons[len(jsons)-1], ".json")
	for _, suffix := range []string{".json", ".bin"} {
		if err := os.Rename(base+suffix, base+suffix+".broken"); err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	return base, nil
}

// firstNonFinite returns the index of a NaN or infinite term, preferring the parts (terms after
// the first) over the objective, which is non-finite whenever a part is; -1 if all are finite.
func firstNonFinite(v []float64) int {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	for i := 1; i < len(v); i++ {
		if bad(v[i]) {
			return i
		}
	}
	if len(v) > 0 && bad(v[0]) {
		return 0
	}
	return -1
}

// epochOrder is the order of the training examples in an epoch: a permutation that depends
// only on the seed and the epoch, so a resumed run sees the data in the same order.
func epochOrder(n int, seed int64, epoch int) []int32 {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)))
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// dynamicBinarized draws a binary copy of set for one epoch, from the seed and the epoch.
func dynamicBinarized(set *datasets.Set, seed int64, epoch int) *datasets.Set {
	out := *set
	out.Images = make([]float32, len(set.Images))
	datasets.DynamicBinarize(out.Images, set.Images, rand.New(rand.NewPCG(uint64(seed)^0x5eed, uint64(epoch))))
	return &out
}

// EvaluationSet returns set as the training loop evaluates it under the store's training
// parameters: binarized by the static threshold, or by one fixed dynamic draw, when ParamBinarize
// asks for it, so that metrics computed after training see the same test images as the history.
func EvaluationSet(store *model.Store, set *datasets.Set) (*datasets.Set, error) {
	p, err := ReadTrainingParams(store)
	if err != nil {
		return nil, err
	}
	return binarizeOnce(set, p), nil
}

// binarizeOnce applies the binarization to an evaluation set: the static threshold, or one
// fixed dynamic draw (epoch 0 of the seed), so that every epoch is evaluated on the same data.
func binarizeOnce(set *datasets.Set, p TrainingParams) *datasets.Set {
	switch p.Binarize {
	case "static":
		return set.Binarized(0.5)
	case "dynamic":
		return dynamicBinarized(set, p.Seed+1, 0)
	}
	return set
}
