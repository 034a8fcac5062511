package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
)

// Options change how an experiment runs, not what it is.
type Options struct {
	// RunsDir is the parent of the run directories (default "runs").
	RunsDir string
	// Epochs, if > 0, replaces the experiment's number of epochs.
	Epochs int
	// MaxSteps, if > 0, caps the steps per epoch; TrainSubset and TestSubset, if > 0, cap the
	// number of images (quick mode).
	MaxSteps, TrainSubset, TestSubset int
	// Overrides are extra store parameters, applied last.
	Overrides map[string]any
	// Fresh deletes an existing run directory first instead of resuming it.
	Fresh bool
	// Data says where to find the data sets.
	Data datasets.Options
	// Log receives progress and the paths written; nil: os.Stderr.
	Log io.Writer
	// LiveLossCurves, in a GoNB notebook, redraws the loss curves in the cell's output after
	// every epoch (OptionsFromEnv sets it there).
	LiveLossCurves bool
	// CheckpointSteps, if > 0, also checkpoints every that many steps within an epoch (besides
	// every CheckpointInterval, one minute); tests that kill runs use it.
	CheckpointSteps int
	// MaxNLLSamples, if > 0, caps the importance samples of the test NLL estimate
	// (Experiment.NLLSamples): quick mode and notebooks use few.
	MaxNLLSamples int
	// SamplesPerClass is the number of samples per class drawn to measure the class-conditional
	// fidelity of a conditional run (0: 100).
	SamplesPerClass int
	// CheckOnly makes Run check what it can before any work (the parameters, the backend, that
	// the runs folder can be written) and return without reading data or writing anything.
	CheckOnly bool
}

// QuickOptions is the quick mode used by tests and CI: two epochs of a few steps on small subsets.
func QuickOptions(runsDir string) Options {
	return Options{RunsDir: runsDir, Epochs: 2, MaxSteps: 3, TrainSubset: 512, TestSubset: 256, SamplesPerClass: 10, MaxNLLSamples: 4}
}

// Result is what a run produced.
type Result struct {
	Dir     string
	History *vaekit.History
	Figures []string
	Backend string
}

// Metrics is written to metrics.json.
type Metrics struct {
	Experiment string             `json:"experiment"`
	Epochs     int                `json:"epochs"`
	Test       map[string]float64 `json:"test"`
	Train      map[string]float64 `json:"train"`
	Units      string             `json:"units"`
	// SecondsPerEpoch is the training loop's time per epoch (a code prior trained after it and
	// the evaluation are in WallSeconds only).
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	WallSeconds     float64 `json:"wall_seconds"`
	// WallEstimated: some epochs were trained by an invocation that was interrupted before it
	// wrote metrics.json; their time is counted at the seconds per epoch of a later one.
	WallEstimated bool `json:"wall_seconds_estimated,omitempty"`
	// WallUnknown: every epoch was trained by invocations that were interrupted before they
	// wrote metrics.json, so no seconds per epoch are known; WallSeconds is only the time of
	// the invocations that finished (evaluation, figures).
	WallUnknown bool   `json:"wall_seconds_unknown,omitempty"`
	Backend     string `json:"backend"`
	// Extra holds family-specific test figures, each name ending with its unit.
	Extra map[string]float64 `json:"extra,omitempty"`
	// ClassFidelity is, for a conditional run, the class-conditional fidelity of each class
	// (the share of its samples the classifier assigns to it), in class order.
	ClassFidelity []float64 `json:"class_fidelity_per_class,omitempty"`
}

// Run trains (or resumes) an experiment and writes its run directory: for a VQ-VAE with a code
// prior, the prior too; for a conditional run, the data set's classifier too (in its own run
// directory under the same RunsDir), to score the samples.
func Run(ctx context.Context, exp Experiment, opts Options) (*Result, error) {
	t, err := run(ctx, exp, opts)
	if t == nil {
		return nil, err
	}
	return t.result, err
}

