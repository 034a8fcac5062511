package experiments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
)

// Reference is a published number that a reproduction is compared with.
type Reference struct {
	// Metric names what is compared, as the results table shows it.
	Metric string
	// Value is the published number; Source says where it was published.
	Value  float64
	Source string
	// Epoch, if > 0, is the epoch after which the source printed Value: it is then also drawn as
	// a point on the run's training curve of the reproduction's Curve term.
	Epoch int
	// OnCurve, if not 0, is Value in the unit of the Curve term, where the source reports it in
	// another (keras-io's VQ-VAE divides the squared error by the pixel variance): the point is
	// drawn there.
	OnCurve float64
	// Of reads vaekit's value from a run: its metrics and history.
	Of func(m Metrics, h *vaekit.History) (float64, bool)
}

// Reproduction is an experiment rerun to compare with the numbers its source published.
type Reproduction struct {
	Experiment string
	// Curve is the loss term whose training curve the results page draws with the reference
	// points (those with an Epoch).
	Curve      string
	References []Reference
	// Note says what differs from the source, or why there is no reference.
	Note string
	// Versus, if set, names another reproduction this one is compared with: the results page
	// shows both runs' samples side by side and their sample-quality metrics together.
	Versus string
	// Log, if set, is the source's per-epoch log: the results page compares every epoch of it
	// with the run's training history, and draws its points on the curve.
	Log *SourceLog
}

// logComparison compares the training history with a source's per-epoch log: for every term,
// the epochs compared, the largest relative difference and its epoch, and how many epochs are
// within the term's target, as a Markdown table.
func logComparison(l *SourceLog, h *vaekit.History) string {
	var b strings.Builder
	b.WriteString("| term | epochs compared | largest difference (epoch) | epochs within target | target |\n| --- | --- | --- | --- | --- |\n")
	for j, term := range l.Terms {
		n, within, worst, worstEpoch := 0, 0, 0.0, 0
		for epoch := 1; epoch <= len(l.Epochs); epoch++ {
			got, ok := trainTerm(term, epoch)(Metrics{}, h)
			if !ok {
				continue
			}
			want := l.Epochs[epoch-1][j]
			d := (got - want) / want
			n++
			if math.Abs(d) <= l.Targets[j] {
				within++
			}
			if worstEpoch == 0 || math.Abs(d) > math.Abs(worst) {
				worst, worstEpoch = d, epoch
			}
		}
		largest := "-"
		if n > 0 {
			largest = fmt.Sprintf("%+.2f%% (%d)", 100*worst, worstEpoch)
		}
		fmt.Fprintf(&b, "| %s | %d of %d | %s | %d of %d | %g%% |\n", term, n, len(l.Epochs), largest, within, n, 100*l.Targets[j])
	}
	return b.String()
}

// trainTerm reads a training-loss term after an epoch (the last one when epoch is 0).
func trainTerm(term string, epoch int) func(Metrics, *vaekit.History) (float64, bool) {
	return func(_ Metrics, h *vaekit.History) (float64, bool) {
		for i := len(h.Rows) - 1; i >= 0; i-- {
			r := h.Rows[i]
			if r.Split == "train" && (epoch == 0 || r.Epoch == epoch) {
				v := h.Value(r, term)
				return v, !math.IsNaN(v)
			}
		}
		return 0, false
	}
}

// extra reads a figure of metrics.json's extras, scaled.
func extra(key string, scale float64) func(Metrics, *vaekit.History) (float64, bool) {
	return func(m Metrics, _ *vaekit.History) (float64, bool) {
		v, ok := m.Extra[key]
		return v * scale, ok
	}
}

// testTerm reads a test-loss term of metrics.json.
func testTerm(term string) func(Metrics, *vaekit.History) (float64, bool) {
	return func(m Metrics, _ *vaekit.History) (float64, bool) {
		v, ok := m.Test[term]
		return v, ok
	}
}

const (
	seedFashion = "seed Fashion-MNIST VAE tutorial, printed training loss (784 x mean BCE + mean KL)"
	kerasVAE    = "keras-io Variational AutoEncoder example, final training log"
)

