package experiments

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// Trained is a trained (or partly trained) run held in memory: what figures and evaluation
// need. Run returns one; Open reads one back from its run directory, since notebook cells run as
// separate processes and a cell that draws figures opens the run that an earlier cell trained.
type Trained struct {
	Dir        string
	Experiment Experiment
	Backend    compute.Backend
	Store      *model.Store
	Model      vaekit.Model
	History    *vaekit.History
	Test       *datasets.Set
	// Prior is the code prior of a VQ-VAE run whose experiment has one (nil otherwise).
	Prior *CodePrior

	result     *Result // what run produced (nil for an opened run)
	codeCounts []int   // a VQ-VAE's code counts on the test set, once computed
}

// testCodeCounts returns how often each code is the nearest one over the test set (a
// vaekit.Quantizer), computed once for the metrics and the usage figure.
func (t *Trained) testCodeCounts(q vaekit.Quantizer) ([]int, error) {
	if t.codeCounts == nil {
		counts, err := vaekit.CodeCounts(t.Backend, t.Store, q, t.Test, 256)
		if err != nil {
			return nil, err
		}
		t.codeCounts = counts
	}
	return t.codeCounts, nil
}

// CodePrior is the PixelCNN prior of a VQ-VAE run, kept in the run's code_prior folder.
type CodePrior struct {
	Store   *model.Store
	History *vaekit.History
}

// priorOfEpochs is the code prior's store parameter recording the epochs of the VQ-VAE whose
// codes it models.
const priorOfEpochs = "vqvae_epochs"

// codePriorDir is the folder of a run's code prior: its params.json, history.csv, checkpoint/.
const codePriorDir = "code_prior"

// fitCodePrior trains (or resumes) the code prior of a VQ-VAE run on the code grids of the
// training and test images.
func (t *Trained) fitCodePrior(ctx context.Context, train *datasets.Set, opts Options, log io.Writer) error {
	dir := filepath.Join(t.Dir, codePriorDir)
	epochs, _ := t.Experiment.CodePrior[vaekit.ParamEpochs].(int)
	if opts.Epochs > 0 {
		epochs = opts.Epochs
	}
	// The prior models the codes of the VQ-VAE as it was, under the experiment's recipe: one
	// trained on the codes of another epoch of the VQ-VAE, or with another recipe, is derived
	// from what no longer is, and is trained again.
	want := storePaths(t.Experiment.CodePrior)
	want["/"+priorOfEpochs] = t.History.Epochs()
	if saved, err := readParams(dir); err == nil {
		if changes := vaekit.RecipeChanges(saved, want); len(changes) > 0 {
			fmt.Fprintf(log, "code prior: trained for another VQ-VAE or recipe (%s): training it again\n", strings.Join(changes, "; "))
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("code prior: %w", err)
			}
		}
	}
	// A prior trained to the end is read back: encoding the training set again (tens of seconds
	// for 60,000 images) would only feed a loop with nothing left to do.
	if hist, err := vaekit.ReadHistory(filepath.Join(dir, "history.csv")); err == nil && epochs > 0 && hist.Epochs() >= epochs {
		store, err := loadStore(filepath.Join(dir, "checkpoint"))
		if err != nil {
			return fmt.Errorf("code prior: %w", err)
		}
		t.Prior = &CodePrior{Store: store, History: hist}
		return nil
	}
	q, ok := t.Model.(vaekit.Quantizer)
	if !ok {
		return fmt.Errorf("a code prior needs a model with discrete codes, not %q", t.Model.Name())
	}
	var trainCodes, testCodes *datasets.Set
	err := vaekit.Timed(log, fmt.Sprintf("code prior: encoding %d training and %d test images into code grids", train.N, t.Test.N), func() (err error) {
		if trainCodes, err = vaekit.CodeSet(t.Backend, t.Store, q, train, 256); err != nil {
			return err
		}
		testCodes, err = vaekit.CodeSet(t.Backend, t.Store, q, t.Test, 256)
		return err
	})
	if err != nil {
		return err
	}
	store := model.NewStore()
	params := maps.Clone(t.Experiment.CodePrior)
	params[vaekit.ParamImageShape] = []int{trainCodes.Height, trainCodes.Width, 1}
	params[vqvae.ParamNumCodes] = q.NumCodes(t.Store) // the parameter the prior reads
	params[vaekit.ParamNumClasses] = len(train.ClassNames)
	params[priorOfEpochs] = t.History.Epochs()
	if opts.Epochs > 0 {
		params[vaekit.ParamEpochs] = opts.Epochs
	}
	store.SetParams(params)
	trainer, err := vaekit.NewTrainer(t.Backend, store, pixelcnn.Model{})
	if err != nil {
		return fmt.Errorf("code prior: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("code prior: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, "params.json"), storeParams(store)); err != nil {
		return err
	}
	fmt.Fprintf(log, "code prior: PixelCNN over %dx%d grids of %d codes, into %s\n", trainCodes.Height, trainCodes.Width,
		params[vqvae.ParamNumCodes], dir)
	hist, err := trainer.Fit(ctx, trainCodes, testCodes, fitOptions(dir, log, opts))
	if err != nil {
		return fmt.Errorf("code prior: %w", err)
	}
	t.Prior = &CodePrior{Store: store, History: hist}
	return nil
}

