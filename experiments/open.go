package experiments

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/vaekit"
)

// Open reads the run of exp under runsDir (as written by Run with the same Options).
func Open(exp Experiment, opts Options) (*Trained, error) {
	m, err := ModelByName(exp.Model)
	if err != nil {
		return nil, err
	}
	if opts.RunsDir == "" {
		opts.RunsDir = DefaultRunsDir
	}
	dir := filepath.Join(opts.RunsDir, exp.Name)
	hist, err := vaekit.ReadHistory(filepath.Join(dir, vaekit.HistoryFile))
	if err != nil {
		return nil, fmt.Errorf("run %s has no history (train it first): %w", dir, err)
	}
	store, err := loadStore(filepath.Join(dir, vaekit.CheckpointDir))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	if got := model.GetParamOr(store.RootScope(), vaekit.ParamModel, ""); got != m.Name() {
		return nil, fmt.Errorf("run %s holds model %q, not %q", dir, got, m.Name())
	}
	// A checkpoint's parameters pass the same checks as a recipe's (a hand-edited or foreign
	// checkpoint is refused here, not halfway through a figure).
	params, err := vaekit.CheckParams(m.Name(), storeParams(store))
	if err != nil {
		return nil, fmt.Errorf("run %s: checkpoint: %w", dir, err)
	}
	backend, _, err := vaekit.NewBackendFor(workload(m, params))
	if err != nil {
		return nil, err
	}
	_, test, err := loadData(exp, opts)
	if err != nil {
		return nil, err
	}
	t := &Trained{Dir: dir, Experiment: exp, Backend: backend, Store: store, Model: m, History: hist, Test: test}
	if exp.CodePrior != nil {
		priorDir := filepath.Join(dir, codePriorDir)
		prior := &CodePrior{}
		if prior.History, err = vaekit.ReadHistory(filepath.Join(priorDir, vaekit.HistoryFile)); err != nil {
			return nil, fmt.Errorf("run %s has no trained code prior (run it to the end first): %w", dir, err)
		}
		if prior.Store, err = loadStore(filepath.Join(priorDir, vaekit.CheckpointDir)); err != nil {
			return nil, fmt.Errorf("run %s: code prior: %w", dir, err)
		}
		t.Prior = prior
	}
	return t, nil
}

// loadStore reads the newest checkpoint of a folder into a new store.
func loadStore(dir string) (*model.Store, error) {
	store := model.NewStore()
	if _, err := checkpoint.Build(store).Dir(dir).Done(); err != nil {
		return nil, err
	}
	return store, nil
}

// Show displays PNG figures inline when running in a GoNB notebook, and prints their paths
// otherwise. Files that are not PNG (the SVG twins) are skipped.
func Show(paths ...string) error {
	for _, p := range paths {
		if filepath.Ext(p) != ".png" {
			continue
		}
		if !gonbui.IsNotebook {
			fmt.Println(p)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		gonbui.DisplayPng(data)
	}
	return nil
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

// notebookNLLSamples caps the importance samples of the test NLL in notebooks: k = 100 takes
// seconds; the experiments' own k (1000 or 5000) takes minutes (BenchmarkImportanceWeightedNLL).
const notebookNLLSamples = 100

// OptionsFromEnv is what notebooks use: the full experiment, or the quick mode of QuickOptions
// when the environment variable VAEKIT_QUICK is 1 (set by `make notebooks` for CI), with the loss
// curves redrawn live in the notebook while training. Quick runs go under runsDir/quick, so that
// they never resume into, or get resumed by, a full run.
func OptionsFromEnv(runsDir string) Options {
	opts := Options{RunsDir: runsDir}
	if os.Getenv("VAEKIT_QUICK") == "1" {
		opts = QuickOptions(filepath.Join(runsDir, "quick"))
	}
	opts.LiveLossCurves = true
	if gonbui.IsNotebook {
		// Progress goes to standard output, where each phase is one line redrawn in place;
		// Jupyter paints standard error as error boxes.
		opts.Log = os.Stdout
	}
	if opts.MaxNLLSamples == 0 {
		opts.MaxNLLSamples = notebookNLLSamples
	}
	return opts
}