// Reproductions are the experiments `experiments reproduce` runs and docs/RESULTS.md compares.
var Reproductions = []Reproduction{
	{
		Experiment: "fashion-conv-vae",
		Curve:      "loss",
		References: []Reference{
			{Metric: "train loss, epoch 1", Value: 301.94, Source: seedFashion, Of: trainTerm("loss", 1)},
			{Metric: "train loss, epoch 10", Value: 259.97, Source: seedFashion, Of: trainTerm("loss", 10)},
			{Metric: "train loss, epoch 50", Value: 253.95, Source: seedFashion, Of: trainTerm("loss", 50)},
			{Metric: "train loss, epoch 100", Value: 252.49, Source: seedFashion, Of: trainTerm("loss", 100)},
			{Metric: "train reconstruction, epoch 100", Value: 248.64, Source: seedFashion, Of: trainTerm("reconstruction", 100)},
			{Metric: "train KL (mean over the latent dimensions), epoch 100", Value: 3.85, Source: seedFashion, Of: trainTerm("kl", 100)},
		},
		Log: &seed003Log,
		Note: "Keras' initial weights and the seed's KL (averaged over the two latent dimensions) as in the seed; " +
			"Keras runs 1094 steps per epoch (its last batch has 48 images), vaekit 1093 full batches",
	},
	{
		Experiment: "mnist-mlp-vae",
		Curve:      "loss",
		References: []Reference{{Metric: "test loss (negative ELBO)", Of: testTerm("loss")},
			{Metric: "test NLL, k = 1000", Of: extra("test_nll_iw_k1000_nats", 1)}},
		Note: "the seed prints its per-epoch loss but publishes no final number: vaekit's figures only",
	},
	{
		Experiment: "mnist-keras-vae",
		Curve:      "loss",
		References: []Reference{
			{Metric: "train loss, epoch 30", Value: 146.95, Source: kerasVAE, Epoch: 30, Of: trainTerm("loss", 30)},
			{Metric: "train reconstruction, epoch 30", Value: 140.15, Source: kerasVAE, Of: trainTerm("reconstruction", 30)},
			{Metric: "train KL, epoch 30", Value: 6.80, Source: kerasVAE, Of: trainTerm("kl", 30)},
		},
	},
	{
		Experiment: "mnist-binarized-vae",
		Curve:      "loss",
		References: []Reference{{Metric: "test NLL, k = 5000", Value: 86.76,
			Source: "Burda, Grosse and Salakhutdinov 2016 (IWAE), table 1: VAE, one stochastic layer, k = 1",
			Of:     extra("test_nll_iw_k5000_nats", 1)}},
		Note: "shorter training than the paper's 3,280 passes and ReLU for tanh (see the experiment's source)",
	},
	{
		Experiment: "mnist-dcgan",
		Curve:      "discriminator",
		References: []Reference{
			{Metric: "sample score (classifier, 1 to 10 classes)", Of: extra("sample_score_classes", 1)},
			{Metric: "sample confidence", Of: extra("sample_confidence_fraction", 1)},
			{Metric: "sample class entropy (nats, ln 10 = 2.303 for all classes equally)", Of: extra("sample_class_entropy_nats", 1)},
		},
		Note:   "the seed notes' VAE-versus-GAN comparison publishes no number: the GAN against mnist-keras-vae, whose decoder is its generator",
		Versus: "mnist-keras-vae",
	},
	{
		Experiment: "mnist-conv-cvae",
		Curve:      "loss",
		References: []Reference{{Metric: "test loss (negative ELBO)", Of: testTerm("loss")},
			{Metric: "class-conditional fidelity", Of: extra("class_fidelity_fraction", 1)}},
		Note: "the seed CVAE publishes no number: vaekit's figures only",
	},
	{
		Experiment: "mnist-prior-cvae",
		Curve:      "loss",
		References: []Reference{{Metric: "test loss (negative ELBO)", Of: testTerm("loss")},
			{Metric: "class-conditional fidelity", Of: extra("class_fidelity_fraction", 1)}},
		Note: "the seed notes publish no number: vaekit's figures only",
	},
	{
		Experiment: "mnist-prior-cvae-8d",
		Curve:      "loss",
		References: []Reference{{Metric: "test loss (negative ELBO)", Of: testTerm("loss")},
			{Metric: "class-conditional fidelity", Of: extra("class_fidelity_fraction", 1)}},
		Note: "vaekit's variant of mnist-prior-cvae whose classes separate (8-d latent); no published number",
	},
	{
		Experiment: "mnist-vqvae",
		Curve:      "reconstruction",
		Note: "keras-io logs the mean over each epoch's training batches, vaekit the training set evaluated after the epoch; " +
			"both start from Keras' Glorot-uniform weights and a codebook uniform in +-0.05",
		References: []Reference{{Metric: "train reconstruction / (784 x pixel variance), epoch 30", Value: 0.0444,
			Source: "keras-io VQ-VAE example, final training log (MSE over the training-set variance)",
			Epoch:  30, OnCurve: 0.0444 * 784 * mnistPixelVariance,
			Of: func(m Metrics, h *vaekit.History) (float64, bool) {
				v, ok := trainTerm("reconstruction", 30)(m, h)
				return v / 784 / mnistPixelVariance, ok
			}}},
	},
}

