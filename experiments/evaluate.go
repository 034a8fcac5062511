package experiments

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// evaluate computes the test figures particular to a run, each name ending with its unit: for
// a VQ-VAE the codebook perplexity and the share of codes in use, and the code prior's test NLL;
// for a classifier its test accuracy; for a conditional run the class-conditional fidelity of its
// samples, and for an unconditional generator (VAE, GAN, VQ-VAE with an unconditional prior) the
// confidence, class entropy and score of its samples (classifier.Quality), both judged by the
// data set's recorded judge (a data set without one: its classifier, trained first if its run
// is not finished).
func (t *Trained) evaluate(ctx context.Context, opts Options, m *Metrics) error {
	return t.evaluateWith(ctx, opts, m, evaluation{reuseNLL: true})
}

// evaluation says how evaluateWith treats the slow test NLL estimate.
type evaluation struct {
	reuseNLL bool // read it from the run's metrics.json when written for the same checkpoint
	skipNLL  bool // do not estimate it
}

// Evaluate computes the run's evaluation numbers again from its model, as Run computed them
// after training (the extras of metrics.json, the posterior diagnostics, the sample distances),
// and writes nothing. On a record (Open reads its weights) it checks a recorded number on any
// clone. The importance-weighted test NLL, minutes of work, is estimated only when
// opts.MaxNLLSamples > 0, with at most that many samples, and never read back from the run.
func (t *Trained) Evaluate(ctx context.Context, opts Options) (*Metrics, error) {
	if t.train == nil && t.Generates() {
		train, _, err := loadData(t.Experiment, opts)
		if err != nil {
			return nil, err
		}
		t.train = train
	}
	m := &Metrics{Experiment: t.Experiment.Name, Epochs: t.History.Epochs()}
	if err := t.evaluateWith(ctx, opts, m, evaluation{skipNLL: opts.MaxNLLSamples <= 0}); err != nil {
		return nil, err
	}
	return m, nil
}

func (t *Trained) evaluateWith(ctx context.Context, opts Options, m *Metrics, how evaluation) error {
	extra := map[string]float64{}
	if q, ok := t.Model.(vaekit.Quantizer); ok {
		counts, err := t.testCodeCounts(q)
		if err != nil {
			return err
		}
		extra["codebook_perplexity_codes"] = vqvae.Perplexity(counts)
		extra["codes_in_use_fraction"] = vqvae.InUse(counts)
	}
	// The test set as the training loop evaluates it (binarized when the run binarizes), drawn
	// once for the reconstruction errors and the likelihood.
	test, err := training.EvaluationSet(t.Store, t.Test)
	if err != nil {
		return err
	}
	if _, ok := t.Model.(vaekit.Reconstructor); ok {
		t.phase("evaluate reconstruction errors")
		var bce, sse float64
		err := training.Timed(opts.Log, fmt.Sprintf("reconstruction errors of %d %s", test.N, t.testImages()), func() (err error) {
			bce, sse, err = infer.ReconstructionErrors(t.Backend, t.Store, t.Model, test, 500)
			return err
		})
		if err != nil {
			return err
		}
		extra["test_reconstruction_bce_nats"] = bce
		extra["test_reconstruction_squared_error"] = sse
	}
	if err := t.posteriorDiagnostics(test, m, extra); err != nil {
		return err
	}
	if k, key := t.nllSamples(opts); k > 0 && !how.skipNLL {
		if prev, ok := t.previousExtra(m.Epochs, key); ok && how.reuseNLL {
			// The estimate of this checkpoint with this k is already known, and where it ran.
			extra[key], m.NLLBackend = prev.Extra[key], prev.NLLBackend
		} else {
			t.phase("evaluate nll")
			nll, backend, err := t.importanceWeightedNLL(ctx, test, k, opts.Log)
			if err != nil {
				return err
			}
			extra[key], m.NLLBackend = nll, backend
		}
	}
	if t.Prior != nil {
		if row, ok := t.Prior.History.Last("test"); ok {
			extra["code_prior_test_nll_nats"] = t.Prior.History.Value(row, "loss")
		}
	}
	if _, ok := t.Model.(vaekit.Classifier); ok {
		if row, ok := t.History.Last("test"); ok {
			extra["test_accuracy_fraction"] = 1 - t.History.Value(row, "error")
		}
	}
	if _, ok := t.Model.(vaekit.Sampler); (ok || t.Prior != nil) && !t.Conditional() {
		t.phase("evaluate sample quality")
		q, err := t.sampleQuality(ctx, opts)
		if err != nil {
			return err
		}
		extra["sample_confidence_fraction"] = q.Confidence
		extra["sample_class_entropy_nats"] = q.ClassEntropy
		extra["sample_score_classes"] = q.Score
	}
	if t.Generates() {
		if err := t.addDistances(ctx, opts, m, extra); err != nil {
			return err
		}
	}
	if t.Conditional() {
		t.phase("evaluate fidelity")
		f, accuracy, err := t.fidelity(ctx, opts)
		if err != nil {
			return err
		}
		extra["class_fidelity_fraction"] = f.Overall
		extra["classifier_test_accuracy_fraction"] = accuracy
		m.ClassFidelity = f.PerClass
	}
	if len(extra) > 0 {
		m.Extra = extra
	}
	return nil
}