// Conditional reports whether the run generates images of a class asked for: a conditional VAE,
// or a VQ-VAE with a class-conditional code prior.
func (t *Trained) Conditional() bool {
	if t.Prior != nil {
		return model.GetParamOr(t.Prior.Store.RootScope(), pixelcnn.ParamConditional, false)
	}
	_, ok := t.Model.(vaekit.ConditionalPrior)
	return ok
}

// Generates reports whether the run can draw new images: from the latent prior of a VAE, or
// through the code prior of a VQ-VAE.
func (t *Trained) Generates() bool {
	_, ok := t.Model.(vaekit.Generator)
	return ok || t.Prior != nil
}

// Samples draws n new images (for a conditional run, of class 0 when the model needs a class).
func (t *Trained) Samples(n int, seed uint64) ([][]float32, error) {
	if t.Prior != nil {
		return t.priorSamples(make([]int32, n), seed)
	}
	return vaekit.PriorSamples(t.Backend, t.Store, t.Model, n, seed)
}

// ClassSamples draws perClass new images of every class, class after class, and returns them
// with the class each was asked for.
func (t *Trained) ClassSamples(perClass int, seed uint64) (images [][]float32, asked []int32, err error) {
	if !t.Conditional() {
		return nil, nil, fmt.Errorf("run %s is not class-conditional", t.Dir)
	}
	numClasses := len(t.Test.ClassNames)
	asked = make([]int32, numClasses*perClass)
	for i := range asked {
		asked[i] = int32(i / perClass)
	}
	if t.Prior != nil {
		images, err = t.priorSamples(asked, seed)
	} else {
		images, err = vaekit.ClassSamples(t.Backend, t.Store, t.Model, numClasses, perClass, seed)
	}
	return images, asked, err
}

// priorSamples draws one code grid per label from the code prior and decodes it.
func (t *Trained) priorSamples(labels []int32, seed uint64) ([][]float32, error) {
	codes, gh, gw, err := pixelcnn.Sample(t.Backend, t.Prior.Store, labels, 1, seed)
	if err != nil {
		return nil, err
	}
	q, ok := t.Model.(vaekit.Quantizer)
	if !ok {
		return nil, fmt.Errorf("run %s: a code prior needs a model with discrete codes", t.Dir)
	}
	return vaekit.DecodeCodes(t.Backend, t.Store, q, codes, len(labels), gh, gw)
}

// Figures draws the run's figures into its figures folder and returns the paths (PNG, SVG and
// PDF): loss curves; reconstructions of the first test images; samples per class for a
// conditional run, else samples from the prior; the latent manifold for 2-D latents; the label
// clusters of the test set's latent points and interpolations between test images; for a
// VQ-VAE the code maps of test images, the codebook usage and the code prior's loss curves.
func (t *Trained) Figures() ([]string, error) {
	dir := filepath.Join(t.Dir, "figures")
	title := t.Experiment.Name
	h, w := t.Test.Height, t.Test.Width
	var all []string
	add := func(paths []string, err error) error {
		all = append(all, paths...)
		return err
	}
	if err := add(figures.LossCurves(t.History, title, false, filepath.Join(dir, "loss_curves"))); err != nil {
		return all, err
	}
	if _, ok := t.Model.(vaekit.Reconstructor); ok {
		originals, recons, err := vaekit.Reconstruct(t.Backend, t.Store, t.Model, t.Test, 10)
		if err != nil {
			return all, err
		}
		if err := add(figures.ImageGrid(append(originals, recons...), h, w, len(originals), []string{"original", "reconstruction"},
			title+": test reconstructions", filepath.Join(dir, "reconstructions"))); err != nil {
			return all, err
		}
	}
	switch {
	case t.Conditional():
		samples, _, err := t.ClassSamples(10, 1)
		if err != nil {
			return all, err
		}
		if err := add(figures.ImageGrid(samples, h, w, 10, t.Test.ClassNames, title+": samples per class", filepath.Join(dir, "class_samples"))); err != nil {
			return all, err
		}
	case t.Generates():
		samples, err := t.Samples(64, 1)
		if err != nil {
			return all, err
		}
		what := "samples from N(0, I)"
		if t.Prior != nil {
			what = "samples through the code prior"
		}
		if err := add(figures.ImageGrid(samples, h, w, 8, nil, title+": "+what, filepath.Join(dir, "samples"))); err != nil {
			return all, err
		}
	}
	if gen, ok := t.Model.(vaekit.Generator); ok && gen.LatentDim(t.Store) == 2 {
		images, z0, z1, err := vaekit.ManifoldGrid(t.Backend, t.Store, t.Model, 20, 2)
		if err != nil {
			return all, err
		}
		if err := add(figures.LatentManifold(images, h, w, z0, z1, title+": latent manifold", filepath.Join(dir, "latent_manifold"))); err != nil {
			return all, err
		}
	}
	if _, ok := t.Model.(vaekit.Encoder); ok {
		if err := add(t.latentFigures(dir)); err != nil {
			return all, err
		}
	}
	if q, ok := t.Model.(vaekit.Quantizer); ok {
		if err := add(t.codeFigures(dir, q)); err != nil {
			return all, err
		}
	}
	if t.Prior != nil {
		if err := add(figures.LossCurves(t.Prior.History, title+": code prior", false, filepath.Join(dir, "code_prior_loss_curves"))); err != nil {
			return all, err
		}
	}
	return all, nil
}

