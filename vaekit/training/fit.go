package training

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// FitOptions are what Fit needs besides the store's parameters.
type FitOptions struct {
	// Dir holds the checkpoint (Dir/checkpoint) and the history (Dir/history.csv). If it has a
	// checkpoint, Fit resumes from it. Empty: nothing is saved.
	Dir string
	// Progress receives a progress bar on a terminal, elsewhere a line per tenth of a long epoch
	// and one per epoch; nil: silent.
	Progress io.Writer
	// TestSeen says that the test set's images are in the training set too (the history's
	// TestSeen): the epoch lines then do not call them test images.
	TestSeen bool
	// OnEpoch, if set, is called after every epoch has been evaluated and saved.
	OnEpoch func(epoch int, h *history.History) error
	// OnResume, if set, is called when Fit starts from a checkpoint saved at the end of an
	// epoch (> 0), before it trains on (or returns, when that was the last epoch), with the
	// weights OnEpoch saw for it: the work OnEpoch does after the save, which a kill may have
	// cut short, can be finished there (the variables load from the checkpoint as its graphs
	// create them, as in a graph after Fit). A checkpoint saved within an epoch does not call it.
	OnResume func(epoch int, h *history.History) error
	// MaxSteps, if > 0, stops each epoch after that many steps (quick mode for tests and CI).
	MaxSteps int
	// CheckpointInterval and CheckpointSteps, if > 0, also save a checkpoint within an epoch,
	// when that much time or that many steps have passed since the last one; a run killed in
	// the middle of an epoch then resumes from its last step instead of from the epoch's start,
	// with the same result. Without a Dir they do nothing.
	CheckpointInterval time.Duration
	CheckpointSteps    int
	// Trace, if set, is told of every phase as it begins: "resume N" (the steps done so far,
	// from the checkpoint: 0 for a new run), "step N", "checkpoint N" and "saved N" around a
	// checkpoint write, "batchnorm E", "evaluate E" and "history E" (N counts steps from the
	// run's start, E epochs). It is the run's own record of how far it got (the kill test reads
	// it); it must be quick.
	Trace func(event string)
}

// trace tells opts.Trace of an event.
func (r *fitRun) trace(format string, args ...any) {
	if r.opts.Trace != nil {
		r.opts.Trace(fmt.Sprintf(format, args...))
	}
}

// done is the number of steps from the run's start to step of epoch (1-based).
func (r *fitRun) done(epoch, step int) int { return (epoch-1)*r.stepsPerEpoch + step }

// ErrNonFinite is wrapped by the error Fit returns when a loss term becomes NaN or infinite.
var ErrNonFinite = errors.New("loss is not finite")

// Fit trains for the number of epochs in ParamEpochs, evaluating every term on the training
// and test sets after each epoch and saving the checkpoint and history. A run interrupted
// between epochs and started again with the same Dir continues where it stopped: the
// checkpoint holds the weights, the optimizer state, the random state and the epoch count, and
// the order of the data in each epoch is a function of the random seed and the epoch number.
func (t *Trainer) Fit(ctx context.Context, trainSet, testSet *datasets.Set, opts FitOptions) (*history.History, error) {
	r := &fitRun{t: t, opts: opts, hist: &history.History{}, p: t.params, lastSave: time.Now()}
	t.skipped = 0
	t.Progress = opts.Progress
	if opts.Dir != "" {
		var err error
		if r.ckpt, r.hist, err = t.openCheckpoint(opts.Dir, opts.Progress); err != nil {
			return nil, err
		}
	}
	// A loss that estimates the aggregate posterior weighs its batch by the training images.
	if paramtable.Reads(t.model.Name(), vaekit.ParamTrainingImages) && !hasParam(t.store, vaekit.ParamTrainingImages) {
		t.store.SetParam(vaekit.ParamTrainingImages, trainSet.N)
	}
	r.stepsPerEpoch = trainSet.N / r.p.BatchSize
	if r.stepsPerEpoch == 0 {
		return nil, fmt.Errorf("parameter %q = %d: larger than the %d training images", ParamBatchSize, r.p.BatchSize, trainSet.N)
	}
	if opts.MaxSteps > 0 {
		r.stepsPerEpoch = min(r.stepsPerEpoch, opts.MaxSteps)
	}
	testSet = binarizeOnce(testSet, r.p)
	staticTrain := trainSet
	if r.p.Binarize == "static" {
		staticTrain = trainSet.Binarized(0.5)
	}
	start := t.CompletedEpochs()
	r.hist.Truncate(start)
	r.hist.TestSeen = opts.TestSeen
	// A checkpoint taken within an epoch resumes it at its step, with the term sums of the steps
	// before; without the sums the epoch starts over.
	resumeStep, resumeSums := r.resumeStep(), []float64(nil)
	if resumeStep > 0 {
		if resumeSums = t.savedSums(); len(resumeSums) == 0 {
			resumeStep, resumeSums = 0, nil
		}
	}
	r.trace("resume %d", r.done(start+1, resumeStep))
	if opts.OnResume != nil && start > 0 && r.savedStep() == 0 {
		if err := opts.OnResume(start, r.hist); err != nil {
			return r.hist, err
		}
	}
	for epoch := start + 1; epoch <= r.p.Epochs; epoch++ {
		epochSet := staticTrain
		if r.p.Binarize == "dynamic" {
			epochSet = dynamicBinarized(trainSet, r.p.Seed, epoch)
		}
		first, sums := 0, []float64(nil)
		if epoch == start+1 {
			first, sums = resumeStep, resumeSums
		}
		if err := t.scheduleLearningRate(epoch); err != nil {
			return r.hist, err
		}
		bar := NewPhase(opts.Progress, fmt.Sprintf("epoch %d/%d", epoch, r.p.Epochs), r.stepsPerEpoch-first, "steps")
		order := epochOrder(epochSet.N, r.p.Seed, epoch)
		means, err := r.trainEpoch(ctx, epoch, epochSet, order, first, sums, bar)
		if err != nil {
			return r.hist, err
		}
		if err := r.finishEpoch(ctx, epoch, epochSet, order, testSet, means, bar); err != nil {
			return r.hist, err
		}
	}
	return r.hist, nil
}

