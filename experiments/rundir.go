package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/training"
)

// The layout of a run directory; this file is the one place that names its parts (the
// checkpoint and the history are vaekit's: training.CheckpointDir, history.File).
const (
	// DefaultRunsDir is the parent of the run directories when none is given.
	DefaultRunsDir = "runs"
	// ParamsFile holds every parameter of the model store: the recipe.
	ParamsFile = "params.json"
	// MetricsFile holds the test metrics, with their units and timings.
	MetricsFile = "metrics.json"
	// ManifestFile holds the module versions, backend, seed, commit and wall time.
	ManifestFile = "manifest.json"
	// FiguresDir holds the figures, each as PNG, SVG and PDF.
	FiguresDir = "figures"
	// SegmentsFile lists the training segments of a run directory (or of its code prior's):
	// one entry for every process that trained it, appended as that process saves checkpoints,
	// so a run trained by several processes (resumed after a kill, after a rebuild, on another
	// machine) says which build, backend, machine and data trained which steps.
	SegmentsFile = "segments.json"
	// NLLCurveFile holds a run's test NLL estimated while it trained
	// (Experiment.NLLCurveSamples): one row per estimate, "epoch,k,images,nll_nats".
	NLLCurveFile = "nll_curve.csv"
	// codePriorDir is the run directory of a VQ-VAE's code prior, inside the VQ-VAE's.
	codePriorDir = "code_prior"
)

// checkWritable checks that dir can be made and written: the nearest folder of it that exists
// takes a file.
func checkWritable(dir string) error {
	if dir == "" {
		dir = DefaultRunsDir
	}
	existing := dir
	for {
		info, err := os.Stat(existing)
		if err == nil {
			if !info.IsDir() {
				return fmt.Errorf("runs folder %s: %s is not a directory", dir, existing)
			}
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return fmt.Errorf("runs folder %s: %w", dir, err)
		}
		existing = parent
	}
	f, err := os.CreateTemp(existing, ".vaekit-check-*")
	if err != nil {
		return fmt.Errorf("runs folder %s cannot be written: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// maxConcurrentRuns bounds the run directories tried for one experiment in one runs folder.
const maxConcurrentRuns = 9

// lockRunDir takes the run directory base for this process: one process at a time writes a run
// directory (a second writer would interleave checkpoints and histories), so while another run
// holds base, the next free one of base.2, base.3, ... is taken instead, and said on log. It
// returns the directory and the function that releases it.
func lockRunDir(base string, log io.Writer) (dir string, unlock func(), err error) {
	for i := 1; i <= maxConcurrentRuns; i++ {
		dir = base
		if i > 1 {
			dir = fmt.Sprintf("%s.%d", base, i)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("run directory %s: %w", dir, err)
		}
		lock := flock.New(filepath.Join(dir, ".lock"))
		locked, err := lock.TryLock()
		if err != nil {
			return "", nil, fmt.Errorf("run directory %s: %w", dir, err)
		}
		if locked {
			if i > 1 {
				fmt.Fprintf(log, "run directory %s is being written by another run: this run writes %s\n", base, dir)
			}
			return dir, func() { lock.Unlock() }, nil
		}
	}
	return "", nil, fmt.Errorf("run directories %s to %s.%d are all being written by other runs: wait for one, or use another -runs folder", base, base, maxConcurrentRuns)
}

// removeAllBut empties dir except for the entry named keep.
func removeAllBut(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != keep {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func storeParams(store *model.Store) map[string]any {
	out := map[string]any{}
	for k, v := range store.IterParams() {
		if strings.HasSuffix(k, training.ParamFrozenVariables) || vaekit.IsAveragingParam(k) {
			continue // bookkeeping of the checkpoints and of the averages, not part of the recipe
		}
		out[k] = v
	}
	return out
}

// storePaths keys params (names in the root scope, or paths of a scope such as
// "/discriminator/activation") by their full store paths, as params.json and the checkpoints
// hold them.
func storePaths(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		if !strings.HasPrefix(k, "/") {
			k = "/" + k
		}
		out[k] = v
	}
	return out
}

// checkRecipe refuses to resume a run directory whose checkpoint was trained with another
// recipe than requested (the parameters as params.json records them): the checkpoint's own
// parameters would win when it loads, and params.json would no longer say what was trained.
// A directory without a checkpoint or params.json has nothing to protect.
func checkRecipe(dir string, requested map[string]any) error {
	if ckpts, _ := filepath.Glob(filepath.Join(dir, training.CheckpointDir, "*.json")); len(ckpts) == 0 {
		return nil
	}
	saved, err := readParams(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if changes := training.RecipeChanges(saved, requested); len(changes) > 0 {
		return fmt.Errorf("run directory %s was trained with another recipe (%s): rerun it from scratch (run -fresh, reproduce -force) or use another -runs folder",
			dir, strings.Join(changes, "; "))
	}
	return nil
}

// readParams reads the params.json of a run directory.
func readParams(dir string) (map[string]any, error) {
	path := filepath.Join(dir, ParamsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var params map[string]any
	if err := json.Unmarshal(data, &params); err != nil {
		return nil, fmt.Errorf("%s: %w: expected the JSON object of parameters a vaekit run writes", path, err)
	}
	return params, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'))
}
