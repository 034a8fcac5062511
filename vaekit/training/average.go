package training

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/vaekit"
)

// ParamAveragingDecay is the decay of the exponential moving average of an Averaged model's
// weights (a GAN's generator) that sampling uses (default 0: no average). After every step the
// trainer sets each average to d * average + (1 - d) * weight, with d = min(decay, n / (n + 10))
// at the n-th update (n = 0, 1, ...): the first update copies the weights, and the early
// averages span the steps so far rather than the random initial weights (the warm-up of
// TensorFlow's ExponentialMovingAverage with num_updates, min(decay, (1+n)/(10+n)), one update
// later, so that the first copies). 0.999 averages over about the last thousand steps.
// The averaged generator's BatchNorm averages are not averaged: after every epoch they are
// estimated afresh from its own outputs on averagedBatchNormBatches batches of noise, as the
// averaged weights normalize them (BigGAN's "standing statistics"; a conditional generator's
// from its first class). A run's decay is part of its recipe: resuming it with another is
// refused.
const ParamAveragingDecay = "ema_decay"

// averagesUpdatesVariable counts the updates of the averages (n above).
const averagesUpdatesVariable = "/vaekit/averages_updates"

// averagedBatchNormBatches is the number of batches of noise over which the averaged
// generator's BatchNorm averages are estimated after every epoch: the horizon of the layers'
// momentum (0.99), or the epoch's steps where it has fewer (a quick run's).
const averagedBatchNormBatches = 100

// averagesWarmup is the 10 of min(decay, n / (n + 10)).
const averagesWarmup = 10

// averagedVariables are the variables the averages follow: the trainable variables under the
// averaged scope, less the optimizer's state kept there, in path order.
func averagedVariables(store *model.Store, scope string) []*model.Variable {
	prefix := "/" + scope + "/"
	var vars []*model.Variable
	for v := range store.IterVariables() {
		if v.Trainable && strings.HasPrefix(v.Path(), prefix) && !strings.Contains(v.Path(), "/"+optimizer.Scope+"/") &&
			!isBatchNormAverage(v) {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *model.Variable) int { return strings.Compare(a.Path(), b.Path()) })
	return vars
}

// checkAveraging refuses a decay for a model that names nothing to average, and marks the store
// as one whose samples come from the averages, copying the parameters scoped under the averaged
// scope below AveragesScope, so that the averaged copy reads what the model does.
func checkAveraging(store *model.Store, m vaekit.Model, decay float64) error {
	if decay == 0 {
		return nil
	}
	a, ok := m.(vaekit.Averaged)
	if !ok {
		return fmt.Errorf("parameter %s = %g: model %q has no weights to average: expected 0, or a model that names them (a GAN's generator)",
			ParamAveragingDecay, decay, m.Name())
	}
	prefix := "/" + a.AveragedScope()
	var scoped []string
	for path := range store.IterParams() {
		if strings.HasPrefix(path, prefix+"/") {
			scoped = append(scoped, path)
		}
	}
	for _, path := range scoped {
		value, _ := store.GetParam(path)
		store.SetParam(vaekit.AveragedPath(path), value)
	}
	store.SetParam(vaekit.ParamSampleAverages, true)
	return nil
}

// updateAverages adds to the training graph g the update of the averages of m's averaged
// variables (ParamAveragingDecay), after the optimizers' updates, creating the averages (zeros,
// not trained: the first update copies the weights) on the first build.
func (t *Trainer) updateAverages(g *Graph) {
	a := t.model.(vaekit.Averaged)
	vars := averagedVariables(t.store, a.AveragedScope())
	if len(vars) == 0 {
		panic(fmt.Errorf("%s: parameter %s = %g: no trainable variable under scope %q to average",
			t.model.Name(), ParamAveragingDecay, t.params.AveragingDecay, a.AveragedScope()))
	}
	counter := t.averagesCounter()
	n := counter.NodeValue(g)
	nf := ConvertDType(n, vars[0].DType())
	decay := Min(Scalar(g, nf.DType(), t.params.AveragingDecay), Div(nf, AddScalar(nf, averagesWarmup)))
	for _, v := range vars {
		avg := t.store.VariableWithShape(vaekit.AveragedPath(v.Path()), v.Shape(), initializer.Zero).SetTrainable(false)
		d := ConvertDType(decay, v.DType())
		avg.SetNodeValue(Add(Mul(d, avg.NodeValue(g)), Mul(OneMinus(d), v.NodeValue(g))))
	}
	counter.SetNodeValue(AddScalar(n, 1))
}

