package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/training"
)

// WeightsDir is the folder of a record (and of its code prior's, and of a recorded judge) that
// holds the model's final weights: a GoMLX checkpoint of the model's variables and parameters
// only, without the optimizer's state or the training loop's, so that a record can be opened,
// evaluated and drawn again (Open, RedrawFigures) but not resumed.
const WeightsDir = "weights"

// MaxWeightsFileBytes bounds each file of a record's weights, so that records stay small enough
// for git (the project keeps no tracked file over 5 MiB). Weights whose float32 values pass it
// are stored rounded to float16, half the bytes (WeightsRoundedTo); a model that passes it even
// so is refused. The MLP records keep 4.2 MiB each at float32; the TensorFlow tutorial's DCGAN at
// its full widths (mnist-tf-dcgan-radford, 2.5 million weights) keeps 4.8 MiB at float16.
const MaxWeightsFileBytes = 5 << 20

// WeightsRoundedTo is the manifest key of a record whose weights were rounded to fit
// MaxWeightsFileBytes, with the dtype they were rounded to. Record evaluates such a record again
// and draws its figures again from the rounded weights, so that its numbers and figures are what
// its weights give (VerifyRecord); its training history stays what the float32 model measured.
const WeightsRoundedTo = "weights_rounded_to"

// WeightsAveraged is the manifest key of a record whose weights include averages
// (training.ParamAveragingDecay): a GAN's generator is kept as the moving average of its weights
// that drew the run's samples, in place of its last step's weights, and the record keeps no
// other; its training history (the players' losses) is what the last weights measured.
const WeightsAveraged = "weights_averaged"

// writeWeights writes the model variables of store, with its parameters, to the checkpoint
// folder out, the averages in place of the weights they average (averagesInPlace): at float32, or rounded to float16 (rounded true) where a file would pass
// MaxWeightsFileBytes at float32.
func writeWeights(store *model.Store, out string) (rounded bool, err error) {
	if store, err = averagesInPlace(store); err != nil {
		return false, fmt.Errorf("weights %s: %w", out, err)
	}
	err = saveModelVariables(store, out)
	if errors.Is(err, errWeightsTooLarge) {
		var half *model.Store
		if half, err = roundedStore(store); err != nil {
			err = fmt.Errorf("weights %s: %w", out, err)
		} else if err = os.RemoveAll(out); err == nil {
			rounded, err = true, saveModelVariables(half, out)
		}
	}
	if err != nil {
		os.RemoveAll(out) // nothing half-written: a record is assembled in a temporary folder anyway
		return false, err
	}
	return rounded, nil
}

var errWeightsTooLarge = errors.New("weights too large")

// saveModelVariables saves the model variables of store (training.IsModelVariable) with its
// parameters as one checkpoint in out, and refuses, with errWeightsTooLarge, a file over
// MaxWeightsFileBytes.
func saveModelVariables(store *model.Store, out string) error {
	weights, err := checkpoint.Build(store).Dir(out).Done()
	if err != nil {
		return err
	}
	kept := 0
	for v := range store.IterVariables() {
		if !training.IsModelVariable(v) {
			weights.ExcludeVarsFromSaving(v)
		} else if v.HasValue() {
			kept++
		}
	}
	if kept == 0 {
		return fmt.Errorf("weights %s: the store holds no model variable with a value", out)
	}
	if err := weights.Save(); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if info, err := os.Stat(f); err == nil && info.Size() > MaxWeightsFileBytes {
			return fmt.Errorf("%w: weights file %s is %.1f MiB: expected at most %d MiB per file",
				errWeightsTooLarge, f, float64(info.Size())/(1<<20), MaxWeightsFileBytes>>20)
		}
	}
	return nil
}

