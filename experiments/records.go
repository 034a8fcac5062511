package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/training"
)

// A run's record is what the results page and a report read of a run directory, without what
// it resumes from: params.json, history.csv, metrics.json, manifest.json, nll_curve.csv (if it
// has one), segments.json, the PNG figures, the model's final weights (WeightsDir: no optimizer
// state), and the same of its code prior. Records are small enough for git (docs/records):
// `make results` rebuilds docs/RESULTS.md from them alone, on any clone, and Open reads a record
// as it reads a run, from its weights.

// recordFiles are the files of a run directory (or of its code prior's) that a record keeps.
var recordFiles = []string{ParamsFile, history.File, MetricsFile, ManifestFile, NLLCurveFile, SegmentsFile}

// DefaultRecordsDir is where `experiments reproduce` records the runs it finishes.
const DefaultRecordsDir = "docs/records"

// SeedsDir is the folder of a record that holds runs of its recipe from other random seeds
// (seed-N: their history, parameters, manifest and segments), the evidence its note quotes for
// how far the initial weights move a result. They are not the run's, so a new record of the run
// keeps them; the note's test checks them against the record's recipe.
const SeedsDir = "seeds"

// Record copies the record of the finished run in dir into recordsDir/<the run's name>,
// replacing an older record of it whole but for its SeedsDir, which it keeps: the new one is
// assembled beside it and renamed into place, so a record is never half-written. Where the
// model's weights had to be rounded to fit MaxWeightsFileBytes, the record is evaluated again
// and its figures drawn again from the rounded weights (with opts) before it takes its place,
// and its manifest says so (WeightsRoundedTo); ctx ends that work early, leaving the older
// record as it was.
func Record(ctx context.Context, dir, recordsDir string, opts Options) error {
	if IsRecordOf(dir, recordsDir) {
		// Copied onto itself, a record would lose what only the record holds: its weights (written
		// from a run's checkpoint) and what was added to it in place (evaluated_again_*).
		return fmt.Errorf("record %s: it is the record itself, not a run directory: expected a run's folder "+
			"(`experiments record -redraw` redraws a record's figures in place)", dir)
	}
	if _, err := ReadFinished(dir); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	for _, sub := range []string{"", codePriorDir} {
		if err := checkSegmentsOf(filepath.Join(dir, sub)); err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(recordsDir, 0o755); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	tmp, err := os.MkdirTemp(recordsDir, ".record-")
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer os.RemoveAll(tmp)
	// Assembled under its own name, as OpenDir requires of a run it evaluates.
	name := filepath.Base(filepath.Clean(dir))
	stage := filepath.Join(tmp, name)
	copies := []string{}
	for _, sub := range []string{"", codePriorDir} {
		for _, name := range recordFiles {
			copies = append(copies, filepath.Join(sub, name))
		}
	}
	figs, err := filepath.Glob(filepath.Join(dir, FiguresDir, "*.png"))
	if err != nil {
		return err
	}
	for _, f := range figs {
		copies = append(copies, filepath.Join(FiguresDir, filepath.Base(f)))
	}
	for _, rel := range copies {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if os.IsNotExist(err) && (strings.HasPrefix(rel, codePriorDir) || rel == ManifestFile || filepath.Base(rel) == NLLCurveFile || filepath.Base(rel) == SegmentsFile) {
			continue // a run without a code prior or an NLL curve; a run of an older vaekit without a manifest or segments
		}
		if err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
		dst := filepath.Join(stage, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	rounded, averaged := false, ""
	for _, sub := range []string{"", codePriorDir} {
		ckpt := filepath.Join(dir, sub, training.CheckpointDir)
		if _, err := os.Stat(ckpt); err != nil {
			continue // no code prior
		}
		store := model.NewStore() // read now: a lazily loaded store holds no variable to write yet
		if _, err := checkpoint.Build(store).Dir(ckpt).Immediate().Done(); err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
		if vaekit.SamplesFromAverages(store) {
			decay, _ := store.GetParam(training.ParamAveragingDecay)
			averaged = fmt.Sprintf("the generator is the exponential moving average of its weights (ema_decay %v) that drew the run's samples, in place of its last weights", decay)
		}
		r, err := writeWeights(store, filepath.Join(stage, sub, WeightsDir))
		if err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
		rounded = rounded || r
	}
	if averaged != "" {
		if err := setManifest(stage, map[string]any{WeightsAveraged: averaged}); err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
	}
	if rounded {
		// The run measured its float32 model; the record's numbers and figures must be what its
		// weights give: its test NLL too, estimated again with as many samples.
		o := opts
		if f, err := ReadFinished(stage); err == nil {
			for key := range nllKeys(f.Metrics.Extra) {
				var k int
				if _, err := fmt.Sscanf(key, nllMetric, &k); err == nil {
					o.MaxNLLSamples = max(o.MaxNLLSamples, k)
				}
			}
		}
		if err := Reevaluate(ctx, stage, o); err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
		if err := RedrawFigures(stage, opts); err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
		if err := setManifest(stage, map[string]any{WeightsRoundedTo: "float16"}); err != nil {
			return fmt.Errorf("record %s: %w", dir, err)
		}
	}
	final := filepath.Join(recordsDir, name)
	old := final + ".old"
	os.RemoveAll(old)
	if err := os.Rename(final, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("record: %w", err)
	}
	seeds := filepath.Join(old, SeedsDir)
	if _, err := os.Stat(seeds); err == nil {
		if err := os.Rename(seeds, filepath.Join(stage, SeedsDir)); err != nil {
			os.Rename(old, final)
			return fmt.Errorf("record: %w", err)
		}
	}
	if err := os.Rename(stage, final); err != nil {
		os.Rename(filepath.Join(stage, SeedsDir), seeds) // put the older record back whole
		os.Rename(old, final)
		return fmt.Errorf("record: %w", err)
	}
	return os.RemoveAll(old)
}

// IsRecordOf reports whether dir is the record recordsDir holds under dir's name (the same
// folder), so that recording it would copy it onto itself.
func IsRecordOf(dir, recordsDir string) bool {
	a, errA := filepath.Abs(dir)
	b, errB := filepath.Abs(filepath.Join(recordsDir, filepath.Base(filepath.Clean(dir))))
	if errA != nil || errB != nil {
		return false
	}
	if ra, err := filepath.EvalSymlinks(a); err == nil {
		a = ra
	}
	if rb, err := filepath.EvalSymlinks(b); err == nil {
		b = rb
	}
	return a == b
}

// RedrawFigures draws the figures of the finished run in dir again from its checkpoint (a
// record: from its weights, in place), in the current figure style, over its own (each figure file replaced whole), so that its record shows
// a style changed since it was trained: the figures depend only on the checkpoint and the test
// set, so nothing else changes (TestQuickRunsWriteEverythingAndResume redraws them byte for byte)
// but the manifest's figures_redrawn_by and figures_redrawn_at, the code that drew them and when.
// A record keeps the PNGs only.
func RedrawFigures(dir string, opts Options) error {
	t, err := OpenDir(dir, opts)
	if err != nil {
		return fmt.Errorf("redraw: %w", err)
	}
	drawn, drawErr := t.Figures()
	if _, err := os.Stat(filepath.Join(dir, training.CheckpointDir)); os.IsNotExist(err) {
		// A record (no checkpoint) keeps its figures as PNG only, as Record copies them, even
		// where drawing failed partway.
		for _, f := range drawn {
			if filepath.Ext(f) != ".png" {
				if err := os.Remove(f); err != nil && drawErr == nil {
					drawErr = err
				}
			}
		}
	}
	if drawErr != nil {
		return fmt.Errorf("redraw %s: %w", dir, drawErr)
	}
	// The manifest names the code that drew the figures now, which is not the code that trained.
	return stampManifest(dir, "figures_redrawn")
}

// checkSegmentsOf checks the training segments of a run directory (or of its code prior's)
// against the steps its checkpoint has trained: every step trained once, by a segment that names
// its build, backend, machine and data. A directory without a checkpoint (no code prior) or
// without segments (a run of a vaekit from before them) is not checked.
func checkSegmentsOf(dir string) error {
	segs, err := ReadSegments(dir)
	if err != nil || segs == nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, training.CheckpointDir)); err != nil {
		return nil
	}
	store, err := loadStore(filepath.Join(dir, training.CheckpointDir))
	if err != nil {
		return err
	}
	steps := int(optimizer.GetGlobalStep(store))
	// Each player of an adversarial model (a GAN's two) advances the optimizer's global step once
	// per training step.
	if m, err := vaekit.FamilyByName(model.GetParamOr(store.RootScope(), vaekit.ParamModel, "")); err == nil {
		if adv, ok := m.(vaekit.Adversarial); ok && len(adv.Players()) > 0 {
			steps /= len(adv.Players())
		}
	}
	if err := CheckSegments(segs, steps); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, SegmentsFile), err)
	}
	return nil
}
