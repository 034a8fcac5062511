package experiments

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/training"
)

// Metrics is written to metrics.json.
type Metrics struct {
	Experiment string             `json:"experiment"`
	Epochs     int                `json:"epochs"`
	Test       map[string]float64 `json:"test"`
	Train      map[string]float64 `json:"train"`
	Units      string             `json:"units"`
	// SecondsPerEpoch is the training loop's time per epoch. WallSeconds adds a code prior
	// trained after it; the evaluation is in neither.
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	WallSeconds     float64 `json:"wall_seconds"`
	// WallEstimated: some epochs were trained by an invocation that was interrupted before it
	// wrote metrics.json; their time is counted at the seconds per epoch of a later one.
	WallEstimated bool `json:"wall_seconds_estimated,omitempty"`
	// WallUnknown: every epoch was trained by invocations that were interrupted before they
	// wrote metrics.json, so no seconds per epoch are known; WallSeconds is only the time of
	// the invocations that finished (evaluation, figures).
	WallUnknown bool   `json:"wall_seconds_unknown,omitempty"`
	Backend     string `json:"backend"`
	// NLLBackend names the backend the importance-weighted NLL ran on, when the run estimates
	// one: it may differ from the training's (backends.ForWork).
	NLLBackend string `json:"nll_backend,omitempty"`
	// Extra holds family-specific test figures, each name ending with its unit.
	Extra map[string]float64 `json:"extra,omitempty"`
	// ClassFidelity is, for a conditional run, the class-conditional fidelity of each class
	// (the share of its samples the classifier assigns to it), in class order.
	ClassFidelity []float64 `json:"class_fidelity_per_class,omitempty"`
	// Posterior holds, for a model with a Gaussian posterior, the diagnostics of posterior
	// collapse per latent dimension (their summaries are in Extra).
	Posterior *PosteriorDiagnostics `json:"posterior,omitempty"`
	// SampleDistances, for a model that generates images, compares its samples with the test
	// images in the judge's features (their means are in Extra).
	SampleDistances *SampleDistances `json:"sample_distances,omitempty"`
	// Axes says how figures draw each loss term (unit, scale), so that figures drawn from the
	// run's record alone (the results page) have the run's units.
	Axes map[string]history.Axis `json:"term_axes,omitempty"`
}

// units says in what units a model's loss terms are, as the model documents them (or the
// library's family of the same name: a notebook's model of a family has its terms).
func units(m vaekit.Model, store *model.Store) string {
	if d, ok := describedBy[vaekit.Documented](m); ok {
		return d.Units(store)
	}
	return "per image"
}

// termAxes says how figures draw m's loss terms: as m describes them, or as the library's
// family of the same name does; nil (every term "per image") if neither does.
func termAxes(m vaekit.Model, store *model.Store) map[string]history.Axis {
	if d, ok := describedBy[vaekit.Described](m); ok {
		return d.TermAxes(store)
	}
	return nil
}

// describedBy returns m as a D, or else the library's family of m's name as a D.
func describedBy[D any](m vaekit.Model) (D, bool) {
	if d, ok := m.(D); ok {
		return d, true
	}
	lib, err := vaekit.FamilyByName(m.Name())
	if err != nil {
		var none D
		return none, false
	}
	d, ok := lib.(D)
	return d, ok
}

// readMetrics reads the metrics.json of a run directory, or returns nil.
func readMetrics(dir string) *Metrics {
	data, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil
	}
	var m Metrics
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return &m
}

