// Package training is vaekit's one training loop, for every family: a Trainer compiles a
// model's training and evaluation steps (one optimizer, or one per player of an adversarial
// model), and Fit runs the epochs over a data set, with batching and binarization, the BatchNorm
// averages, progress lines, a NaN policy, and checkpoints after which a killed run resumes
// exactly (weights, optimizer and random state, the epoch and the step within it). The training
// parameters (optimizer, learning rate and its schedule, batch size, epochs, random seed, ...)
// are declared here; RecipeChanges says which of a saved run's parameters a request would
// change.
package training

import (
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// Trainer runs the one training loop of vaekit for any Model: it compiles a training step (loss
// terms, gradients, optimizer update) and an evaluation step (loss terms summed over the real
// examples of a padded batch), both reading hyperparameters from the store.
type Trainer struct {
	backend compute.Backend
	store   *model.Store
	model   vaekit.Model
	params  TrainingParams
	terms   []string
	train   *model.Exec
	eval    *model.Exec
	bnStats *model.Exec // built on first use, by EstimateBatchNorm
	// averagedStats estimates the averaged generator's BatchNorm averages (built on first use).
	averagedStats *model.Exec
	skipped       int
	// Progress, if set, shows the progress of the BatchNorm estimate and of Evaluate (Fit sets
	// it to FitOptions.Progress).
	Progress io.Writer
}

// learningRateVariables are the variables where GoMLX's optimizers keep the learning rate
// (optimizer.LearningRateVar: name optimizer.ParamLearningRate in scope optimizer.Scope under the
// scope the optimizer updates): one at the root for a single objective, one under each player's
// scope for an adversarial model (/generator/optimizers/learning_rate), in path order.
func learningRateVariables(store *model.Store) []*model.Variable {
	var vars []*model.Variable
	for v := range store.IterVariables() {
		if v.Name() == optimizer.ParamLearningRate && path.Base(v.Scope()) == optimizer.Scope {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *model.Variable) int { return strings.Compare(a.Path(), b.Path()) })
	return vars
}

// setLearningRate sets every learning-rate variable of store (learningRateVariables) to rate.
func setLearningRate(store *model.Store, rate float64) error {
	for _, v := range learningRateVariables(store) {
		if err := v.SetValue(tensors.FromScalar(float32(rate))); err != nil {
			return err
		}
	}
	return nil
}

// NewTrainer checks the training parameters of store and prepares the steps of m. The store's
// ParamModel is set to m.Name().
func NewTrainer(backend compute.Backend, store *model.Store, m vaekit.Model) (*Trainer, error) {
	p, err := ReadTrainingParams(store)
	if err != nil {
		return nil, err
	}
	store.SetParam(vaekit.ParamModel, m.Name())
	if err := checkAveraging(store, m, p.AveragingDecay); err != nil {
		return nil, err
	}
	t := &Trainer{backend: backend, store: store, model: m, params: p}
	opt := newOptimizer(p)
	t.train, err = model.NewExec(backend, store, func(scope *model.Scope, images, labels *Node) *Node {
		scope = initializing(scope)
		g := images.Graph()
		store.SetTraining(g, true)
		terms := m.Loss(scope, images, labels)
		t.terms = terms.Names()
		means := make([]*Node, len(terms))
		for i, term := range terms {
			means[i] = ReduceAllMean(term.Value)
		}
		if adversarial, ok := m.(vaekit.Adversarial); ok {
			for _, player := range adversarial.Players() {
				i := slices.Index(t.terms, player.Term)
				if i < 0 {
					panic(fmt.Errorf("%s: player %q minimises term %q: expected one of the model's terms %v", m.Name(), player.Scope, player.Term, t.terms))
				}
				opt.UpdateGraph(scope.At("%s", player.Scope), g, means[i])
			}
		} else {
			opt.UpdateGraph(scope, g, means[0])
		}
		if p.AveragingDecay > 0 {
			t.updateAverages(g)
		}
		return Stack(means, 0)
	})
	if err != nil {
		return nil, err
	}
	t.eval, err = model.NewExec(backend, store, func(scope *model.Scope, images, labels, mask *Node) *Node {
		scope = initializing(scope)
		terms := m.Loss(scope, images, labels)
		t.terms = terms.Names()
		sums := make([]*Node, len(terms))
		for i, term := range terms {
			sums[i] = ReduceAllSum(Mul(term.Value, mask))
		}
		return Stack(sums, 0)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// initializing gives scope the initializer ParamInitializer names (checked by
// ReadTrainingParams), for the variables a training, evaluation or BatchNorm graph creates:
// whichever of them is built first creates the model's weights.
func initializing(scope *model.Scope) *model.Scope {
	if vaekit.Param[string](scope, ParamInitializer) == "glorot_uniform" {
		return scope.WithInitializer(initializer.GlorotUniformFn(scope))
	}
	return scope
}

// Params returns the training parameters the trainer was built with.
func (t *Trainer) Params() TrainingParams { return t.params }

// Terms returns the names of the loss terms (known after the first step or evaluation).
func (t *Trainer) Terms() []string { return t.terms }

// CompletedEpochs is the number of epochs trained so far (restored from a checkpoint).
func (t *Trainer) CompletedEpochs() int {
	v, err := t.epochVar().Value()
	if err != nil {
		return 0
	}
	return int(tensors.ToScalar[int64](v))
}

// TrainStep runs one optimisation step on a batch and returns the batch mean of every term.
func (t *Trainer) TrainStep(images, labels *tensors.Tensor) ([]float64, error) {
	out, err := t.train.Exec(images, labels)
	if err != nil {
		return nil, GraphError(err)
	}
	defer Release(out...)
	return float64s(out[0]), nil
}

// EvalStep returns, for every term, the sum over the examples whose mask is 1.
func (t *Trainer) EvalStep(images, labels, mask *tensors.Tensor) ([]float64, error) {
	out, err := t.eval.Exec(images, labels, mask)
	if err != nil {
		return nil, GraphError(err)
	}
	defer Release(out...)
	return float64s(out[0]), nil
}

// GraphError shortens the error of a graph that failed to build because a model panicked on a
// bad parameter: GoMLX wraps the model's message in the names of its executors; what the user
// needs is the message ("building the model: vaekit: parameter ... expected ...").
func GraphError(err error) error {
	const marker = "panicked: "
	msg := err.Error()
	if strings.HasPrefix(msg, "failed during graph construction") {
		if i := strings.LastIndex(msg, marker); i >= 0 {
			return fmt.Errorf("building the model: %s", msg[i+len(marker):])
		}
	}
	return err
}

// float64s copies a float32 vector tensor into float64s.
func float64s(t *tensors.Tensor) []float64 {
	v := tensors.MustCopyFlatData[float32](t)
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return f
}

// Evaluate returns the mean of every term over all of set (no update, no example dropped: the
// last batch is padded and the padding masked out). batchSize <= 0 uses the training batch size.
func (t *Trainer) Evaluate(set *datasets.Set, batchSize int) ([]float64, error) {
	return t.evaluate(set, batchSize, string(set.Split))
}

// evaluate is Evaluate, its progress line naming the set as what.
func (t *Trainer) evaluate(set *datasets.Set, batchSize int, what string) ([]float64, error) {
	if batchSize <= 0 {
		batchSize = t.params.BatchSize
	}
	if set.N == 0 {
		return nil, fmt.Errorf("evaluate: the %s %s set is empty", set.Name, set.Split)
	}
	b := newBatcher(set, batchSize)
	var sums []float64
	phase := NewPhase(t.Progress, "evaluating on "+what, set.N, "images")
	defer phase.End("")
	for start := 0; start < set.N; start += batchSize {
		images, labels, mask := b.sequential(start)
		s, err := t.EvalStep(images, labels, mask)
		Release(images, labels, mask)
		if err != nil {
			return nil, err
		}
		phase.Add(min(batchSize, set.N-start))
		if sums == nil {
			sums = make([]float64, len(s))
		}
		for i := range s {
			sums[i] += s[i]
		}
	}
	for i := range sums {
		sums[i] /= float64(set.N)
	}
	return sums, nil
}