// averagesInPlace returns store itself, or, where it samples from averaged weights
// (vaekit.ParamSampleAverages), a copy whose averages are put at the paths of the weights they
// average, the last weights and the mark left out: the model as a record keeps it, whose samples
// are the run's (SamplingScope reads the root) at the size of one generator.
func averagesInPlace(store *model.Store) (*model.Store, error) {
	if !vaekit.SamplesFromAverages(store) {
		return store, nil
	}
	out := model.NewStore()
	for path, value := range store.IterParams() {
		if !vaekit.IsAveragingParam(path) {
			out.SetParam(path, value)
		}
	}
	replaced := map[string]bool{}
	for v := range store.IterVariables() {
		if averaged, ok := vaekit.AveragedFrom(v.Path()); ok {
			replaced[averaged] = true
		}
	}
	if len(replaced) == 0 {
		return nil, fmt.Errorf("the store says it samples from averaged weights, and holds none under /%s", vaekit.AveragesScope)
	}
	for v := range store.IterVariables() {
		if !v.HasValue() || replaced[v.Path()] {
			continue
		}
		path := v.Path()
		if averaged, ok := vaekit.AveragedFrom(path); ok {
			path = averaged
		}
		if _, err := out.CreateVariable(path, v.MustValue()); err != nil {
			return nil, err
		}
		out.GetVariable(path).SetTrainable(v.Trainable)
	}
	return out, nil
}

