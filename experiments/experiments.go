// Package experiments defines vaekit's named, rerunnable experiments and runs them into run
// directories. A run directory holds (the names are rundir.go's constants, with history.File and
// training.CheckpointDir)
//
//	params.json    every parameter of the model store (the full recipe)
//	history.csv    epoch, split, every loss term, per image, in its unit
//	metrics.json   the final test measures with their units, and the timings
//	manifest.json  module versions, backend, random seed, git commit, wall time
//	segments.json  which process (build, backend, machine, data checksums) trained which steps
//	nll_curve.csv  the test NLL estimated while training (recipes that ask for it)
//	checkpoint/    the latest checkpoints (weights, optimizer state, random state, epoch, step)
//	figures/       every figure kind the run's model can draw (figurekinds.go), PNG, SVG and PDF
//	code_prior/    a VQ-VAE's PixelCNN code prior: a run directory of its own
//
// Running an experiment again continues it from its checkpoint; a finished run is evaluated
// again (reusing its NLL estimate), rewrites metrics.json and manifest.json, and redraws its
// figures. Flags live in the command (cmd/experiments), never here.
package experiments

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
)

// Experiment is one named recipe: data, model family and store parameters.
type Experiment struct {
	Name        string
	Description string
	Data        datasets.Name
	// TrainOnAll trains on the training and test images together (as the reference tutorials do);
	// the test split is still evaluated every epoch, so its curve is not a held-out one.
	TrainOnAll bool
	Model      string         // a registered family (vaekit.FamilyByName)
	Params     map[string]any // store parameters; see the Param constants of vaekit and the families
	// CodePrior, for a VQ-VAE, holds the store parameters of the PixelCNN prior over its code
	// grids (package pixelcnn), trained after the VQ-VAE on the codes of the training images so
	// that the run can generate; nil: no prior.
	CodePrior map[string]any
	// NLLSamples, if > 0, is the number k of importance samples of the test NLL estimate
	// (vae.ImportanceWeightedNLL) written to metrics.json, for VAEs and CVAEs with a Bernoulli
	// likelihood; Options.MaxNLLSamples caps it.
	NLLSamples int
	// NLLCurveSamples, if > 0, also estimates the test NLL with this many importance samples
	// while the run trains, after each stage of its learning-rate schedule and after its last
	// epoch (training.ScheduleStageEnds), into nll_curve.csv: the likelihood against passes, as
	// the IWAE paper reports it. Options.MaxNLLSamples caps it too.
	NLLCurveSamples int
	// Source says where the settings come from and what had to be chosen.
	Source string
	// Impl, if set, is the model that trains in place of the registered family named Model: a notebook's own code
	// of the family (WithModel). Its Name must be Model, so the recipe, the checkpoint and
	// the evaluation read it as that family; what it can do beyond Loss (sample, encode,
	// quantize) decides its metrics and figures, as for the library's families.
	Impl vaekit.Model
	// CodePriorImpl, if set, is the code prior that trains in place of pixelcnn.Model (its Name
	// must be "pixelcnn"): a notebook's own PixelCNN (WithCodePrior).
	CodePriorImpl vaekit.Model
}

// WithCodePrior returns exp with m as its code prior in place of pixelcnn.Model (CodePriorImpl).
func (exp Experiment) WithCodePrior(m vaekit.Model) Experiment {
	exp.CodePriorImpl = m
	return exp
}

// codePriorModel is the code prior exp trains: CodePriorImpl, or pixelcnn.Model.
func (exp Experiment) codePriorModel() (vaekit.Model, error) {
	if exp.CodePriorImpl == nil {
		return pixelcnn.Model{}, nil
	}
	if name := exp.CodePriorImpl.Name(); name != "pixelcnn" {
		return nil, fmt.Errorf("code prior value %T is named %q: expected \"pixelcnn\"", exp.CodePriorImpl, name)
	}
	return exp.CodePriorImpl, nil
}

// WithModel returns exp trained and opened with m in place of the library's family of the
// same name (Impl); its runs, checkpoints and metrics are written exactly as the recipe's.
func (exp Experiment) WithModel(m vaekit.Model) Experiment {
	exp.Impl = m
	return exp
}

// Variant returns exp with changes applied to its parameters (after them, as overrides) and a
// name that lists them ("mnist-mlp-vae[latent_dim=2,vae_beta=4]"), so that its run gets a
// directory of its own instead of being refused as a changed recipe. No changes: exp itself.
// The values are checked when the variant runs, as every recipe's.
func (exp Experiment) Variant(changes map[string]any) Experiment {
	if len(changes) == 0 {
		return exp
	}
	exp.Params = maps.Clone(exp.Params)
	var names []string
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		exp.Params[k] = changes[k]
		names = append(names, fmt.Sprintf("%s=%v", k, changes[k]))
	}
	exp.Name += "[" + strings.Join(names, ",") + "]"
	return exp
}

// model is the family value exp trains: Impl, or the library's family named Model.
func (exp Experiment) model() (vaekit.Model, error) {
	if exp.Impl == nil {
		return vaekit.FamilyByName(exp.Model)
	}
	if exp.Impl.Name() != exp.Model {
		return nil, fmt.Errorf("model value %T is named %q: expected %q, the family of the recipe", exp.Impl, exp.Impl.Name(), exp.Model)
	}
	return exp.Impl, nil
}

// ClassifierFor returns the experiment whose classifier judges samples of a data set: its
// recipe (mnist-classifier, ...), or for a data set without one (a folder of the user's
// images) the same recipe on that data set, trained on demand into the runs folder.
func ClassifierFor(data datasets.Name) (Experiment, error) {
	if exp, err := Lookup(string(data) + "-classifier"); err == nil {
		return exp, nil
	}
	d, err := datasets.Describe(data)
	if err != nil {
		return Experiment{}, err
	}
	params := classifierRecipe()
	params[training.ParamBatchSize] = min(params[training.ParamBatchSize].(int), d.Images[datasets.Train])
	return Experiment{Name: string(data) + "-classifier", Description: "the classifier that scores samples of " + string(data),
		Data: data, Model: "classifier", Params: params,
		Source: "mnist-classifier's recipe (its batch at most the training images) on a data set without a judge of its own"}, nil
}

// Lookup returns the named experiment.
func Lookup(name string) (Experiment, error) {
	for _, e := range Registry {
		if e.Name == name {
			return e, nil
		}
	}
	names := make([]string, len(Registry))
	for i, e := range Registry {
		names[i] = e.Name
	}
	return Experiment{}, fmt.Errorf("unknown experiment %q: expected one of %s", name, strings.Join(names, ", "))
}