// ReproduceOptions changes how `experiments reproduce` runs.
type ReproduceOptions struct {
	Options
	// Force reruns finished experiments from scratch (Options.Fresh for each).
	Force bool
	// Only, if not empty, names the reproductions to run, in this order (the others are left
	// alone); an unknown name is an error before anything runs.
	Only []string
	// RecordsDir, if set, receives the record of every finished run (Record), the source of
	// the results page (`make results`).
	RecordsDir string
}

// Reproduce runs every reproduction in turn at its full settings (or in quick mode, by
// opts.Options): a run that was interrupted resumes, and one whose metrics.json shows all its
// epochs is skipped unless opts.Force.
func Reproduce(ctx context.Context, opts ReproduceOptions) error {
	log := opts.Log
	if log == nil {
		log = os.Stderr
	}
	todo := Reproductions
	if len(opts.Only) > 0 {
		todo = nil
		for _, name := range opts.Only {
			i := slices.IndexFunc(Reproductions, func(r Reproduction) bool { return r.Experiment == name })
			if i < 0 {
				names := make([]string, len(Reproductions))
				for j, r := range Reproductions {
					names[j] = r.Experiment
				}
				return fmt.Errorf("reproduce %q: not a reproduction; expected one of %s", name, strings.Join(names, ", "))
			}
			todo = append(todo, Reproductions[i])
		}
	}
	for _, r := range todo {
		exp, err := Lookup(r.Experiment)
		if err != nil {
			return err
		}
		o := opts.Options
		o.Fresh = opts.Force
		dir := filepath.Join(o.RunsDir, exp.Name)
		if !opts.Force && finished(exp, o) {
			fmt.Fprintf(log, "reproduce: %s is finished, skipped (force to rerun)\n", exp.Name)
		} else {
			res, err := Run(ctx, exp, o)
			if err != nil {
				return err
			}
			dir = res.Dir
		}
		if opts.RecordsDir != "" {
			if err := Record(dir, opts.RecordsDir); err != nil {
				return err
			}
			fmt.Fprintf(log, "reproduce: %s recorded in %s\n", exp.Name, filepath.Join(opts.RecordsDir, filepath.Base(dir)))
		}
	}
	return nil
}

// finished reports whether the run of exp under opts has metrics for all its epochs and was
// trained with the experiment's current recipe (one whose definition changed since is not
// finished: Run then reports the change, rather than reproduce skipping it in silence).
func finished(exp Experiment, opts Options) bool {
	runsDir := opts.RunsDir
	if runsDir == "" {
		runsDir = "runs"
	}
	dir := filepath.Join(runsDir, exp.Name)
	f, err := ReadFinished(dir)
	if err != nil {
		return false
	}
	want := opts.Epochs
	if want == 0 {
		want, _ = exp.Params[vaekit.ParamEpochs].(int)
	}
	return want > 0 && f.Metrics.Epochs >= want && len(recipeChanges(exp, dir, opts.Overrides)) == 0
}

// recipeChanges lists how the run in dir differs from the recipe of exp (with overrides) and of
// its code prior, as vaekit.RecipeChanges words it; a run without params.json differs in
// everything it cannot show.
func recipeChanges(exp Experiment, dir string, overrides map[string]any) []string {
	params := maps.Clone(exp.Params)
	maps.Copy(params, overrides)
	changes := changesFrom(dir, params)
	if exp.CodePrior != nil {
		for _, c := range changesFrom(filepath.Join(dir, codePriorDir), exp.CodePrior) {
			changes = append(changes, "code prior "+c)
		}
	}
	return changes
}

// changesFrom compares the params.json in dir with params (keys without the root scope's slash).
func changesFrom(dir string, params map[string]any) []string {
	saved, err := readParams(dir)
	if err != nil {
		return []string{fmt.Sprintf("no parameters (%v)", err)}
	}
	return vaekit.RecipeChanges(saved, storePaths(params))
}

