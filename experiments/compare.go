package experiments

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
)

// CompareTolerance is the relative difference up to which Comparison.Err accepts a loss term:
// the same computation written another way (a sum in another order) differs by float32
// rounding, about 1e-7; a different model differs by far more.
const CompareTolerance = 1e-5

// Comparison holds a model's loss terms next to the library recipe's, for the same training
// steps from the same random seed on the same test images.
type Comparison struct {
	Experiment string
	Terms      []string
	// Model and Recipe hold, per step, the batch mean of every term.
	Model, Recipe [][]float64
}

// CompareWithRecipe trains m and the library's family of exp's recipe side by side for two steps
// on the first batch of test images, each from a new store with the recipe's parameters (and
// opts' overrides) and the same random seed, and returns the loss terms of both. Equal first-step
// terms are equal losses; the second step's come after one update, which for Adam and RMSprop
// moves each weight by an amount that hardly depends on its gradient's size, so equal terms there
// show gradients of the same sign, not of the same size. Notebooks that write a family from vaekit's building blocks call it to show that
// their model is the recipe's, and a test calls it on the notebooks' code.
func CompareWithRecipe(exp Experiment, m vaekit.Model, opts Options) (*Comparison, error) {
	recipe, err := vaekit.FamilyByName(exp.Model)
	if err != nil {
		return nil, err
	}
	if _, err := exp.WithModel(m).model(); err != nil {
		return nil, err
	}
	params, err := preflight(exp, recipe.Name(), opts)
	if err != nil {
		return nil, err
	}
	backend, _, err := backends.For(workload(recipe, params))
	if err != nil {
		return nil, err
	}
	data := opts.Data
	data.Verify = true
	test, err := datasets.Load(exp.Data, datasets.Test, data)
	if err != nil {
		return nil, err
	}
	batch, _ := params.Get(training.ParamBatchSize, recipe.Name())
	images, labels, err := infer.FirstImages(test, min(batch.(int), test.N))
	if err != nil {
		return nil, err
	}
	defer training.Release(images, labels)
	stored := maps.Clone(map[string]any(params))
	stored[vaekit.ParamImageShape] = test.Shape()
	c, err := CompareModels(backend, m, recipe, stored, images, labels)
	if c != nil {
		c.Experiment = exp.Name
	}
	return c, err
}

// CompareModels trains model and reference side by side for two steps on one batch (images and
// labels), each from a new store holding params (checked by the trainer) and so the same random seed,
// and returns the loss terms of both: CompareWithRecipe for a recipe, and a notebook's code prior
// against pixelcnn.Model on code grids.
func CompareModels(backend compute.Backend, m, reference vaekit.Model, params map[string]any, images, labels *tensors.Tensor) (*Comparison, error) {
	if m.Name() != reference.Name() {
		return nil, fmt.Errorf("model value %T is named %q: expected %q, the family of %T", m, m.Name(), reference.Name(), reference)
	}
	c := &Comparison{Experiment: reference.Name()}
	for i, fam := range []vaekit.Model{m, reference} {
		store := model.NewStore()
		store.SetParams(params)
		trainer, err := training.NewTrainer(backend, store, fam)
		if err != nil {
			return nil, err
		}
		var steps [][]float64
		for range 2 {
			terms, err := trainer.TrainStep(images, labels)
			if err != nil {
				return nil, fmt.Errorf("%T: %w", fam, err)
			}
			steps = append(steps, terms)
		}
		if i == 0 {
			c.Terms, c.Model = trainer.Terms(), steps
		} else if !slices.Equal(c.Terms, trainer.Terms()) {
			return nil, fmt.Errorf("%T has the terms %v: expected those of %T, %v", m, c.Terms, reference, trainer.Terms())
		} else {
			c.Recipe = steps
		}
	}
	return c, nil
}

// MaxRelativeDifference is the largest |model - recipe| / max(|recipe|, 1e-12) over every
// step and term.
func (c *Comparison) MaxRelativeDifference() float64 {
	worst := 0.0
	for s := range c.Model {
		for t := range c.Model[s] {
			d := math.Abs(c.Model[s][t]-c.Recipe[s][t]) / math.Max(math.Abs(c.Recipe[s][t]), 1e-12)
			if math.IsNaN(d) || d > worst {
				worst = d
			}
		}
	}
	return worst
}

// Err says whether a term differs by more than CompareTolerance, naming the largest difference.
func (c *Comparison) Err() error {
	if d := c.MaxRelativeDifference(); !(d <= CompareTolerance) {
		return fmt.Errorf("the model's loss terms differ from recipe %s's by up to %.3g (relative; expected at most %g):\n%s",
			c.Experiment, d, CompareTolerance, c)
	}
	return nil
}

// String is the comparison as a table: one row per step and term.
func (c *Comparison) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-16s %14s %14s\n", "step", "term", "this model", c.Experiment)
	for s := range c.Model {
		for t, name := range c.Terms {
			fmt.Fprintf(&b, "%-5d %-16s %14.6f %14.6f\n", s+1, name, c.Model[s][t], c.Recipe[s][t])
		}
	}
	fmt.Fprintf(&b, "largest relative difference: %.3g", c.MaxRelativeDifference())
	return b.String()
}

// NewWorkbench returns a workbench for exp's recipe (with opts' overrides applied): its
// parameters checked as a run's are, the image shape of its data set (every data set is
// 28 x 28 x 1, the datasets contract), and the backend its run would use. Notebooks build and
// run a family's pieces on it before they train.
func NewWorkbench(exp Experiment, opts Options) (*infer.Workbench, error) {
	m, err := exp.model()
	if err != nil {
		return nil, err
	}
	params, err := preflight(exp, m.Name(), opts)
	if err != nil {
		return nil, err
	}
	backend, _, err := backends.For(workload(m, params))
	if err != nil {
		return nil, err
	}
	data, err := datasets.Describe(exp.Data)
	if err != nil {
		return nil, err
	}
	stored := maps.Clone(map[string]any(params))
	stored[vaekit.ParamImageShape] = data.ImageShape()
	return infer.NewWorkbench(backend, m.Name(), stored)
}
