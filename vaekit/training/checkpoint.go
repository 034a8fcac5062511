package training

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
)

// The files Fit writes into FitOptions.Dir.
const (
	// CheckpointDir holds the checkpoints: weights, optimizer and random state, the epoch and
	// step counts.
	CheckpointDir = "checkpoint"
)

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
func (t *Trainer) epochVar() *model.Variable { return EpochCounter(t.store) }

// EpochCounter returns the store's count of completed epochs (an int64 scalar, checkpointed
// with the weights), loading it from an attached checkpoint or creating it at 0. A graph that
// reads it (a KL schedule by epochs) sees the epochs completed before the current one.
func EpochCounter(store *model.Store) *model.Variable {
	if v := store.GetVariable(epochVariable); v != nil {
		return v.SetTrainable(false) // a variable read back from a checkpoint comes back trainable
	}
	return store.RootScope().In("vaekit").VariableWithValue("epoch", int64(0)).SetTrainable(false)
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
func (t *Trainer) openCheckpoint(dir string, log io.Writer) (*checkpoint.Handler, *history.History, error) {
	ckptDir := filepath.Join(dir, CheckpointDir)
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
	// The averages (ParamAveragingDecay) mean what the run's decay made them: another one would
	// continue them with other weights, or stop them and leave samples drawn from stale ones.
	if saved := vaekit.Param[float64](t.store.RootScope(), ParamAveragingDecay); saved != p.AveragingDecay {
		return nil, nil, fmt.Errorf("run directory %s: its checkpoint was trained with %s = %g: expected the same, not %g",
			dir, ParamAveragingDecay, saved, p.AveragingDecay)
	}
	t.store.SetParams(map[string]any{ParamOptimizer: p.Optimizer, ParamLearningRate: p.LearningRate,
		ParamBatchSize: p.BatchSize, ParamEpochs: p.Epochs, ParamSeed: p.Seed, ParamBinarize: p.Binarize})
	// The other resumable parameters are written only where the checkpoint set another value: a
	// run that never set one trained with its default, and its params.json stays without it.
	for name, used := range map[string]any{ParamOnNaN: p.OnNaN, ParamAdamBeta1: p.AdamBeta1, ParamAdamEpsilon: p.AdamEpsilon,
		ParamLearningRateSchedule: p.Schedule, ParamBatchNormBatches: p.BatchNormBatches} {
		if saved, ok := t.store.GetParam(name); ok && !sameJSON(saved, used) {
			t.store.SetParam(name, used)
		}
	}
	hist := &history.History{}
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
		// GoMLX's optimizers keep the learning rate in a variable (one per player of an
		// adversarial model), which the checkpoint restores: set it to this call's learning rate.
		// The schedule, if any, sets the epoch's rate before the epoch starts.
		for _, v := range learningRateVariables(t.store) {
			v.SetTrainable(false)
		}
		if err := setLearningRate(t.store, p.LearningRate); err != nil {
			return nil, nil, err
		}
		if got := model.GetParamOr(t.store.RootScope(), vaekit.ParamModel, t.model.Name()); got != t.model.Name() {
			return nil, nil, fmt.Errorf("checkpoint in %s belongs to model %q, not %q: use another run directory", ckptDir, got, t.model.Name())
		}
		// Resuming with another architecture or loss would silently train the checkpoint's
		// recipe under the new one's name (the checkpoint's parameters win when it loads).
		if changes := RecipeChanges(maps.Collect(t.store.IterParams()), requested); len(changes) > 0 {
			return nil, nil, fmt.Errorf("checkpoint in %s was trained with another recipe (%s): start it over, or use another run directory", ckptDir, strings.Join(changes, "; "))
		}
		read, err := history.Read(filepath.Join(dir, history.File))
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

// internalScopes hold the training loop's and the optimizers' variables, which are not part of
// the model (Summary leaves them out, with the optimizers' global step and the variables whose
// name starts with "#", GoMLX's own state such as the random number generator's).
var internalScopes = []string{"/vaekit/", "/" + optimizer.Scope + "/", "/" + optimizer.AdamDefaultScope + "/", "/" + kerasRMSpropScope + "/"}

// IsModelVariable says whether a store variable belongs to the model (its weights and frozen
// statistics), not to the training loop, the optimizers or GoMLX's own state.
func IsModelVariable(v *model.Variable) bool {
	return !strings.HasPrefix(v.Name(), "#") && v.Path() != "/"+optimizer.GlobalStepVariableName &&
		!slices.ContainsFunc(internalScopes, func(s string) bool { return strings.HasPrefix(v.Path(), s) })
}

// sameJSON reports whether a and b have the same JSON form (a value read back from JSON, such
// as float64 for an int, equals the Go value it was written from).
func sameJSON(a, b any) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}
