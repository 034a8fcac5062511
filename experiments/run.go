package experiments

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
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
	// NewView, if set, makes the view a run shows its history in while it trains (package
	// notebook redraws the loss curves in the cell's output after every epoch).
	NewView func(title string, axes map[string]history.Axis) (EpochView, error)
	// FirstShowing, if set with NewView, reports whether what key names has not yet been shown
	// in this session (package notebook: this kernel). It is asked before the view of a run that
	// several runs share is made (key: its directory; the data set's classifier, which judges
	// the samples of every run on that data set), so the shared run's curves appear once, under
	// the first run that uses it, whether it trains there or is read back; and before the
	// backend's line (key: the line), which says why the backend was chosen the first time and
	// only its name after that. Nil: everything shown under every run.
	FirstShowing func(key string) bool
	// CheckpointSteps, if > 0, also checkpoints every that many steps within an epoch (besides
	// every CheckpointInterval, one minute); tests that kill runs use it.
	CheckpointSteps int
	// MaxNLLSamples, if > 0, caps the importance samples of the test NLL estimate
	// (Experiment.NLLSamples): quick mode and notebooks use few.
	MaxNLLSamples int
	// SamplesPerClass is the number of samples per class drawn to measure the class-conditional
	// fidelity of a conditional run (0: 100).
	SamplesPerClass int
	// Trace, if set, is told of every phase of the run as it begins, each event prefixed with
	// the name of the run it belongs to (a run's classifier and code prior have their own):
	// the training loop's (training.FitOptions.Trace), then "evaluate ...", "figure NAME",
	// "metrics" and "manifest". The kill test reads it to know where each kill landed.
	Trace func(event string)
	// CheckOnly makes Run check what it can before any work (the parameters, the backend, that
	// the runs folder can be written) and return without reading data or writing anything.
	CheckOnly bool
}

// EpochView is shown a run's history after every epoch, and once more when training ends (a run
// read back from its directory: Finish only, with its history, so a rerun shows the same curves).
type EpochView interface {
	Update(epoch int, h *history.History) error
	Finish(h *history.History)
}

// QuickOptions is the quick mode used by tests and CI: two epochs of a few steps on small subsets.
func QuickOptions(runsDir string) Options {
	return Options{RunsDir: runsDir, Epochs: 2, MaxSteps: 3, TrainSubset: 512, TestSubset: 256, SamplesPerClass: 10, MaxNLLSamples: 4}
}

// Result is what a run produced.
type Result struct {
	Dir     string
	History *history.History
	Figures []string
	Backend string
}