// scheduleLearningRate sets the optimizer's learning rate for epoch (ParamLearningRateSchedule),
// every player's for an adversarial model. The optimizer keeps it in a variable that its first
// training graph creates with the base rate, which is the first epoch's under every schedule, so
// only existing variables are set.
func (t *Trainer) scheduleLearningRate(epoch int) error {
	if t.params.Schedule == "constant" {
		return nil
	}
	return setLearningRate(t.store, ScheduledLearningRate(t.params.Schedule, t.params.LearningRate, epoch))
}

// fitRun is the state of one Fit: where it saves, the history so far, and when it last saved.
type fitRun struct {
	t                       *Trainer
	opts                    FitOptions
	ckpt                    *checkpoint.Handler
	hist                    *history.History
	p                       TrainingParams
	stepsPerEpoch           int
	lastSave                time.Time
	stepsSinceSave, skipped int // skipped: batches skipped in the epoch in progress
}

// resumeStep is the number of steps of the next epoch that a checkpoint taken within it has
// done (0: none, or the steps per epoch changed with MaxSteps and the epoch starts over).
func (r *fitRun) resumeStep() int {
	if step := r.savedStep(); step < r.stepsPerEpoch {
		return step
	}
	return 0
}

// savedStep is the number of steps of the next epoch done when the checkpoint was saved (0 for
// one saved at an epoch's end).
func (r *fitRun) savedStep() int {
	if r.ckpt == nil {
		return 0
	}
	v, err := r.t.stepVar().Value()
	if err != nil {
		return 0
	}
	return int(tensors.ToScalar[int64](v))
}

// trainEpoch runs the steps first.. of an epoch, with sums the term sums of the steps before
// first (nil if none), and returns the means of the terms over the steps kept.
func (r *fitRun) trainEpoch(ctx context.Context, epoch int, set *datasets.Set, order []int32, first int, sums []float64, bar *Phase) ([]float64, error) {
	r.skipped = 0
	b := newBatcher(set, r.p.BatchSize)
	batches := b.prefetch(ctx, order[first*r.p.BatchSize:], r.stepsPerEpoch-first)
	for step := first; step < r.stepsPerEpoch; step++ {
		batch, ok := <-batches
		if !ok {
			return nil, ctx.Err()
		}
		r.trace("step %d", r.done(epoch, step))
		means, err := r.step(epoch, step, batch)
		if err != nil {
			return nil, err
		}
		if means == nil {
			continue // skipped
		}
		if sums == nil {
			sums = make([]float64, len(means)+1) // the term sums, then the number of steps summed
		}
		for i := range means {
			sums[i] += means[i]
		}
		sums[len(means)]++
		bar.Step(fmt.Sprintf("loss %.4g", means[0]))
		r.stepsSinceSave++
		due := (r.opts.CheckpointSteps > 0 && r.stepsSinceSave >= r.opts.CheckpointSteps) ||
			(r.opts.CheckpointInterval > 0 && time.Since(r.lastSave) >= r.opts.CheckpointInterval)
		if r.ckpt != nil && due && step+1 < r.stepsPerEpoch { // the epoch's end saves anyway
			if err := r.t.saveProgress(step+1, sums); err != nil {
				return nil, err
			}
			if err := r.save(r.done(epoch, step+1)); err != nil {
				return nil, err
			}
		}
	}
	if sums == nil {
		return nil, fmt.Errorf("%w: every batch of epoch %d was skipped", ErrNonFinite, epoch)
	}
	n := len(sums) - 1
	means := make([]float64, n)
	for i := range means {
		means[i] = sums[i] / sums[n]
	}
	return means, nil
}