// DrawnFigures lists the PNG figures already drawn in the run's figures folder (by Run or
// Figures), without drawing anything: what a notebook cell shows after an earlier one drew them.
func (t *Trained) DrawnFigures() ([]string, error) {
	return drawnFigures(t.Dir)
}

// clusterPoints is the number of test images whose latent points the label-cluster figure shows.
const clusterPoints = 5000

// latentFigures draws the label clusters of the test set's latent points (PCA above 2-D) and,
// for models that decode, interpolations between pairs of test images.
func (t *Trained) latentFigures(dir string) ([]string, error) {
	var all []string
	set := t.Test.Subset(clusterPoints)
	points, err := vaekit.Encode(t.Backend, t.Store, t.Model, set, 500)
	if err != nil {
		return nil, err
	}
	what := "latent means"
	if _, ok := t.Model.(vaekit.Sampler); !ok {
		what = "latent codes" // no posterior: an autoencoder's codes
	}
	paths, err := figures.LabelClusters(points, set.Labels, set.ClassNames,
		fmt.Sprintf("%s: %s of %d test images", t.Experiment.Name, what, set.N), filepath.Join(dir, "label_clusters"))
	all = append(all, paths...)
	if err != nil {
		return all, err
	}
	if _, ok := t.Model.(vaekit.Generator); !ok {
		return all, nil
	}
	const pairs, steps = 4, 10
	var images [][]float32
	var rowLabels []string
	for k := range min(pairs, t.Test.N/2) {
		i, j := 2*k, 2*k+1
		path, err := vaekit.LatentInterpolation(t.Backend, t.Store, t.Model, t.Test, i, j, steps)
		if err != nil {
			return all, err
		}
		images = append(images, path...)
		rowLabels = append(rowLabels, t.Test.ClassNames[t.Test.Labels[i]]+" to "+t.Test.ClassNames[t.Test.Labels[j]])
	}
	if len(images) == 0 {
		return all, nil
	}
	paths, err = figures.ImageGrid(images, t.Test.Height, t.Test.Width, steps, rowLabels,
		t.Experiment.Name+": latent interpolation between test images", filepath.Join(dir, "interpolation"))
	return append(all, paths...), err
}

// codeFigures draws the code maps of the first test images and the codebook usage on the test set.
func (t *Trained) codeFigures(dir string, q vaekit.Quantizer) ([]string, error) {
	const shown = 6
	first := t.Test.Subset(shown)
	codeSet, err := vaekit.CodeSet(t.Backend, t.Store, q, first, shown)
	if err != nil {
		return nil, err
	}
	codes := make([]int32, len(codeSet.Images))
	for i, c := range codeSet.Images {
		codes[i] = int32(c)
	}
	images := make([][]float32, first.N)
	for i := range images {
		images[i] = first.Image(i)
	}
	all, err := figures.CodeMap(images, codes, first.Height, first.Width, codeSet.Height, codeSet.Width,
		t.Experiment.Name+": test images and their codes", filepath.Join(dir, "code_map"))
	if err != nil {
		return all, err
	}
	counts, err := t.testCodeCounts(q)
	if err != nil {
		return all, err
	}
	paths, err := figures.CodebookUsage(counts, vqvae.Perplexity(counts), vqvae.InUse(counts),
		t.Experiment.Name+": codebook usage on the test set", filepath.Join(dir, "codebook_usage"))
	return append(all, paths...), err
}

