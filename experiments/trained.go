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
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
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
	History    *history.History
	Test       *datasets.Set
	// Prior is the code prior of a VQ-VAE run whose experiment has one (nil otherwise).
	Prior *CodePrior

	result     *Result       // what run produced (nil for an opened run)
	train      *datasets.Set // the training images (nil for an opened run): the distances' floor
	trace      func(string)  // Options.Trace for this run (nil for an opened run)
	codeCounts []int         // a VQ-VAE's code counts on the test set, once computed
	judge      *Trained      // the data set's judge, once read or trained (classifierRun)
}

// phase tells the run's trace (Options.Trace) of a phase as it begins.
func (t *Trained) phase(event string) {
	if t.trace != nil {
		t.trace(event)
	}
}

// testCodeCounts returns how often each code is the nearest one over the test set (a
// vaekit.Quantizer), computed once for the metrics and the usage figure.
func (t *Trained) testCodeCounts(q vaekit.Quantizer) ([]int, error) {
	if t.codeCounts == nil {
		counts, err := infer.CodeCounts(t.Backend, t.Store, q, t.Test, 256)
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
	History *history.History
}

// priorOfEpochs is the code prior's store parameter recording the epochs of the VQ-VAE whose
// codes it models.
const priorOfEpochs = "vqvae_epochs"

// fitCodePrior trains (or resumes) the code prior of a VQ-VAE run on the code grids of the
// training and test images.
func (t *Trained) fitCodePrior(ctx context.Context, train *datasets.Set, opts Options, log io.Writer) error {
	dir := filepath.Join(t.Dir, codePriorDir)
	epochs, _ := t.Experiment.CodePrior[training.ParamEpochs].(int)
	if opts.Epochs > 0 {
		epochs = opts.Epochs
	}
	// The prior models the codes of the VQ-VAE as it was, under the experiment's recipe: one
	// trained on the codes of another epoch of the VQ-VAE, or with another recipe, is derived
	// from what no longer is, and is trained again.
	want := storePaths(t.Experiment.CodePrior)
	want["/"+priorOfEpochs] = t.History.Epochs()
	if saved, err := readParams(dir); err == nil {
		if changes := training.RecipeChanges(saved, want); len(changes) > 0 {
			fmt.Fprintf(log, "code prior: trained for another VQ-VAE or recipe (%s): training it again\n", strings.Join(changes, "; "))
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("code prior: %w", err)
			}
		}
	}
	// A prior trained to the end is read back: encoding the training set again (tens of seconds
	// for 60,000 images) would only feed a loop with nothing left to do.
	if hist, err := history.Read(filepath.Join(dir, history.File)); err == nil && epochs > 0 && hist.Epochs() >= epochs {
		store, err := loadStore(filepath.Join(dir, training.CheckpointDir))
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
	err := training.Timed(log, fmt.Sprintf("code prior: encoding %d training and %d test images into code grids", train.N, t.Test.N), func() (err error) {
		if trainCodes, err = infer.CodeSet(t.Backend, t.Store, q, train, 256); err != nil {
			return err
		}
		testCodes, err = infer.CodeSet(t.Backend, t.Store, q, t.Test, 256)
		return err
	})
	if err != nil {
		return err
	}
	params := maps.Clone(t.Experiment.CodePrior)
	params[vaekit.ParamImageShape] = []int{trainCodes.Height, trainCodes.Width, 1}
	params[vqvae.ParamNumCodes] = q.NumCodes(t.Store) // the parameter the prior reads
	params[vaekit.ParamNumClasses] = len(train.ClassNames)
	params[priorOfEpochs] = t.History.Epochs()
	if opts.Epochs > 0 {
		params[training.ParamEpochs] = opts.Epochs
	}
	prior, err := t.Experiment.codePriorModel()
	if err != nil {
		return err
	}
	backendDesc := ""
	if t.result != nil {
		backendDesc = t.result.Backend
	}
	f, err := fitInDir(ctx, fitJob{name: filepath.Join(t.Experiment.Name, codePriorDir), model: prior, params: params, backend: t.Backend,
		backendDesc: backendDesc, data: t.Experiment.Data, dir: dir, train: trainCodes, test: testCodes, testSeen: t.Experiment.TrainOnAll,
		announce: fmt.Sprintf("code prior: PixelCNN over %dx%d grids of %d codes, into %s", trainCodes.Height, trainCodes.Width,
			params[vqvae.ParamNumCodes], dir)}, opts)
	if err != nil {
		return fmt.Errorf("code prior: %w", err)
	}
	t.Prior = &CodePrior{Store: f.store, History: f.hist}
	return nil
}

// Conditional reports whether the run generates images of a class asked for: a conditional VAE,
// or a VQ-VAE with a class-conditional code prior.
func (t *Trained) Conditional() bool {
	if t.Prior != nil {
		return vaekit.Param[bool](t.Prior.Store.RootScope(), pixelcnn.ParamConditional)
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
	return infer.PriorSamples(t.Backend, t.Store, t.Model, n, seed)
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
		images, err = infer.ClassSamples(t.Backend, t.Store, t.Model, numClasses, perClass, seed)
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
	return infer.DecodeCodes(t.Backend, t.Store, q, codes, len(labels), gh, gw)
}

// SamplesOfClass draws n samples of one class (a conditional run), new ones for each random seed.
func (t *Trained) SamplesOfClass(class, n int, seed uint64) ([][]float32, error) {
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(class)
	}
	if t.Prior != nil {
		return t.priorSamples(labels, seed)
	}
	all, err := infer.ClassSamples(t.Backend, t.Store, t.Model, class+1, n, seed)
	if err != nil {
		return nil, err
	}
	return all[class*n:], nil
}