// run is Run returning the trained run.
func run(ctx context.Context, exp Experiment, opts Options) (*Trained, error) {
	log := opts.Log
	if log == nil {
		log = os.Stderr
		opts.Log = log
	}
	m, err := ModelByName(exp.Model)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	checked, err := preflight(exp, m.Name(), opts)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	backend, backendDesc, err := vaekit.NewBackendFor(workload(m, checked))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "backend: %s\n", backendDesc)
	if opts.CheckOnly {
		return nil, checkWritable(opts.RunsDir)
	}
	if opts.RunsDir == "" {
		opts.RunsDir = "runs"
	}
	dir, unlock, err := lockRunDir(filepath.Join(opts.RunsDir, exp.Name), log)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if opts.Fresh {
		if err := removeAllBut(dir, ".lock"); err != nil {
			return nil, err
		}
	}
	prev := readMetrics(dir)
	if err := os.MkdirAll(filepath.Join(dir, "figures"), 0o755); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	trainSet, testSet, err := loadData(exp, opts)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	params := maps.Clone(map[string]any(checked))
	params[vaekit.ParamImageShape] = []int{trainSet.Height, trainSet.Width, 1}
	store.SetParams(params)
	trainer, err := vaekit.NewTrainer(backend, store, m)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	recipe := storeParams(store)
	if err := checkRecipe(dir, recipe); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	if err := writeJSON(filepath.Join(dir, "params.json"), recipe); err != nil {
		return nil, err
	}
	start := time.Now()
	fmt.Fprintf(log, "run %s: %s, %d training and %d test images, into %s\n", exp.Name, exp.Description, trainSet.N, testSet.N, dir)
	fitOpts := fitOptions(dir, log, opts)
	var live *liveCurves
	if opts.LiveLossCurves && gonbui.IsNotebook {
		if live, err = newLiveCurves(exp.Name); err != nil {
			return nil, err
		}
		fitOpts.OnEpoch = live.update
	}
	// The epochs this invocation trains (a resumed run trained the others before): the seconds
	// per epoch are this invocation's time over them.
	trainedNow := 0
	onEpoch := fitOpts.OnEpoch
	fitOpts.OnEpoch = func(epoch int, h *vaekit.History) error {
		trainedNow++
		if onEpoch != nil {
			return onEpoch(epoch, h)
		}
		return nil
	}
	hist, err := trainer.Fit(ctx, trainSet, testSet, fitOpts)
	fitSeconds := time.Since(start).Seconds()
	if live != nil && hist != nil {
		live.finish(hist)
	}
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	if trainedNow == 0 {
		fmt.Fprintf(log, "run %s: already trained (%d epochs), loaded from %s; -fresh (Options.Fresh) trains it again\n",
			exp.Name, trainer.CompletedEpochs(), filepath.Join(dir, "checkpoint"))
	}
	t := &Trained{Dir: dir, Experiment: exp, Backend: backend, Store: store, Model: m, History: hist, Test: testSet,
		result: &Result{Dir: dir, History: hist, Backend: backendDesc}}
	if exp.CodePrior != nil {
		if err := t.fitCodePrior(ctx, trainSet, opts, log); err != nil {
			return t, fmt.Errorf("experiment %s: %w", exp.Name, err)
		}
	}
	wall := time.Since(start).Seconds()
	metrics := newMetrics(exp, hist, backendDesc, wall, fitSeconds, trainedNow, prev)
	metrics.Units = units(m, store)
	if err := t.evaluate(ctx, opts, &metrics); err != nil {
		return t, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	if err := writeJSON(filepath.Join(dir, "metrics.json"), metrics); err != nil {
		return t, err
	}
	if err := writeJSON(filepath.Join(dir, "manifest.json"), manifest(exp, trainer, backendDesc, wall)); err != nil {
		return t, err
	}
	err = vaekit.Timed(log, "drawing the figures", func() (err error) {
		t.result.Figures, err = t.Figures()
		return err
	})
	if err != nil {
		return t, err
	}
	fmt.Fprintf(log, "figures in %s\n", filepath.Join(dir, "figures"))
	return t, nil
}

