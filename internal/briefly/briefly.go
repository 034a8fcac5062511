// Package briefly trains a model for a few epochs on a small synthetic set (testutil.SquaresSet),
// for the Example functions of the family packages: each shows what its family does once
// trained, not the training loop (vaekit's ExampleTrainer_Fit shows that).
package briefly

import (
	"context"
	"maps"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// Train trains m with params (over small defaults: batch 32, Adam 3e-3, seed 1) for epochs
// epochs on 256 squares, on the pure-Go backend, and returns its store, history and test set.
func Train(m vaekit.Model, params map[string]any, epochs int) (*model.Store, *history.History, *datasets.Set, error) {
	p := map[string]any{training.ParamBatchSize: 32, training.ParamLearningRate: 3e-3, training.ParamSeed: int64(1),
		training.ParamEpochs: epochs}
	if spec, _ := paramtable.Lookup(vaekit.ParamNumClasses); spec.Reads(m.Name()) {
		p[vaekit.ParamNumClasses] = 4 // the squares' classes
	}
	maps.Copy(p, params)
	checked, err := paramtable.CheckAll(m.Name(), p)
	if err != nil {
		return nil, nil, nil, err
	}
	store := model.NewStore()
	store.SetParams(checked)
	trainer, err := training.NewTrainer(backends.Go(), store, m)
	if err != nil {
		return nil, nil, nil, err
	}
	train, test := testutil.SquaresSet(256, 1), testutil.SquaresSet(64, 2)
	hist, err := trainer.Fit(context.Background(), train, test, training.FitOptions{})
	return store, hist, test, err
}

// Trainer is a trainer of m on the pure-Go backend with params in a new store, for tests; it
// fails the test on an error.
func Trainer(tb testing.TB, m vaekit.Model, params map[string]any) (*training.Trainer, *model.Store) {
	tb.Helper()
	store := model.NewStore()
	store.SetParams(params)
	tr, err := training.NewTrainer(backends.Go(), store, m)
	if err != nil {
		tb.Fatal(err)
	}
	return tr, store
}

// Batch is the first n examples of set as one batch of images and labels.
func Batch(set *datasets.Set, n int) (images, labels *tensors.Tensor) {
	images, labels, err := infer.FirstImages(set, n)
	if err != nil {
		panic(err) // a test's own data: a wrong n is the test's bug
	}
	return images, labels
}