// evaluate computes the test figures particular to a run, each name ending with its unit: for
// a VQ-VAE the codebook perplexity and the share of codes in use, and the code prior's test NLL;
// for a classifier its test accuracy; for a conditional run the class-conditional fidelity of its
// samples, and for an unconditional generator (VAE, GAN, VQ-VAE with an unconditional prior) the
// confidence, class entropy and score of its samples (classifier.Quality), both judged by the
// data set's classifier (trained first if its run is not finished).
func (t *Trained) evaluate(ctx context.Context, opts Options, m *Metrics) error {
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
	test, err := vaekit.EvaluationSet(t.Store, t.Test)
	if err != nil {
		return err
	}
	if _, ok := t.Model.(vaekit.Reconstructor); ok {
		var bce, sse float64
		err := vaekit.Timed(opts.Log, fmt.Sprintf("reconstruction errors of %d test images", test.N), func() (err error) {
			bce, sse, err = vaekit.ReconstructionErrors(t.Backend, t.Store, t.Model, test, 500)
			return err
		})
		if err != nil {
			return err
		}
		extra["test_reconstruction_bce_nats"] = bce
		extra["test_reconstruction_squared_error"] = sse
	}
	if k, key := t.nllSamples(opts); k > 0 {
		if prev, ok := t.previousExtra(m.Epochs, key); ok {
			extra[key] = prev // the estimate of this checkpoint with this k is already known
		} else {
			nll, err := t.importanceWeightedNLL(test, k, opts.Log)
			if err != nil {
				return err
			}
			extra[key] = nll
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
		q, err := t.sampleQuality(ctx, opts)
		if err != nil {
			return err
		}
		extra["sample_confidence_fraction"] = q.Confidence
		extra["sample_class_entropy_nats"] = q.ClassEntropy
		extra["sample_score_classes"] = q.Score
	}
	if t.Conditional() {
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

// nllSamples returns the number of importance samples of the run's test NLL estimate (0: none)
// and the metric's name, which carries k.
func (t *Trained) nllSamples(opts Options) (int, string) {
	k := t.Experiment.NLLSamples
	if opts.MaxNLLSamples > 0 {
		k = min(k, opts.MaxNLLSamples)
	}
	if _, ok := t.Model.(vaekit.Likelihood); !ok {
		return 0, ""
	}
	if model.GetParamOr(t.Store.RootScope(), vaekit.ParamReconstruction, "bernoulli") != "bernoulli" {
		return 0, ""
	}
	return k, fmt.Sprintf("test_nll_iw_k%d_nats", k)
}

// importanceWeightedNLL estimates the NLL of the test set (as evaluated) with k importance
// samples, showing its progress on log.
func (t *Trained) importanceWeightedNLL(test *datasets.Set, k int, log io.Writer) (float64, error) {
	return t.Model.(vaekit.Likelihood).ImportanceWeightedNLL(t.Backend, t.Store, test, vaekit.NLLOptions{K: k, Seed: 1, Progress: log})
}

// previousExtra returns a figure of the run's existing metrics.json if that was written after
// the same number of epochs (so for the same checkpoint).
func (t *Trained) previousExtra(epochs int, key string) (float64, bool) {
	prev := readMetrics(t.Dir)
	if prev == nil || prev.Epochs != epochs {
		return 0, false
	}
	v, ok := prev.Extra[key]
	return v, ok
}

// samplesPerClass is opts.SamplesPerClass, 100 by default: how many samples per class the
// classifier judges.
func samplesPerClass(opts Options) int {
	if opts.SamplesPerClass > 0 {
		return opts.SamplesPerClass
	}
	return 100
}

// classifierRun returns the finished run of the data set's classifier, training it first if needed.
func (t *Trained) classifierRun(ctx context.Context, opts Options) (*Trained, error) {
	judgeExp, err := ClassifierFor(t.Experiment.Data)
	if err != nil {
		return nil, err
	}
	judgeOpts := opts
	judgeOpts.Fresh, judgeOpts.Overrides = false, nil
	if opts.MaxSteps == 0 {
		judgeOpts.Epochs = 0 // the classifier keeps its own recipe when a run is given more epochs
	}
	judge, err := run(ctx, judgeExp, judgeOpts)
	if err != nil {
		return nil, fmt.Errorf("judging the samples of %s: %w", t.Experiment.Name, err)
	}
	return judge, nil
}

// samplesSet wraps generated images as a data set of the run's image shape and classes.
func (t *Trained) samplesSet(images [][]float32, labels []int32) *datasets.Set {
	if labels == nil {
		labels = make([]int32, len(images))
	}
	set := &datasets.Set{Name: t.Test.Name, N: len(images), Height: t.Test.Height, Width: t.Test.Width,
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
	err = vaekit.Timed(opts.Log, fmt.Sprintf("sample quality: drawing %d samples and classifying them", n), func() error {
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
	err = vaekit.Timed(opts.Log, fmt.Sprintf("class fidelity: drawing %d samples per class and classifying them", samplesPerClass(opts)), func() error {
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