// step trains on one batch and returns the term means, or nil when a non-finite term made
// it skip the batch (ParamOnNaN "skip": the step is undone).
func (r *fitRun) step(epoch, step int, batch batch) ([]float64, error) {
	t, p := r.t, r.p
	var before map[*model.Variable]*tensors.Tensor
	if p.OnNaN == "skip" && t.store.NumVariables() > 0 {
		var err error
		if before, err = t.snapshot(); err != nil {
			return nil, err
		}
	}
	means, err := t.TrainStep(batch.images, batch.labels)
	Release(batch.images, batch.labels)
	if err != nil {
		return nil, fmt.Errorf("epoch %d step %d: %w", epoch, step+1, err)
	}
	i := firstNonFinite(means)
	if i < 0 {
		return means, nil
	}
	if before == nil {
		return nil, fmt.Errorf("%w: term %q = %g at epoch %d, step %d; the last good checkpoint is kept: lower %q (now %g) or warm up the KL weight",
			ErrNonFinite, t.terms[i], means[i], epoch, step+1, ParamLearningRate, p.LearningRate)
	}
	if v := unsaved(t.store, before); v != "" {
		// The step created or loaded variables (the first step of a run, or of its resumption:
		// a checkpoint loads a variable when a graph first asks for it): their values before it
		// are not in the copy, so the step cannot be undone.
		return nil, fmt.Errorf("%w: term %q = %g at epoch %d, step %d, the first of this process, which made variable %s "+
			"(no copy to undo it from); the last good checkpoint is kept: lower %q (now %g) or warm up the KL weight",
			ErrNonFinite, t.terms[i], means[i], epoch, step+1, v, ParamLearningRate, p.LearningRate)
	}
	if err := restore(before); err != nil {
		return nil, err
	}
	t.skipped++
	r.skipped++
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "epoch %d step %d: term %q = %g: batch skipped (%q = \"skip\")\n", epoch, step+1, t.terms[i], means[i], ParamOnNaN)
	}
	if 2*r.skipped > r.stepsPerEpoch {
		return nil, fmt.Errorf("%w: %d of the %d batches of epoch %d skipped; the last good checkpoint is kept: lower %q (now %g)",
			ErrNonFinite, r.skipped, r.stepsPerEpoch, epoch, ParamLearningRate, p.LearningRate)
	}
	return nil, nil
}

// finishEpoch estimates the BatchNorm averages, evaluates the test set, records the epoch in
// the history and saves it with the checkpoint.
func (r *fitRun) finishEpoch(ctx context.Context, epoch int, set *datasets.Set, order []int32, testSet *datasets.Set, means []float64, bar *Phase) error {
	t := r.t
	if r.hist.Terms == nil {
		r.hist.Terms = t.terms
	}
	// Training normalized with each batch's statistics; evaluation, sampling and the
	// checkpoint use the BatchNorm averages, estimated afresh with the epoch's final weights.
	r.trace("batchnorm %d", epoch)
	if err := t.EstimateBatchNorm(ctx, set, order, r.p.BatchNormBatches); err != nil {
		return fmt.Errorf("epoch %d: estimating the BatchNorm averages: %w", epoch, err)
	}
	if err := t.estimateAveragedBatchNorm(ctx, epoch, r.stepsPerEpoch); err != nil {
		return fmt.Errorf("epoch %d: estimating the averaged generator's BatchNorm averages: %w", epoch, err)
	}
	r.trace("evaluate %d", epoch)
	// Named as the epoch line names it: a test split trained on is not called "test".
	testMeans, err := t.evaluate(testSet, 0, r.hist.SplitTitle("test"))
	if err != nil {
		return err
	}
	r.hist.Rows = append(r.hist.Rows, history.Row{Epoch: epoch, Split: "train", Values: means},
		history.Row{Epoch: epoch, Split: "test", Values: testMeans})
	bar.End(epochSummary(r.hist))
	if err := t.epochVar().SetValue(tensors.FromScalar(int64(epoch))); err != nil {
		return err
	}
	if err := t.saveProgress(0, nil); err != nil {
		return err
	}
	if r.ckpt != nil {
		// History first: if the process dies before the checkpoint is saved, the resumed run
		// drops the extra rows and repeats the epoch.
		r.trace("history %d", epoch)
		if err := r.hist.WriteFile(filepath.Join(r.opts.Dir, history.File)); err != nil {
			return err
		}
		if err := r.save(r.done(epoch+1, 0)); err != nil {
			return err
		}
	}
	if r.opts.OnEpoch != nil {
		if err := r.opts.OnEpoch(epoch, r.hist); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// save writes the checkpoint of the run after done steps.
func (r *fitRun) save(done int) error {
	r.trace("checkpoint %d", done)
	r.t.recordFrozen()
	if err := r.ckpt.Save(); err != nil {
		return fmt.Errorf("saving checkpoint in %s: %w", r.opts.Dir, err)
	}
	r.trace("saved %d", done)
	r.lastSave, r.stepsSinceSave = time.Now(), 0
	return nil
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

// unsaved is the path of a variable of the store that holds a value the snapshot lacks, or "".
func unsaved(store *model.Store, snapshot map[*model.Variable]*tensors.Tensor) string {
	for v := range store.IterVariables() {
		if _, ok := snapshot[v]; !ok && v.HasValue() {
			return v.Path()
		}
	}
	return ""
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

// hasParam says whether the store's root scope sets a parameter.
func hasParam(store *model.Store, name string) bool {
	_, ok := store.RootScope().GetParam(name)
	return ok
}
