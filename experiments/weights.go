package experiments

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/vaekit/training"
)

// WeightsDir is the folder of a record (and of its code prior's, and of a recorded judge) that
// holds the model's final weights: a GoMLX checkpoint of the model's variables and parameters
// only, without the optimizer's state or the training loop's, so that a record can be opened,
// evaluated and drawn again (Open, RedrawFigures) but not resumed.
const WeightsDir = "weights"

// MaxWeightsFileBytes bounds each file of a record's weights, so that records stay small enough
// for git; Record refuses a model whose weights are larger.
const MaxWeightsFileBytes = 5 << 20

// writeWeights writes the model variables of store, with its parameters, to the checkpoint
// folder out.
func writeWeights(store *model.Store, out string) error {
	weights, err := checkpoint.Build(store).Dir(out).Done()
	if err != nil {
		return err
	}
	kept := 0
	for v := range store.IterVariables() {
		if !training.IsModelVariable(v) {
			weights.ExcludeVarsFromSaving(v)
		} else if v.HasValue() {
			kept++
		}
	}
	if kept == 0 {
		return fmt.Errorf("weights %s: the store holds no model variable with a value", out)
	}
	if err := weights.Save(); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if info, err := os.Stat(f); err == nil && info.Size() > MaxWeightsFileBytes {
			return fmt.Errorf("weights file %s is %.1f MiB: expected at most %d MiB per file", f, float64(info.Size())/(1<<20), MaxWeightsFileBytes>>20)
		}
	}
	return nil
}

// runStore reads the model of a run directory: from its newest checkpoint, or, for a record
// (which keeps no checkpoint), from its weights.
func runStore(dir string) (*model.Store, error) {
	ckpt := filepath.Join(dir, training.CheckpointDir)
	if _, err := os.Stat(ckpt); err == nil {
		return loadStore(ckpt)
	}
	weights := filepath.Join(dir, WeightsDir)
	if _, err := os.Stat(weights); err != nil {
		return nil, fmt.Errorf("%s has neither a checkpoint (%s/) nor recorded weights (%s/)", dir, training.CheckpointDir, WeightsDir)
	}
	return loadStore(weights)
}