// newMetrics holds the loss terms of the last epoch on both splits and the timings: wall is
// this invocation's time, of which fit was the training loop's (without a code prior trained
// after it), which trained trainedNow epochs; prev, the run's earlier metrics
// (nil if none was written), keeps the timings of the epochs trained before. The wall time adds
// up over the invocations; the epochs of an interrupted invocation, which wrote no metrics, are
// counted at this invocation's seconds per epoch, and the wall time marked as estimated. A
// finished run rerun (which trains nothing) keeps its seconds per epoch; a run whose every epoch
// was trained by interrupted invocations has no timing to go by and is marked WallUnknown.
func newMetrics(exp Experiment, hist *history.History, backend string, wall, fit float64, trainedNow int, prev *Metrics) Metrics {
	metrics := Metrics{Experiment: exp.Name, Epochs: hist.Epochs(), Test: map[string]float64{}, Train: map[string]float64{},
		WallSeconds: wall, Backend: backend}
	for split, dst := range map[string]map[string]float64{"test": metrics.Test, "train": metrics.Train} {
		if row, ok := hist.Last(split); ok {
			for i, t := range hist.Terms {
				dst[t] = row.Values[i]
			}
		}
	}
	if trainedNow > 0 {
		metrics.SecondsPerEpoch = fit / float64(trainedNow)
	} else if prev != nil {
		metrics.SecondsPerEpoch = prev.SecondsPerEpoch
	}
	before := max(hist.Epochs()-trainedNow, 0)
	if prev != nil && prev.Epochs <= before {
		metrics.WallSeconds += prev.WallSeconds
		metrics.WallEstimated = prev.WallEstimated
		before -= prev.Epochs
	}
	switch {
	case before > 0 && metrics.SecondsPerEpoch > 0:
		metrics.WallSeconds += float64(before) * metrics.SecondsPerEpoch
		metrics.WallEstimated = true
	case before > 0:
		metrics.WallUnknown = true
	}
	return metrics
}

func manifest(exp Experiment, trainer *training.Trainer, backend string, wall float64) map[string]any {
	m := map[string]any{
		"experiment":   exp.Name,
		"source":       exp.Source,
		"data":         exp.Data,
		"train_on_all": exp.TrainOnAll,
		"backend":      backend,
		"seed":         trainer.Params().Seed,
		"go":           runtime.Version(),
		"wall_seconds": wall,
		"command":      strings.Join(os.Args, " "),
		"finished_at":  time.Now().UTC().Format(time.RFC3339),
	}
	if exp.Impl != nil {
		m["model_code"] = fmt.Sprintf("%T", exp.Impl) // a notebook's own code of the family
	}
	if mods := moduleVersions(); mods != nil {
		m["modules"] = mods
	}
	maps.Copy(m, buildFactsOfThisBinary())
	return m
}

// moduleVersions are the versions of the modules that compute a run (GoMLX's, gonum's, GoNB's)
// in this binary (nil when it carries no build information).
func moduleVersions() map[string]string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	mods := map[string]string{}
	for _, d := range info.Deps {
		if strings.Contains(d.Path, "gomlx") || strings.Contains(d.Path, "gonum") || strings.Contains(d.Path, "gonb") {
			mods[d.Path] = d.Version
		}
	}
	return mods
}

// buildFactsOfThisBinary are buildFacts of the running program.
func buildFactsOfThisBinary() map[string]any {
	var settings []debug.BuildSetting
	if info, ok := debug.ReadBuildInfo(); ok {
		settings = info.Settings
	}
	head := func() string {
		out, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	return buildFacts(settings, os.Getenv("GOEXPERIMENT"), head)
}

// buildFacts are the manifest's lines on the code that trained: the commit and GOEXPERIMENT a
// binary was built with (go build stamps them into it), not the repository's HEAD when the run
// finished, which for a run resumed after a rebuild, or a binary built elsewhere, is other code.
// A program without the stamp (go run, go test, a GoNB cell) falls back to the GOEXPERIMENT
// in its environment and to head(), the HEAD of the working directory's repository at the
// finish, named as such ("" leaves it out).
func buildFacts(settings []debug.BuildSetting, envExperiment string, head func() string) map[string]any {
	facts := map[string]any{"goexperiment": envExperiment}
	revision, modified := "", false
	for _, s := range settings {
		switch s.Key {
		case "GOEXPERIMENT":
			facts["goexperiment"] = s.Value
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" {
		facts["git_commit"] = revision
		if modified {
			facts["git_commit"] = revision + " with uncommitted changes"
		}
	} else if h := head(); h != "" {
		facts["git_head_at_finish"] = h
	}
	return facts
}
