package experiments

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// Trained is a finished or interrupted run read back from its run directory: what figures and
// evaluation need, without training. Notebook cells run as separate processes, so a cell that
// draws figures opens the run that an earlier cell trained.
type Trained struct {
	Dir        string
	Experiment Experiment
	Backend    compute.Backend
	Store      *model.Store
	Model      vaekit.Model
	History    *vaekit.History
	Test       *datasets.Set
}

// Open reads the run of exp under runsDir (as written by Run with the same Options).
func Open(exp Experiment, opts Options) (*Trained, error) {
	m, err := ModelByName(exp.Model)
	if err != nil {
		return nil, err
	}
	if opts.RunsDir == "" {
		opts.RunsDir = "runs"
	}
	dir := filepath.Join(opts.RunsDir, exp.Name)
	hist, err := vaekit.ReadHistory(filepath.Join(dir, "history.csv"))
	if err != nil {
		return nil, fmt.Errorf("run %s has no history (train it first): %w", dir, err)
	}
	backend, _, err := vaekit.NewBackend()
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if _, err := checkpoint.Build(store).Dir(filepath.Join(dir, "checkpoint")).Done(); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	if got := model.GetParamOr(store.RootScope(), vaekit.ParamModel, ""); got != m.Name() {
		return nil, fmt.Errorf("run %s holds model %q, not %q", dir, got, m.Name())
	}
	_, test, err := loadData(exp, opts)
	if err != nil {
		return nil, err
	}
	return &Trained{Dir: dir, Experiment: exp, Backend: backend, Store: store, Model: m, History: hist, Test: test}, nil
}

// Figures draws the run's figures into its figures folder (see DrawFigures) and returns the paths.
func (t *Trained) Figures() ([]string, error) {
	return DrawFigures(t.Backend, t.Store, t.Model, t.History, t.Test, t.Experiment.Name, filepath.Join(t.Dir, "figures"))
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
		gonbui.DisplayPNG(data)
	}
	return nil
}

// OptionsFromEnv is what notebooks use: the full experiment, or the quick mode of QuickOptions
// when the environment variable VAEKIT_QUICK is 1 (set by `make notebooks` for CI). Quick runs
// go under runsDir/quick, so that they never resume into, or get resumed by, a full run.
func OptionsFromEnv(runsDir string) Options {
	if os.Getenv("VAEKIT_QUICK") == "1" {
		return QuickOptions(filepath.Join(runsDir, "quick"))
	}
	return Options{RunsDir: runsDir}
}