// checkWritable checks that dir can be made and written: the nearest folder of it that exists
// takes a file.
func checkWritable(dir string) error {
	if dir == "" {
		dir = "runs"
	}
	existing := dir
	for {
		info, err := os.Stat(existing)
		if err == nil {
			if !info.IsDir() {
				return fmt.Errorf("runs folder %s: %s is not a directory", dir, existing)
			}
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return fmt.Errorf("runs folder %s: %w", dir, err)
		}
		existing = parent
	}
	f, err := os.CreateTemp(existing, ".vaekit-check-*")
	if err != nil {
		return fmt.Errorf("runs folder %s cannot be written: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// CheckpointInterval is how often a run also checkpoints within an epoch, so that a run killed
// in the middle of a long epoch loses at most that much training.
const CheckpointInterval = time.Minute

// fitOptions are the training-loop options of a run (or of its code prior) in dir.
func fitOptions(dir string, log io.Writer, opts Options) vaekit.FitOptions {
	return vaekit.FitOptions{Dir: dir, Progress: log, MaxSteps: opts.MaxSteps,
		CheckpointInterval: CheckpointInterval, CheckpointSteps: opts.CheckpointSteps}
}

// maxConcurrentRuns bounds the run directories tried for one experiment in one runs folder.
const maxConcurrentRuns = 9

// lockRunDir takes the run directory base for this process: one process at a time writes a run
// directory (a second writer would interleave checkpoints and histories), so while another run
// holds base, the next free one of base.2, base.3, ... is taken instead, and said on log. It
// returns the directory and the function that releases it.
func lockRunDir(base string, log io.Writer) (dir string, unlock func(), err error) {
	for i := 1; i <= maxConcurrentRuns; i++ {
		dir = base
		if i > 1 {
			dir = fmt.Sprintf("%s.%d", base, i)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("run directory %s: %w", dir, err)
		}
		lock := flock.New(filepath.Join(dir, ".lock"))
		locked, err := lock.TryLock()
		if err != nil {
			return "", nil, fmt.Errorf("run directory %s: %w", dir, err)
		}
		if locked {
			if i > 1 {
				fmt.Fprintf(log, "run directory %s is being written by another run: this run writes %s\n", base, dir)
			}
			return dir, func() { lock.Unlock() }, nil
		}
	}
	return "", nil, fmt.Errorf("run directories %s to %s.%d are all being written by other runs: wait for one, or use another -runs folder", base, base, maxConcurrentRuns)
}

// removeAllBut empties dir except for the entry named keep.
func removeAllBut(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != keep {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadData reads the experiment's data, checked against the files' known checksums (a run
// must not train on a damaged copy).
func loadData(exp Experiment, opts Options) (trainSet, testSet *datasets.Set, err error) {
	data := opts.Data
	data.Verify = true
	if trainSet, err = datasets.Load(exp.Data, datasets.Train, data); err != nil {
		return nil, nil, err
	}
	if testSet, err = datasets.Load(exp.Data, datasets.Test, data); err != nil {
		return nil, nil, err
	}
	if exp.TrainOnAll {
		if trainSet, err = datasets.Concat(trainSet, testSet); err != nil {
			return nil, nil, err
		}
	}
	return trainSet.Subset(opts.TrainSubset), testSet.Subset(opts.TestSubset), nil
}

func storeParams(store *model.Store) map[string]any {
	out := map[string]any{}
	for k, v := range store.IterParams() {
		if strings.HasSuffix(k, vaekit.ParamFrozenVariables) {
			continue // bookkeeping of the checkpoints, not part of the recipe
		}
		out[k] = v
	}
	return out
}

// storePaths keys params (names in the root scope) by their full store paths, as params.json
// and the checkpoints hold them.
func storePaths(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		out["/"+k] = v
	}
	return out
}

// checkRecipe refuses to resume a run directory whose checkpoint was trained with another
// recipe than requested (the parameters as params.json records them): the checkpoint's own
// parameters would win when it loads, and params.json would no longer say what was trained.
// A directory without a checkpoint or params.json has nothing to protect.
func checkRecipe(dir string, requested map[string]any) error {
	if ckpts, _ := filepath.Glob(filepath.Join(dir, "checkpoint", "*.json")); len(ckpts) == 0 {
		return nil
	}
	saved, err := readParams(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if changes := vaekit.RecipeChanges(saved, requested); len(changes) > 0 {
		return fmt.Errorf("run directory %s was trained with another recipe (%s): rerun it from scratch (run -fresh, reproduce -force) or use another -runs folder",
			dir, strings.Join(changes, "; "))
	}
	return nil
}

// readParams reads the params.json of a run directory.
func readParams(dir string) (map[string]any, error) {
	path := filepath.Join(dir, "params.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var params map[string]any
	if err := json.Unmarshal(data, &params); err != nil {
		return nil, fmt.Errorf("%s: %w: expected the JSON object of parameters a vaekit run writes", path, err)
	}
	return params, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'))
}

// units says in what units a model's loss terms are, as the model documents them.
func units(m vaekit.Model, store *model.Store) string {
	if d, ok := m.(vaekit.Documented); ok {
		return d.Units(store)
	}
	return "per image"
}

// readMetrics reads the metrics.json of a run directory, or returns nil.
func readMetrics(dir string) *Metrics {
	data, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		return nil
	}
	var m Metrics
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return &m
}

// newMetrics holds the loss terms of the last epoch on both splits and the timings: wall is
// this invocation's time, of which fit was the training loop's (without a code prior trained
// after it), which trained trainedNow epochs; prev, the run's earlier metrics
// (nil if none was written), keeps the timings of the epochs trained before. The wall time adds
// up over the invocations; the epochs of an interrupted invocation, which wrote no metrics, are
// counted at this invocation's seconds per epoch, and the wall time marked as estimated. A
// finished run rerun (which trains nothing) keeps its seconds per epoch; a run whose every epoch
// was trained by interrupted invocations has no timing to go by and is marked WallUnknown.
func newMetrics(exp Experiment, hist *vaekit.History, backend string, wall, fit float64, trainedNow int, prev *Metrics) Metrics {
	metrics := Metrics{Experiment: exp.Name, Epochs: hist.Epochs(), Test: map[string]float64{}, Train: map[string]float64{},
		WallSeconds: wall, Backend: backend}
	for split, dst := range map[string]map[string]float64{"test": metrics.Test, "train": metrics.Train} {
		if row, ok := hist.Last(split); ok {
			for i, t := range hist.Terms {
				dst[t] = row.Values[i]
			}
		}
	}
	if trainedNow > 0 {
		metrics.SecondsPerEpoch = fit / float64(trainedNow)
	} else if prev != nil {
		metrics.SecondsPerEpoch = prev.SecondsPerEpoch
	}
	before := max(hist.Epochs()-trainedNow, 0)
	if prev != nil && prev.Epochs <= before {
		metrics.WallSeconds += prev.WallSeconds
		metrics.WallEstimated = prev.WallEstimated
		before -= prev.Epochs
	}
	switch {
	case before > 0 && metrics.SecondsPerEpoch > 0:
		metrics.WallSeconds += float64(before) * metrics.SecondsPerEpoch
		metrics.WallEstimated = true
	case before > 0:
		metrics.WallUnknown = true
	}
	return metrics
}

func manifest(exp Experiment, trainer *vaekit.Trainer, backend string, wall float64) map[string]any {
	m := map[string]any{
		"experiment":   exp.Name,
		"source":       exp.Source,
		"data":         exp.Data,
		"train_on_all": exp.TrainOnAll,
		"backend":      backend,
		"seed":         trainer.Params().Seed,
		"go":           runtime.Version(),
		"goexperiment": os.Getenv("GOEXPERIMENT"),
		"wall_seconds": wall,
		"command":      strings.Join(os.Args, " "),
		"finished_at":  time.Now().UTC().Format(time.RFC3339),
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		mods := map[string]string{}
		for _, d := range info.Deps {
			if strings.Contains(d.Path, "gomlx") || strings.Contains(d.Path, "gonum") || strings.Contains(d.Path, "gonb") {
				mods[d.Path] = d.Version
			}
		}
		m["modules"] = mods
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		m["git_commit"] = strings.TrimSpace(string(out))
	}
	return m
}