// roundedStore is a copy of store, parameters and variables, with its float32 model variables
// but scalars rounded to float16 (to nearest even). A weight beyond float16's range (65504), or not a number,
// is refused with its variable's name rather than stored as infinity.
func roundedStore(store *model.Store) (*model.Store, error) {
	out := model.NewStore()
	for path, value := range store.IterParams() {
		out.SetParam(path, value)
	}
	for v := range store.IterVariables() {
		if !v.HasValue() {
			continue
		}
		value := v.MustValue()
		// Scalars stay float32: they cost nothing, and a count kept beside the weights (an
		// optimizer's step under a player's scope) passes float16's exact integers at 2048.
		if training.IsModelVariable(v) && value.DType() == dtypes.Float32 && value.Shape().Size() > 1 {
			var half []float16.Float16
			var outside error
			tensors.MustConstFlatData(value, func(flat []float32) {
				half = make([]float16.Float16, len(flat))
				for i, x := range flat {
					if a := math.Abs(float64(x)); !(a <= 65504) { // NaN too
						outside = fmt.Errorf("variable %s holds %g: expected weights within float16's range (65504) to round them", v.Path(), x)
						return
					}
					half[i] = float16.FromFloat32(x)
				}
			})
			if outside != nil {
				return nil, outside
			}
			value = tensors.FromFlatDataAndDimensions(half, value.Shape().Dimensions...)
		}
		if _, err := out.CreateVariable(v.Path(), value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// widening hands a model the variables of a checkpoint as its loader does, with float16 ones
// (weights rounded by writeWeights) widened back to the float32 every vaekit model computes in.
type widening struct{ model.Loader }

func (w widening) LoadVariable(store *model.Store, path string) (*tensors.Tensor, bool) {
	value, found := w.Loader.LoadVariable(store, path)
	if !found || value == nil || value.DType() != dtypes.Float16 {
		return value, found
	}
	var wide []float32
	tensors.MustConstFlatData(value, func(flat []float16.Float16) {
		wide = make([]float32, len(flat))
		for i, x := range flat {
			wide[i] = x.Float32()
		}
	})
	return tensors.FromFlatDataAndDimensions(wide, value.Shape().Dimensions...), true
}

// runStore reads the model of a run directory: from its newest checkpoint, or, for a record
// (which keeps no checkpoint), from its weights.
func runStore(dir string) (*model.Store, error) {
	ckpt := filepath.Join(dir, training.CheckpointDir)
	if _, err := os.Stat(ckpt); err == nil {
		return loadStore(ckpt)
	}
	weights := filepath.Join(dir, WeightsDir)
	if _, err := os.Stat(weights); err != nil {
		return nil, fmt.Errorf("%s has neither a checkpoint (%s/) nor recorded weights (%s/)", dir, training.CheckpointDir, WeightsDir)
	}
	return loadStore(weights)
}

// Verification is what VerifyRecord found: how many of a record's evaluation numbers (every
// number of metrics.json's extras, per-class fidelity, posterior diagnostics and sample
// distances) and figures its weights gave again, and which they did not.
type Verification struct {
	Record string
	// Numbers is how many recorded evaluation numbers were recomputed; MaxRelative the largest
	// relative difference among them; Differing names those beyond VerifyTolerance.
	Numbers     int
	MaxRelative float64
	Differing   []string
	// Figures is how many recorded PNG figures were drawn again; FiguresDiffering names those
	// whose bytes differ (drawn in another style: `experiments record -redraw` updates them).
	Figures          int
	FiguresDiffering []string
}

// VerifyTolerance is the relative difference VerifyRecord accepts between a recorded number and
// the one its weights give: 0 measured on the machine that recorded them (bit for bit), room
// here for another processor's kernels.
const VerifyTolerance = 1e-4

// evaluationNumbers flattens what an evaluation writes into metrics.json (the extras, the
// per-class fidelity, the posterior diagnostics and the sample distances with their spreads,
// floors and classes) to its numbers by JSON path, "sample_distances.per_class.3.frechet.mean".
func evaluationNumbers(m *Metrics) map[string]float64 {
	out := map[string]float64{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case float64:
			out[path] = v
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s.%d", path, i), e)
			}
		}
	}
	for name, part := range map[string]any{"extra": m.Extra, "class_fidelity_per_class": m.ClassFidelity,
		"posterior": m.Posterior, "sample_distances": m.SampleDistances} {
		data, err := json.Marshal(part)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(data, &v) == nil {
			walk(name, v)
		}
	}
	return out
}

// OK says whether every number and figure came back.
func (v Verification) OK() bool { return len(v.Differing) == 0 && len(v.FiguresDiffering) == 0 }

// VerifyRecord opens a record from its weights (a finished run from its checkpoint), evaluates it again
// (Trained.Evaluate; the test NLL only when opts.MaxNLLSamples > 0, and only where the record
// has an estimate with that many samples) and draws its figures into a temporary folder, and
// compares both with what the record holds. It writes nothing into the record.
func VerifyRecord(ctx context.Context, dir string, opts Options) (Verification, error) {
	v := Verification{Record: dir}
	recorded, err := ReadFinished(dir)
	if err != nil {
		return v, err
	}
	t, err := OpenDir(dir, opts)
	if err != nil {
		return v, err
	}
	// An NLL asked for is compared only with the record's estimate at the same k: refuse another k
	// before minutes of work.
	if k, key := t.nllSamples(opts); k > 0 && opts.MaxNLLSamples > 0 {
		if _, ok := recorded.Metrics.Extra[key]; !ok {
			return v, fmt.Errorf("verify %s: -nll %d estimates %s, which the record does not have: expected the k of its estimate (%s)",
				dir, opts.MaxNLLSamples, key, strings.Join(slices.Collect(nllKeys(recorded.Metrics.Extra)), ", "))
		}
	}
	got, err := t.Evaluate(ctx, opts)
	if err != nil {
		return v, fmt.Errorf("verify %s: %w", dir, err)
	}
	want, have := evaluationNumbers(&recorded.Metrics), evaluationNumbers(got)
	for _, key := range slices.Sorted(maps.Keys(want)) {
		value, ok := have[key]
		if !ok || key == "extra.code_prior_test_nll_nats" {
			continue // an NLL not estimated again; the prior's NLL is read from its history, not computed
		}
		want := want[key]
		rel := math.Abs(value-want) / math.Max(math.Abs(want), 1e-12)
		v.Numbers++
		v.MaxRelative = max(v.MaxRelative, rel)
		if rel > VerifyTolerance {
			v.Differing = append(v.Differing, fmt.Sprintf("%s: recorded %g, the weights give %g", key, want, value))
		}
	}
	tmp, err := os.MkdirTemp("", "vaekit-verify-")
	if err != nil {
		return v, err
	}
	defer os.RemoveAll(tmp)
	drawn, err := t.FiguresIn(tmp)
	if err != nil {
		return v, fmt.Errorf("verify %s: %w", dir, err)
	}
	for _, f := range PNGs(drawn) {
		want, err := os.ReadFile(filepath.Join(dir, FiguresDir, filepath.Base(f)))
		if err != nil {
			continue // a figure the record does not keep (drawn by a newer vaekit)
		}
		v.Figures++
		if data, err := os.ReadFile(f); err != nil || !bytes.Equal(data, want) {
			v.FiguresDiffering = append(v.FiguresDiffering, filepath.Base(f))
		}
	}
	return v, nil
}

// Reevaluate evaluates a record again from its weights (a finished run from its checkpoint), as VerifyRecord
// does, and writes the result into its metrics.json: every evaluation number and table computed
// now replaces the recorded one (a measure added since the run was trained, such as the
// per-class sample distances, is filled in), while the training history, times and any test NLL
// not estimated again (opts.MaxNLLSamples) stay. The manifest names the build that evaluated it
// (evaluated_again_by, evaluated_again_at). Each file is replaced whole.
func Reevaluate(ctx context.Context, dir string, opts Options) error {
	recorded, err := ReadFinished(dir)
	if err != nil {
		return err
	}
	t, err := OpenDir(dir, opts)
	if err != nil {
		return err
	}
	got, err := t.Evaluate(ctx, opts)
	if err != nil {
		return fmt.Errorf("reevaluate %s: %w", dir, err)
	}
	m := recorded.Metrics
	if m.Extra == nil {
		m.Extra = map[string]float64{}
	}
	maps.Copy(m.Extra, got.Extra)
	if got.NLLBackend != "" {
		m.NLLBackend = got.NLLBackend
	}
	if got.ClassFidelity != nil {
		m.ClassFidelity = got.ClassFidelity
	}
	if got.Posterior != nil {
		m.Posterior = got.Posterior
	}
	if got.SampleDistances != nil {
		m.SampleDistances = got.SampleDistances
	}
	if err := writeJSON(filepath.Join(dir, MetricsFile), m); err != nil {
		return err
	}
	return stampManifest(dir, "evaluated_again")
}

// stampManifest names, in the manifest of the run or record in dir, the build of this binary
// and the time as what last did something to it after its training: keys <what>_by and
// <what>_at (figures_redrawn, evaluated_again).
func stampManifest(dir, what string) error {
	facts := buildFactsOfThisBinary()
	by := facts["git_commit"]
	if by == nil {
		by = facts["git_head_at_finish"]
	}
	return setManifest(dir, map[string]any{what + "_by": by, what + "_at": time.Now().UTC().Format(time.RFC3339)})
}

// setManifest sets keys of the manifest of the run or record in dir, replacing the file whole.
func setManifest(dir string, keys map[string]any) error {
	manifest := map[string]any{}
	path := filepath.Join(dir, ManifestFile)
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &manifest); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	maps.Copy(manifest, keys)
	return writeJSON(path, manifest)
}

