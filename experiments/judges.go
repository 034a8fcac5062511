package experiments

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/training"
)

// judgeFiles are the recorded judges (judges/README.md): the classifier of each data set whose
// weights every run's evaluation uses, so that its numbers are comparable across runs, days and
// machines.
//
//go:embed judges
var judgeFiles embed.FS

// JudgesDir is the repository folder of the recorded judges (relative to the experiments
// package), one folder per data set, each with its weights in WeightsDir.
const JudgesDir = "judges"

// recordedJudge reads the recorded judge of a data set into a Trained (no run directory: Dir
// names the embedded folder), or returns nil when the data set has none.
func recordedJudge(exp Experiment, test *datasets.Set) (*Trained, error) {
	root := path.Join(JudgesDir, string(exp.Data))
	if _, err := fs.Stat(judgeFiles, root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	m, err := exp.model()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "vaekit-judge-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	sub, err := fs.Sub(judgeFiles, root)
	if err != nil {
		return nil, err
	}
	if err := os.CopyFS(tmp, sub); err != nil {
		return nil, fmt.Errorf("recorded judge %s: %w", root, err)
	}
	hist, err := history.Read(filepath.Join(tmp, history.File))
	if err != nil {
		return nil, fmt.Errorf("recorded judge %s: %w", root, err)
	}
	store := model.NewStore()
	if _, err := checkpoint.Build(store).Dir(filepath.Join(tmp, WeightsDir)).Immediate().Done(); err != nil {
		return nil, fmt.Errorf("recorded judge %s: %w", root, err)
	}
	backend, err := storeBackend(m, store)
	if err != nil {
		return nil, fmt.Errorf("recorded judge %s: %w", root, err)
	}
	return &Trained{Dir: "experiments/" + root + " (recorded)", Experiment: exp, Backend: backend, Store: store, Model: m, History: hist, Test: test}, nil
}

// RecordJudge trains the classifier recipe of a data set at its full settings into
// opts.RunsDir (resuming or reading back a run there) and writes it as the data set's recorded
// judge into dir (JudgesDir/<data set> of the repository, which the package embeds when it is
// next built): its weights without the optimizer's state, history, metrics, parameters and
// manifest. It returns the folder written.
func RecordJudge(ctx context.Context, data datasets.Name, dir string, opts Options) (string, error) {
	exp, err := ClassifierFor(data)
	if err != nil {
		return "", err
	}
	opts.Epochs, opts.MaxSteps, opts.TrainSubset, opts.TestSubset, opts.Overrides = 0, 0, 0, 0, nil
	res, err := Run(ctx, exp, opts)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, string(data))
	// Assembled beside the older judge (a dot-folder, which go:embed leaves out) and renamed into
	// place, so that a refusal or failure leaves the older judge whole.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".judge-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	store := model.NewStore()
	if _, err := checkpoint.Build(store).Dir(filepath.Join(res.Dir, training.CheckpointDir)).Immediate().Done(); err != nil {
		return "", err
	}
	rounded, err := writeWeights(store, filepath.Join(tmp, WeightsDir))
	if err != nil {
		return "", fmt.Errorf("recorded judge %s: %w", out, err)
	}
	if rounded {
		// Its accuracy, which every run's sample measures lean on, was measured at float32.
		return "", fmt.Errorf("recorded judge %s: its weights pass %d MiB at float32: expected a classifier small enough to keep them unrounded",
			out, MaxWeightsFileBytes>>20)
	}
	for _, name := range []string{history.File, MetricsFile, ParamsFile, ManifestFile} {
		data, err := os.ReadFile(filepath.Join(res.Dir, name))
		if err != nil {
			return "", err
		}
		if err := atomicfile.Write(filepath.Join(tmp, name), data); err != nil {
			return "", err
		}
	}
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}