// nllMetric is the name, in metrics.json's extras, of a test NLL estimate with k samples.
const nllMetric = "test_nll_iw_k%d_nats"

// nllSamples returns the number of importance samples of the run's test NLL estimate (0: none)
// and the metric's name, which carries k.
func (t *Trained) nllSamples(opts Options) (int, string) {
	k := likelihoodSamples(t.Experiment.NLLSamples, t.Model, t.Store.RootScope(), opts)
	if k == 0 {
		return 0, ""
	}
	return k, fmt.Sprintf(nllMetric, k)
}

// likelihoodSamples is the number of importance samples of an NLL estimate asked for with k,
// capped by opts.MaxNLLSamples; 0 when the model m (with the parameters of scope) has no
// Bernoulli likelihood to estimate.
func likelihoodSamples(k int, m vaekit.Model, scope *model.Scope, opts Options) int {
	if opts.MaxNLLSamples > 0 {
		k = min(k, opts.MaxNLLSamples)
	}
	if _, ok := m.(vaekit.Likelihood); !ok || k <= 0 {
		return 0
	}
	if vaekit.Param[string](scope, vaekit.ParamReconstruction) != "bernoulli" {
		return 0
	}
	return k
}

// importanceWeightedNLL estimates the NLL of the test set (as evaluated) with k importance
// samples, showing its progress on log, and names the backend it ran on.
func (t *Trained) importanceWeightedNLL(ctx context.Context, test *datasets.Set, k int, log io.Writer) (float64, string, error) {
	backend, store, err := nllOn(t.Backend, t.Store, t.Dir, log)
	if err != nil {
		return 0, "", err
	}
	nll, err := t.Model.(vaekit.Likelihood).ImportanceWeightedNLL(backend, store, test, vaekit.NLLOptions{K: k, Seed: 1, Progress: log, Context: ctx})
	return nll, backend.Name(), err
}

// nllOn returns where to estimate the NLL of the model in store, on backend, of the run in dir:
// that backend and store, unless the estimate has a faster default backend of its own
// (backends.ForWork: ONNX Runtime for an MLP trained on the pure-Go backend, faster in
// docs/bench.md's NLL table), which then reads the weights from the run's newest checkpoint (a tensor
// belongs to one backend); the callers estimate right after that checkpoint was saved. If that
// backend cannot be made, the run's own is used, and the line says why.
func nllOn(backend compute.Backend, store *model.Store, dir string, log io.Writer) (compute.Backend, *model.Store, error) {
	other, description, err := backends.ForWork(backends.LikelihoodEstimate, backend)
	if err != nil {
		fmt.Fprintf(log, "NLL on the run's backend: %v\n", err)
		return backend, store, nil
	}
	if other == backend {
		return backend, store, nil
	}
	saved, err := runStore(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("the NLL's weights: %w", err)
	}
	fmt.Fprintf(log, "NLL on %s\n", description)
	return other, saved, nil
}

// previousExtra returns the run's existing metrics.json if it was written after the same number
// of epochs (so for the same checkpoint) and holds the figure named key.
func (t *Trained) previousExtra(epochs int, key string) (*Metrics, bool) {
	prev := readMetrics(t.Dir)
	if prev == nil || prev.Epochs != epochs {
		return nil, false
	}
	_, ok := prev.Extra[key]
	return prev, ok
}

// samplesPerClass is opts.SamplesPerClass, 100 by default: how many samples per class the
// classifier judges.
func samplesPerClass(opts Options) int {
	if opts.SamplesPerClass > 0 {
		return opts.SamplesPerClass
	}
	return 100
}

// classifierRun returns the data set's judge: its recorded one, else the finished run of its
// classifier, training it first if needed. It is read once per run: sample quality, distances and
// fidelity all use it.
func (t *Trained) classifierRun(ctx context.Context, opts Options) (*Trained, error) {
	if t.judge == nil {
		judge, err := t.readJudge(ctx, opts)
		if err != nil {
			return nil, err
		}
		t.judge = judge
	}
	return t.judge, nil
}