// OpenRecord opens the committed record of the named experiment (FindRecord) from its weights:
// a model to sample, draw or evaluate without training it, the one behind the numbers of
// docs/RESULTS.md. A record written before records kept weights is refused with its name.
func OpenRecord(name string, opts Options) (*Trained, error) {
	rec, err := FindRecord(name)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(rec, WeightsDir)); err != nil {
		return nil, fmt.Errorf("record %s keeps no weights (recorded before records kept them): train it, or re-run it with `experiments reproduce %s`", rec, name)
	}
	return OpenDir(rec, opts)
}

// FindRecord returns the folder of the committed record of the named experiment: DefaultRecordsDir
// of the repository, found from the working directory or any folder above it (as from a
// notebook's folder). ReadFinished reads its numbers and lists its figures.
func FindRecord(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		rec := filepath.Join(dir, DefaultRecordsDir, name)
		if _, err := os.Stat(filepath.Join(rec, MetricsFile)); err == nil {
			return rec, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no record %q in %s of this folder or any above it", name, DefaultRecordsDir)
		}
		dir = parent
	}
}

// nllKeys are the test NLL estimates among a record's extras.
func nllKeys(extra map[string]float64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			if strings.HasPrefix(k, "test_nll_iw_k") && !yield(k) {
				return
			}
		}
	}
}