// runStamp identifies the state of a run that a results page was made from: its epochs and a
// hash of its history (a rerun of a finished run, which changes nothing, keeps the stamp).
func runStamp(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "history.csv"))
	if err != nil {
		return "", err
	}
	h, err := vaekit.ReadHistory(filepath.Join(dir, "history.csv"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return fmt.Sprintf("epochs=%d history=%x", h.Epochs(), sum[:8]), nil
}

// stampComment is the hidden line of the results page recording the run it was made from.
func stampComment(experiment, stamp string) string {
	return fmt.Sprintf("<!-- run %s %s -->", experiment, stamp)
}

// WriteResults generates the results page (Markdown, at path) from the run directories under
// runsDir: for every reproduction, each reference with its source, vaekit's number, the
// difference, the epochs done, the backend and the wall time; then the training curve of each run
// with the reference points, drawn into figures/ beside the page. Runs not yet made are listed as
// such. Nothing here is typed by hand: rerun it after the runs change (`make results`).
func WriteResults(path, runsDir string) error {
	figDir := filepath.Join(filepath.Dir(path), "results")
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("# Results: vaekit against the published numbers\n\n")
	b.WriteString("Generated by `experiments results` (`make results`) from the run directories in `" + runsDir + "`; do not edit by hand.\n")
	b.WriteString("`make reproduce` trains every run at its full settings (resumable; finished runs are skipped).\n\n")
	b.WriteString("| experiment | metric | reference | vaekit | difference | epochs | backend | wall time |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	var sections, stamps []string
	sources := map[string]int{}
	var sourceList []string
	for _, r := range Reproductions {
		exp, err := Lookup(r.Experiment)
		if err != nil {
			return err
		}
		dir := filepath.Join(runsDir, r.Experiment)
		f, errF := ReadFinished(dir)
		h, errH := vaekit.ReadHistory(filepath.Join(dir, "history.csv"))
		target, _ := exp.Params[vaekit.ParamEpochs].(int)
		ran := errF == nil && errH == nil
		backend, wall, epochs := "", "", 0
		if ran {
			backend, _, _ = strings.Cut(f.Metrics.Backend, " (")
			wall = wallCell(f.Metrics)
			epochs = h.Epochs()
		}
		// A run of an earlier definition of the experiment stays on the page, marked, until
		// it is rerun: its numbers are real, but not of the recipe the table names.
		olderRecipe := ""
		if changes := recipeChanges(exp, dir, nil); ran && len(changes) > 0 {
			olderRecipe = " (run of an older recipe: " + strings.Join(changes, "; ") + ")"
		}
		for _, ref := range r.References {
			refCell, diff := "none published", ""
			if ref.Source != "" {
				if _, ok := sources[ref.Source]; !ok {
					sourceList = append(sourceList, ref.Source)
					sources[ref.Source] = len(sourceList)
				}
				refCell = fmt.Sprintf("%s [%d]", formatNumber(ref.Value), sources[ref.Source])
			}
			gotCell := "not run yet"
			if ran {
				gotCell = "not reached"
				if got, ok := ref.Of(f.Metrics, h); ok {
					gotCell = formatNumber(got) + olderRecipe
					if ref.Source != "" {
						diff = fmt.Sprintf("%+.1f%%", 100*(got-ref.Value)/ref.Value)
					}
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d / %d | %s | %s |\n", r.Experiment, ref.Metric, refCell, gotCell, diff,
				epochs, target, backend, wall)
		}
		if !ran {
			continue
		}
		if h.Epochs() > 0 {
			var points []figures.Point
			if r.Log != nil {
				if j := slices.Index(r.Log.Terms, r.Curve); j >= 0 {
					for e, values := range r.Log.Epochs {
						points = append(points, figures.Point{X: float64(e + 1), Y: values[j]})
					}
				}
			}
			for _, ref := range r.References {
				if ref.Epoch > 0 && ref.Source != "" {
					y := ref.Value
					if ref.OnCurve != 0 {
						y = ref.OnCurve
					}
					points = append(points, figures.Point{X: float64(ref.Epoch), Y: y})
				}
			}
			base := filepath.Join(figDir, r.Experiment)
			if _, err := figures.CurveWithReference(h, r.Curve, points, r.Experiment+": training "+r.Curve, base); err != nil {
				return err
			}
			section := fmt.Sprintf("## %s\n\n%s\n\n![%s](results/%s.png)\n", r.Experiment, exp.Description, r.Experiment, r.Experiment)
			if r.Note != "" {
				section = fmt.Sprintf("## %s\n\n%s. Note: %s.\n\n![%s](results/%s.png)\n", r.Experiment, exp.Description, r.Note, r.Experiment, r.Experiment)
			}
			if r.Log != nil {
				section += fmt.Sprintf("\nEvery epoch against the source's log (%s):\n\n%s", r.Log.Source, logComparison(r.Log, h))
			}
			if r.Versus != "" {
				versus, err := versusSection(runsDir, figDir, r.Versus, r.Experiment)
				if err != nil {
					return err
				}
				section += versus
			}
			sections = append(sections, section)
		}
		stamp, err := runStamp(dir)
		if err != nil {
			return err
		}
		stamps = append(stamps, stampComment(r.Experiment, stamp))
	}
	b.WriteString("\nSources:\n\n")
	for i, s := range sourceList {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	for _, s := range sections {
		b.WriteString("\n" + s)
	}
	b.WriteString("\n")
	for _, s := range stamps {
		b.WriteString(s + "\n")
	}
	return atomicfile.Write(path, b.Bytes())
}

// sampleQualityMetrics are the metrics.json extras that judge unconditional samples.
var sampleQualityMetrics = []struct{ key, name string }{
	{"sample_score_classes", "sample score (classes)"},
	{"sample_confidence_fraction", "sample confidence"},
	{"sample_class_entropy_nats", "sample class entropy (nats)"},
}

// versusSection compares run a with run b: their sample-quality metrics in one table, and their
// samples (each run's figures/samples.png, copied beside the page) side by side. A run not made
// yet shows as such.
func versusSection(runsDir, figDir, a, b string) (string, error) {
	var out strings.Builder
	fmt.Fprintf(&out, "\n%s against %s, judged by the MNIST classifier:\n\n| metric | %s | %s |\n| --- | --- | --- |\n", b, a, a, b)
	metrics := map[string]*Metrics{}
	for _, name := range []string{a, b} {
		if f, err := ReadFinished(filepath.Join(runsDir, name)); err == nil {
			metrics[name] = &f.Metrics
		}
	}
	cell := func(name, key string) string {
		m := metrics[name]
		if m == nil {
			return "not run yet"
		}
		if v, ok := m.Extra[key]; ok {
			return formatNumber(v)
		}
		return "not measured"
	}
	for _, q := range sampleQualityMetrics {
		fmt.Fprintf(&out, "| %s | %s | %s |\n", q.name, cell(a, q.key), cell(b, q.key))
	}
	var images []string
	for _, name := range []string{a, b} {
		src := filepath.Join(runsDir, name, "figures", "samples.png")
		data, err := os.ReadFile(src)
		if err != nil {
			images = append(images, "not drawn yet")
			continue
		}
		if err := atomicfile.Write(filepath.Join(figDir, name+"-samples.png"), data); err != nil {
			return "", err
		}
		images = append(images, fmt.Sprintf("![%s samples](results/%s-samples.png)", name, name))
	}
	fmt.Fprintf(&out, "\nSamples from the prior:\n\n| %s | %s |\n| --- | --- |\n| %s | %s |\n", a, b, images[0], images[1])
	return out.String(), nil
}

// StaleResults returns the reproductions whose run under runsDir is not the one the results page
// at path was made from (finished later, or missing from the page): the page must be
// regenerated. Runs that do not exist under runsDir, or have not finished, are not checked.
func StaleResults(path, runsDir string) ([]string, error) {
	page, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, r := range Reproductions {
		dir := filepath.Join(runsDir, r.Experiment)
		if _, err := ReadFinished(dir); err != nil {
			continue // no finished run here (one still training is not on the page yet)
		}
		stamp, err := runStamp(dir)
		if err != nil {
			continue
		}
		if !bytes.Contains(page, []byte(stampComment(r.Experiment, stamp))) {
			stale = append(stale, r.Experiment)
		}
	}
	return stale, nil
}

// wallCell is the results table's wall time of a run.
func wallCell(m Metrics) string {
	wall := (time.Duration(m.WallSeconds) * time.Second).String()
	switch {
	case m.WallUnknown:
		return "not timed" // trained by invocations interrupted before they wrote metrics
	case m.WallEstimated:
		return "about " + wall // part of it trained by an interrupted invocation
	}
	return wall
}