// Run trains (or resumes) an experiment and writes its run directory: for a VQ-VAE with a code
// prior, the prior too. Its samples are judged by the data set's recorded judge; a data set
// without one (a folder of PNGs) has its classifier trained first, in its own run directory
// under the same RunsDir.
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
	m, err := exp.model()
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	if _, err := exp.codePriorModel(); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	checked, err := preflight(exp, m.Name(), opts)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	backend, backendDesc, err := backends.For(workload(m, checked))
	if err != nil {
		return nil, err
	}
	line := "backend: " + backendDesc
	if opts.NewView != nil && opts.FirstShowing != nil && !opts.FirstShowing(line) {
		line = "backend: " + shortBackend(backendDesc) + " (as above)"
	}
	fmt.Fprintln(log, line)
	if facts := buildFactsOfThisBinary(); facts["git_commit"] == nil && facts["git_head_at_finish"] == nil {
		// Said before the first step: a record must name the code that trained it.
		fmt.Fprintln(log, "warning: this program carries no commit stamp (built with -buildvcs=false, or by go run) and runs outside "+
			"a git repository, so the run's segments will not name its code: build it with -buildvcs=true, as make does")
	}
	if opts.CheckOnly {
		return nil, checkWritable(opts.RunsDir)
	}
	if opts.RunsDir == "" {
		opts.RunsDir = DefaultRunsDir
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
	if err := os.MkdirAll(filepath.Join(dir, FiguresDir), 0o755); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	tr, err := train(ctx, exp, m, checked, backend, backendDesc, dir, opts)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	t, trainSet, trainer, trainedNow, start := tr.t, tr.trainSet, tr.trainer, tr.epochs, tr.start
	fitSeconds := tr.seconds
	t.result = &Result{Dir: dir, History: t.History, Backend: backendDesc}
	if exp.CodePrior != nil {
		if err := t.fitCodePrior(ctx, trainSet, opts, log); err != nil {
			return t, fmt.Errorf("experiment %s: %w", exp.Name, err)
		}
	}
	wall := time.Since(start).Seconds()
	t.trace = tracer(opts, exp.Name)
	metrics := newMetrics(exp, t.History, backendDesc, wall, fitSeconds, trainedNow, prev)
	metrics.Units = units(m, t.Store)
	metrics.Axes = termAxes(m, t.Store)
	if err := t.evaluate(ctx, opts, &metrics); err != nil {
		return t, fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	t.phase("metrics")
	if err := writeJSON(filepath.Join(dir, MetricsFile), metrics); err != nil {
		return t, err
	}
	t.phase("manifest")
	if err := writeJSON(filepath.Join(dir, ManifestFile), manifest(exp, trainer, backendDesc, wall)); err != nil {
		return t, err
	}
	err = training.Timed(log, "drawing the figures", func() (err error) {
		t.result.Figures, err = t.Figures()
		return err
	})
	if err != nil {
		return t, err
	}
	fmt.Fprintf(log, "figures in %s\n", filepath.Join(dir, FiguresDir))
	return t, nil
}

// shortBackend is a backend's description without its reasons (what follows the first ";"), cut
// back before a parenthesis left open there, so that the short line a notebook shows after the
// first reads whole: `Go Backend ("go"), SIMD matmul on`.
func shortBackend(desc string) string {
	short, _, _ := strings.Cut(desc, ";")
	if open := strings.LastIndex(short, "("); open >= 0 && !strings.Contains(short[open:], ")") {
		short = short[:open]
	}
	return strings.TrimRight(short, " ,")
}

// trained is what train hands back to run.
type trained struct {
	*fitted
	t        *Trained
	trainSet *datasets.Set // a code prior trains on its codes
}

// train reads the data and trains (or resumes) the model in the run directory (fitInDir).
func train(ctx context.Context, exp Experiment, m vaekit.Model, checked paramtable.Values, backend compute.Backend, backendDesc, dir string, opts Options) (*trained, error) {
	trainSet, testSet, err := loadData(exp, opts)
	if err != nil {
		return nil, err
	}
	params := maps.Clone(map[string]any(checked))
	params[vaekit.ParamImageShape] = trainSet.Shape()
	var view EpochView
	if opts.NewView != nil {
		axesStore := model.NewStore()
		axesStore.SetParams(params)
		if view, err = opts.NewView(exp.Name, termAxes(m, axesStore)); err != nil {
			return nil, err
		}
	}
	job := fitJob{name: exp.Name, model: m, params: params, backend: backend, backendDesc: backendDesc, data: exp.Data, dir: dir, train: trainSet, test: testSet, view: view,
		testSeen: exp.TrainOnAll, announce: fmt.Sprintf("run %s: %s, %d training and %d test images, into %s", exp.Name, exp.Description, trainSet.N, testSet.N, dir)}
	if exp.TrainOnAll {
		job.announce = fmt.Sprintf("run %s: %s, %d training images (the %d of the test split among them), into %s", exp.Name, exp.Description, trainSet.N, testSet.N, dir)
	}
	curve, err := newNLLCurve(ctx, exp, m, params, backend, dir, testSet, opts)
	if err != nil {
		return nil, err
	}
	if curve != nil {
		job.afterEpoch = curve.after
	}
	f, err := fitInDir(ctx, job, opts)
	if err != nil {
		return nil, err
	}
	if f.epochs == 0 {
		fmt.Fprintf(opts.Log, "run %s: already trained (%d epochs), loaded from %s; -fresh (Options.Fresh) trains it again\n",
			exp.Name, f.trainer.CompletedEpochs(), filepath.Join(dir, training.CheckpointDir))
	}
	t := &Trained{Dir: dir, Experiment: exp, Backend: backend, Store: f.store, Model: m, History: f.hist, Test: testSet, train: trainSet}
	return &trained{fitted: f, t: t, trainSet: trainSet}, nil
}

// fitJob is a model to train into a directory: a run's, or its code prior's.
type fitJob struct {
	name        string // for the trace: the run's name, or "<run>/code_prior"
	model       vaekit.Model
	params      map[string]any
	backend     compute.Backend
	backendDesc string        // the backend's description, for the training segments
	data        datasets.Name // the data set, whose files' checksums the segments name
	dir         string
	train, test *datasets.Set
	testSeen    bool      // the test images are among the training images (TrainOnAll)
	announce    string    // printed when training starts
	view        EpochView // nil: none
	// afterEpoch, if set, runs after each epoch's checkpoint, and again for the epoch a run
	// resumes after (a kill may have cut it short): it must do nothing when its work is done.
	afterEpoch func(store *model.Store, epoch int) error
}

// fitted is what fitInDir trained.
type fitted struct {
	store   *model.Store
	trainer *training.Trainer
	hist    *history.History
	epochs  int       // the epochs this call trained (a resumed run trained the others)
	start   time.Time // when training started
	seconds float64   // the training loop's time
}

// fitInDir is the one way a model is trained into a directory, a run or its code prior: a store
// with the job's parameters, its trainer, the recipe checked against the directory's
// params.json and written there, then Fit, which keeps the directory's checkpoints and history
// and resumes from them.
func fitInDir(ctx context.Context, job fitJob, opts Options) (*fitted, error) {
	store := model.NewStore()
	store.SetParams(job.params)
	trainer, err := training.NewTrainer(job.backend, store, job.model)
	if err != nil {
		return nil, err
	}
	recipe := storeParams(store)
	if err := checkRecipe(job.dir, recipe); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(job.dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(job.dir, ParamsFile), recipe); err != nil {
		return nil, err
	}
	f := &fitted{store: store, trainer: trainer, start: time.Now()}
	fmt.Fprintln(opts.Log, job.announce)
	fitOpts := fitOptions(job.dir, opts.Log, opts, job.testSeen)
	trace := tracer(opts, job.name)
	segments := newSegmentRecorder(job.dir, job.backendDesc, job.data)
	fitOpts.Trace = func(event string) {
		segments.event(event)
		trace(event)
	}
	// The epochs this call trains: the seconds per epoch are this call's time over them.
	fitOpts.OnEpoch = func(epoch int, h *history.History) error {
		f.epochs++
		if job.afterEpoch != nil {
			if err := job.afterEpoch(store, epoch); err != nil {
				return err
			}
		}
		if job.view != nil {
			return job.view.Update(epoch, h)
		}
		return nil
	}
	if job.afterEpoch != nil {
		fitOpts.OnResume = func(epoch int, _ *history.History) error { return job.afterEpoch(store, epoch) }
	}
	f.hist, err = trainer.Fit(ctx, job.train, job.test, fitOpts)
	f.seconds = time.Since(f.start).Seconds()
	if err == nil && segments.err != nil {
		err = fmt.Errorf("recording the training segment: %w", segments.err)
	}
	if job.view != nil && f.hist != nil {
		job.view.Finish(f.hist)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// tracer returns the function that tells opts.Trace of the events of the run named name
// (prefixed with it), or one that does nothing.
func tracer(opts Options, name string) func(string) {
	if opts.Trace == nil {
		return func(string) {}
	}
	return func(event string) { opts.Trace(name + " " + event) }
}

// CheckpointInterval is how often a run also checkpoints within an epoch, so that a run killed
// in the middle of a long epoch loses at most that much training.
const CheckpointInterval = time.Minute

// fitOptions are the training-loop options of a run (or of its code prior) in dir; testSeen:
// the recipe trains on the test images too (TrainOnAll).
func fitOptions(dir string, log io.Writer, opts Options, testSeen bool) training.FitOptions {
	return training.FitOptions{Dir: dir, Progress: log, MaxSteps: opts.MaxSteps, TestSeen: testSeen,
		CheckpointInterval: CheckpointInterval, CheckpointSteps: opts.CheckpointSteps}
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
