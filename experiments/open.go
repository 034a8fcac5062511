package experiments

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Open reads the run of exp under runsDir (as written by Run with the same Options).
func Open(exp Experiment, opts Options) (*Trained, error) {
	m, err := exp.model()
	if err != nil {
		return nil, err
	}
	if opts.RunsDir == "" {
		opts.RunsDir = DefaultRunsDir
	}
	dir := filepath.Join(opts.RunsDir, exp.Name)
	hist, err := history.Read(filepath.Join(dir, history.File))
	if err != nil {
		return nil, fmt.Errorf("run %s has no history (train it first): %w", dir, err)
	}
	hist.TestSeen = exp.TrainOnAll
	store, err := runStore(dir)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	if got := model.GetParamOr(store.RootScope(), vaekit.ParamModel, ""); got != m.Name() {
		return nil, fmt.Errorf("run %s holds model %q, not %q", dir, got, m.Name())
	}
	backend, err := storeBackend(m, store)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	_, test, err := loadData(exp, opts)
	if err != nil {
		return nil, err
	}
	t := &Trained{Dir: dir, Experiment: exp, Backend: backend, Store: store, Model: m, History: hist, Test: test}
	if exp.CodePrior != nil {
		priorDir := filepath.Join(dir, codePriorDir)
		prior := &CodePrior{}
		if prior.History, err = history.Read(filepath.Join(priorDir, history.File)); err != nil {
			return nil, fmt.Errorf("run %s has no trained code prior (run it to the end first): %w", dir, err)
		}
		if prior.Store, err = runStore(priorDir); err != nil {
			return nil, fmt.Errorf("run %s: code prior: %w", dir, err)
		}
		t.Prior = prior
	}
	return t, nil
}

// OpenDir reads back the finished run in dir, whatever its parent folder: its experiment is
// the registry's of the name in its metrics.json (a variant's, "mnist-mlp-vae[latent_dim=2]",
// is its recipe's, under the variant's name; its checkpoint holds its parameters).
func OpenDir(dir string, opts Options) (*Trained, error) {
	f, err := ReadFinished(dir)
	if err != nil {
		return nil, err
	}
	name := f.Metrics.Experiment
	recipe, _, _ := strings.Cut(name, "[")
	exp, err := Lookup(recipe)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	if filepath.Base(filepath.Clean(dir)) != name {
		return nil, fmt.Errorf("run %s holds experiment %q: expected its folder to be named so", dir, name)
	}
	exp.Name = name
	opts.RunsDir = filepath.Dir(filepath.Clean(dir))
	return Open(exp, opts)
}

// storeBackend checks the parameters of a store read from a checkpoint as a recipe's are
// checked (a hand-edited or foreign checkpoint is refused here, not halfway through a figure) and
// returns the backend its model runs on by default.
func storeBackend(m vaekit.Model, store *model.Store) (compute.Backend, error) {
	params, err := paramtable.CheckAll(m.Name(), storeParams(store))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	backend, _, err := backends.For(workload(m, params))
	return backend, err
}

// loadStore reads the newest checkpoint of a folder into a new store, widening float16 weights
// (a record's, rounded to fit MaxWeightsFileBytes) to float32 as the model asks for them.
func loadStore(dir string) (*model.Store, error) {
	store := model.NewStore()
	if _, err := checkpoint.Build(store).Dir(dir).Done(); err != nil {
		return nil, err
	}
	store.SetLoader(widening{store.Loader()})
	return store, nil
}

// Pick returns the PNG paths among paths whose figure name (the file name without its extension)
// is one of names, in the order of names: Show(Pick(paths, "loss_curves", "samples")...).
func Pick(paths []string, names ...string) []string {
	var out []string
	for _, name := range names {
		for _, p := range paths {
			if filepath.Base(p) == name+".png" {
				out = append(out, p)
			}
		}
	}
	return out
}