// averagesCounter returns the count of updates of the averages, loading it from an attached
// checkpoint or creating it at 0.
func (t *Trainer) averagesCounter() *model.Variable {
	if v := t.store.GetVariable(averagesUpdatesVariable); v != nil {
		return v.SetTrainable(false)
	}
	scope, name := model.SplitPath(averagesUpdatesVariable)
	return t.store.RootScope().At("%s", strings.TrimPrefix(scope, "/")).VariableWithValue(name, int64(0)).SetTrainable(false)
}

// estimateAveragedBatchNorm sets the BatchNorm averages of the averaged generator to the mean
// and variance of each layer's input over averagedBatchNormBatches batches of noise (at most the
// epoch's steps) drawn for the epoch (the same for a resumed run), with the averaged weights.
// Nothing else changes.
func (t *Trainer) estimateAveragedBatchNorm(ctx context.Context, epoch, steps int) error {
	if t.params.AveragingDecay == 0 {
		return nil
	}
	gen, ok := t.model.(vaekit.Generator)
	if !ok {
		return fmt.Errorf("%s: parameter %s: the model does not decode noise", t.model.Name(), ParamAveragingDecay)
	}
	// The averaged layers' weights of their BatchNorm averages, asked for by path: a checkpoint
	// loads a variable when it is first asked for, so a resumed run's would not be listed yet.
	var weights []*model.Variable
	for v := range t.store.IterVariables() {
		if _, name := model.SplitPath(v.Path()); name == "avg_weight" && isBatchNormAverage(v) && !isAverage(v) {
			if avg := t.store.GetVariable(vaekit.AveragedPath(v.Path())); avg != nil && avg.HasValue() {
				weights = append(weights, avg)
			}
		}
	}
	for _, v := range weights {
		if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
			return err
		}
	}
	if t.averagedStats == nil {
		var err error
		t.averagedStats, err = model.NewExec(t.backend, t.store, func(scope *model.Scope, z *Node) *Node {
			g := z.Graph()
			t.store.SetTraining(g, true)
			setBack := keepState(t.store, g)
			// Class 0 for a conditional generator: the statistics are those of its first class.
			labels := Zeros(g, shapes.Make(dtypes.Int32, z.Shape().Dim(0)))
			out := gen.Decode(vaekit.SamplingScope(scope), z, labels)
			setBack()
			// Building a BatchNorm layer marks its scale and offset trainable (GoMLX's
			// norm.BatchNorm): the averaged ones follow the averaging only.
			for v := range t.store.IterVariables() {
				if isAverage(v) {
					v.SetTrainable(false)
				}
			}
			return ReduceAllMean(out)
		})
		if err != nil {
			return err
		}
	}
	d := gen.LatentDim(t.store)
	rng := rand.New(rand.NewPCG(uint64(t.params.Seed), uint64(epoch)))
	noise := make([]float32, t.params.BatchSize*d)
	for b := 0; b < min(averagedBatchNormBatches, max(steps, 1)); b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range noise {
			noise[i] = float32(rng.NormFloat64())
		}
		out, err := t.averagedStats.Exec(tensors.FromFlatDataAndDimensions(noise, t.params.BatchSize, d))
		if err != nil {
			return GraphError(err)
		}
		Release(out...)
		if b == 0 && !t.averagedBatchNorm() {
			return nil // a generator without BatchNorm (the first batch built the graph): nothing to estimate
		}
	}
	return nil
}

// averagedBatchNorm says whether the averaged generator has BatchNorm averages.
func (t *Trainer) averagedBatchNorm() bool {
	for v := range t.store.IterVariables() {
		if isBatchNormAverage(v) && isAverage(v) {
			return true
		}
	}
	return false
}

// isAverage says whether v is an average (ParamAveragingDecay) of another variable.
func isAverage(v *model.Variable) bool {
	_, ok := vaekit.AveragedFrom(v.Path())
	return ok
}