// readJudge is classifierRun without the memory: it reads (or trains) the judge.
func (t *Trained) readJudge(ctx context.Context, opts Options) (*Trained, error) {
	judgeExp, err := ClassifierFor(t.Experiment.Data)
	if err != nil {
		return nil, err
	}
	recorded, err := recordedJudge(judgeExp, t.Test)
	if err != nil {
		return nil, fmt.Errorf("judging the samples of %s: %w", t.Experiment.Name, err)
	}
	if recorded != nil {
		if opts.NewView != nil && (opts.FirstShowing == nil || opts.FirstShowing(recorded.Dir)) {
			view, err := opts.NewView(judgeExp.Name+" (recorded judge)", termAxes(recorded.Model, recorded.Store))
			if err != nil {
				return nil, err
			}
			view.Finish(recorded.History)
		}
		return recorded, nil
	}
	judgeOpts := opts
	judgeOpts.Fresh, judgeOpts.Overrides = false, nil
	if opts.MaxSteps == 0 {
		judgeOpts.Epochs = 0 // the classifier keeps its own recipe when a run is given more epochs
	}
	if newView, first := opts.NewView, opts.FirstShowing; newView != nil && first != nil {
		// Several runs of a data set share its judge: its curves are shown under the first run
		// of a session that asks for it, whether it trains there or is read back.
		runsDir := judgeOpts.RunsDir
		if runsDir == "" {
			runsDir = DefaultRunsDir
		}
		judgeDir := filepath.Join(runsDir, judgeExp.Name)
		judgeOpts.NewView = func(title string, axes map[string]history.Axis) (EpochView, error) {
			if !first(judgeDir) {
				return hiddenView{}, nil
			}
			return newView(title, axes)
		}
	}
	judge, err := run(ctx, judgeExp, judgeOpts)
	if err != nil {
		return nil, fmt.Errorf("judging the samples of %s: %w", t.Experiment.Name, err)
	}
	return judge, nil
}

// hiddenView shows nothing: the view of a shared run already shown in this session.
type hiddenView struct{}

func (hiddenView) Update(int, *history.History) error { return nil }
func (hiddenView) Finish(*history.History)            {}

// samplesSet wraps generated images as a data set of the run's image shape and classes.
func (t *Trained) samplesSet(images [][]float32, labels []int32) *datasets.Set {
	if labels == nil {
		labels = make([]int32, len(images))
	}
	set := &datasets.Set{Name: t.Test.Name, N: len(images), Height: t.Test.Height, Width: t.Test.Width, Channels: t.Test.Channels,
		Labels: labels, ClassNames: t.Test.ClassNames, Images: make([]float32, 0, len(images)*t.Test.ImageSize())}
	for _, img := range images {
		set.Images = append(set.Images, img...)
	}
	return set
}

// sampleQuality draws opts.SamplesPerClass (default 100) samples per class of the data set from
// an unconditional generator and judges them with the data set's classifier (classifier.Quality).
func (t *Trained) sampleQuality(ctx context.Context, opts Options) (classifier.Quality, error) {
	judge, err := t.classifierRun(ctx, opts)
	if err != nil {
		return classifier.Quality{}, err
	}
	var probs [][]float32
	n := samplesPerClass(opts) * len(t.Test.ClassNames)
	err = training.Timed(opts.Log, fmt.Sprintf("sample quality: drawing %d samples and classifying them", n), func() error {
		images, err := t.Samples(n, 3)
		if err != nil {
			return err
		}
		probs, err = classifier.Probabilities(judge.Backend, judge.Store, t.samplesSet(images, nil), 250)
		return err
	})
	if err != nil {
		return classifier.Quality{}, err
	}
	return classifier.SampleQuality(probs)
}

// fidelity draws opts.SamplesPerClass samples per class (default 100) and scores them with the
// data set's classifier; it also returns the classifier's test accuracy.
func (t *Trained) fidelity(ctx context.Context, opts Options) (classifier.Fidelity, float64, error) {
	judge, err := t.classifierRun(ctx, opts)
	if err != nil {
		return classifier.Fidelity{}, 0, err
	}
	var predicted, asked []int32
	err = training.Timed(opts.Log, fmt.Sprintf("class fidelity: drawing %d samples per class and classifying them", samplesPerClass(opts)), func() error {
		images, a, err := t.ClassSamples(samplesPerClass(opts), 2)
		if err != nil {
			return err
		}
		asked = a
		predicted, err = classifier.Predict(judge.Backend, judge.Store, t.samplesSet(images, asked), 250)
		return err
	})
	if err != nil {
		return classifier.Fidelity{}, 0, err
	}
	f, err := classifier.Score(predicted, asked, len(t.Test.ClassNames))
	if err != nil {
		return classifier.Fidelity{}, 0, err
	}
	row, ok := judge.History.Last("test")
	if !ok {
		return classifier.Fidelity{}, 0, fmt.Errorf("classifier run %s has no test evaluation", judge.Dir)
	}
	return f, 1 - judge.History.Value(row, "error"), nil
}
