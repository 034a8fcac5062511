package training

import (
	"context"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
)

// isBatchNormAverage says whether v is one of the averages a BatchNorm layer keeps for
// inference (GoMLX's norm.BatchNorm: "mean", "variance" and their "avg_weight", in a scope
// named "batchnorm" by vaekit's blocks or "batch_normalization" by GoMLX's default).
func isBatchNormAverage(v *model.Variable) bool {
	scope, name := model.SplitPath(v.Path())
	if name != "mean" && name != "variance" && name != "avg_weight" {
		return false
	}
	return strings.HasSuffix(scope, "/batchnorm") || strings.HasSuffix(scope, "/batch_normalization")
}

// EstimateBatchNorm sets the BatchNorm averages to the mean and variance of each layer's input
// over the first batches of order in set, with the current weights: the weight of the averages
// is reset, so the first batch replaces them and the next ones are averaged in with equal weight
// up to the layer's momentum (100 batches at 0.99). Nothing else changes: the weights, the
// optimizer, the random state and any other variable the model updates in training mode keep
// their values. It does nothing for a model without BatchNorm.
func (t *Trainer) EstimateBatchNorm(ctx context.Context, set *datasets.Set, order []int32, batches int) error {
	var averages []*model.Variable
	for v := range t.store.IterVariables() {
		// The averaged generator's (ParamAveragingDecay) are estimated from its own samples.
		if isBatchNormAverage(v) && v.HasValue() && !isAverage(v) {
			averages = append(averages, v)
		}
	}
	batches = min(batches, len(order)/t.params.BatchSize)
	if len(averages) == 0 || batches <= 0 {
		return nil
	}
	for _, v := range averages {
		if _, name := model.SplitPath(v.Path()); name == "avg_weight" {
			if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
				return err
			}
		}
	}
	if t.bnStats == nil {
		var err error
		t.bnStats, err = model.NewExec(t.backend, t.store, func(scope *model.Scope, images, labels *Node) *Node {
			scope = initializing(scope)
			g := images.Graph()
			t.store.SetTraining(g, true)
			setBack := keepState(t.store, g)
			terms := t.model.Loss(scope, images, labels)
			setBack()
			return ReduceAllMean(terms[0].Value)
		})
		if err != nil {
			return err
		}
	}
	b := newBatcher(set, t.params.BatchSize)
	phase := NewPhase(t.Progress, "BatchNorm averages", batches, "batches")
	defer phase.End("")
	for bt := range b.prefetch(ctx, order, batches) {
		out, err := t.bnStats.Exec(bt.images, bt.labels)
		Release(bt.images, bt.labels)
		if err != nil {
			return GraphError(err)
		}
		Release(out...)
		phase.Add(1)
	}
	return ctx.Err()
}

// keepState takes, in graph g, the values of the variables other than the BatchNorm averages
// that a model may update in training mode (the random state, a VQ-VAE's moving-average
// codebook), and returns the function that sets them back: a graph that only estimates the
// BatchNorm averages changes nothing else.
func keepState(store *model.Store, g *Graph) (setBack func()) {
	kept := map[*model.Variable]*Node{}
	for v := range store.IterVariables() {
		if !v.Trainable && !isBatchNormAverage(v) && v.HasValue() {
			kept[v] = v.NodeValue(g)
		}
	}
	return func() {
		for v, node := range kept {
			v.SetNodeValue(node)
		}
	}
}
