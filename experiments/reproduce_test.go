package experiments

import (
	"bytes"
	"context"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/history"
)

// Every reproduction names a registered experiment and can read each of its references.
func TestReproductionsAreWellFormed(t *testing.T) {
	for _, r := range Reproductions {
		if _, err := Lookup(r.Experiment); err != nil {
			t.Errorf("reproduction %s: %v", r.Experiment, err)
		}
		if len(r.References) == 0 || r.Curve == "" {
			t.Errorf("reproduction %s has no reference or no curve", r.Experiment)
		}
		if r.Versus != "" && !slices.ContainsFunc(Reproductions, func(o Reproduction) bool { return o.Experiment == r.Versus }) {
			t.Errorf("reproduction %s is compared with %q, which is not a reproduction", r.Experiment, r.Versus)
		}
		for _, ref := range r.References {
			if ref.Of == nil || ref.Metric == "" || (ref.Source != "" && !(ref.Value > 0)) {
				t.Errorf("reproduction %s: reference %+v is incomplete", r.Experiment, ref)
			}
			if ref.OnCurve != 0 && (ref.Epoch <= 0 || ref.Source == "") {
				t.Errorf("reproduction %s: reference %q has a value on the curve but is not drawn (no epoch or source)", r.Experiment, ref.Metric)
			}
		}
	}
}

// The results page is generated from the runs: a row per reference of a run that exists, "not
// run yet" for the others, the curve figure, and a stamp that makes a later run show as stale.
func TestResultsPageFromRunsAndStaleness(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-mlp-vae")
	page := filepath.Join(t.TempDir(), "docs", "RESULTS.md")
	if err := os.MkdirAll(filepath.Dir(page), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(page, runs); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(page)
	m := readMetrics(filepath.Join(runs, "mnist-mlp-vae"))
	if m == nil {
		t.Fatal("the quick run wrote no metrics.json")
	}
	backend, _, _ := strings.Cut(m.Backend, " (") // the backend the test ran on, by name
	if m.NLLBackend != "" && m.NLLBackend != backend {
		backend += "; NLL: " + m.NLLBackend // the estimate's own backend, named beside it
	}
	for _, want := range []string{"| mnist-mlp-vae | test loss (negative ELBO) | none published |", "| 2 / 20 | " + backend + " |",
		"| fashion-conv-vae | train loss, epoch 1 | 301.94 [1] | not run yet |  | 0 / 100 |", "![mnist-mlp-vae](results/mnist-mlp-vae.png)", "<!-- run mnist-mlp-vae epochs=2 history="} {
		if !strings.Contains(string(text), want) {
			t.Errorf("results page lacks %q:\n%s", want, text)
		}
	}
	for _, fig := range []string{"mnist-mlp-vae.png", "mnist-mlp-vae-samples.png", "mnist-mlp-vae-reconstructions.png"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(page), "results", fig)); err != nil {
			t.Errorf("figure beside the page: %v", err)
		}
		if !strings.Contains(string(text), "(results/"+fig+")") {
			t.Errorf("the page does not show %s", fig)
		}
	}
	if stale, err := StaleResults(page, runs); err != nil || len(stale) != 0 {
		t.Errorf("fresh page: stale %v, %v", stale, err)
	}
	// One more epoch: the page no longer describes the run.
	opts := quick(runs)
	opts.Epochs = 3
	if _, err := Run(context.Background(), exp, opts); err != nil {
		t.Fatal(err)
	}
	if stale, err := StaleResults(page, runs); err != nil || !slices.Equal(stale, []string{"mnist-mlp-vae"}) {
		t.Errorf("after another epoch: stale %v, %v; want [mnist-mlp-vae]", stale, err)
	}
	// Finished runs are skipped by Reproduce; the quick mode runs every reproduction.
	if !finished(exp, opts) {
		t.Error("a run with all its epochs is not seen as finished")
	}
	// A run of an earlier definition of the experiment (here: its latent size changed since)
	// stays on the page, marked with the change.
	changed := exp
	changed.Params = maps.Clone(exp.Params)
	changed.Params[vaekit.ParamLatentDim] = 10
	if got := recipeChanges(changed, filepath.Join(runs, exp.Name), nil); !slices.Equal(got, []string{"latent_dim = 20, not 10"}) {
		t.Errorf("recipe changes %q, want [latent_dim = 20, not 10]", got)
	}
	params := filepath.Join(runs, exp.Name, "params.json")
	data, _ := os.ReadFile(params)
	if err := os.WriteFile(params, bytes.Replace(data, []byte(`"/latent_dim": 20`), []byte(`"/latent_dim": 16`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(page, runs); err != nil {
		t.Fatal(err)
	}
	if text, _ := os.ReadFile(page); !strings.Contains(string(text), " (run of an older recipe: latent_dim = 16, not 20) |") {
		t.Errorf("the page does not mark the run of an older recipe:\n%s", text)
	}
}

// The VAE-versus-GAN section: the GAN's sample metrics (measured with the MNIST classifier the
// run trained), the VAE's shown as not run yet, and the GAN's samples copied beside the page.
func TestResultsPageComparesTheGANWithTheVAE(t *testing.T) {
	_, runs := quickRunOf(t, "mnist-dcgan")
	page := filepath.Join(t.TempDir(), "RESULTS.md")
	if err := WriteResults(page, runs); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(page)
	m := readMetrics(filepath.Join(runs, "mnist-dcgan"))
	if m == nil {
		t.Fatal("no metrics.json for mnist-dcgan")
	}
	score, ok := m.Extra["sample_score_classes"]
	if !ok || !(score >= 1 && score <= 10) {
		t.Errorf("sample_score_classes = %v (present %v), want a score in [1, 10]", score, ok)
	}
	for _, want := range []string{
		"| mnist-dcgan | sample score (classifier, 1 to 10 classes) | none published | " + formatNumber(score) + " |",
		"| sample score (classes) | not run yet | " + formatNumber(score) + " |",
		"| not drawn yet | ![mnist-dcgan samples](results/mnist-dcgan-samples.png) |",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("results page lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(page), "results", "mnist-dcgan-samples.png")); err != nil {
		t.Errorf("GAN samples beside the page: %v", err)
	}
}

// docs/RESULTS.md and its figures are exactly what `make results` makes of the committed
// records in docs/records: regenerated here from the records, every byte of the page and of every
// figure it draws or copies must match. So a record added without `make results`, or a number
// edited by hand on the page, fails here.
func TestCommittedResultsPageIsCurrent(t *testing.T) {
	t.Chdir("..") // the page names its records folder as `make results` does, from the root
	tmp := filepath.Join(t.TempDir(), "docs", "RESULTS.md")
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(tmp, "docs/records"); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("docs/RESULTS.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
				t.Errorf("docs/RESULTS.md is not what the records in docs/records make (run `make results`); first difference, line %d:\n  page:    %q\n  records: %q",
					i+1, at(gl, i), at(wl, i))
				break
			}
		}
	}
	made, err := filepath.Glob(filepath.Join(filepath.Dir(tmp), "results", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range made {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join("docs", "results", filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("docs/results/%s is not what the records make (run `make results`): %v", filepath.Base(f), err)
		}
	}
	committed, _ := filepath.Glob(filepath.Join("docs", "results", "*"))
	if len(committed) != len(made) {
		t.Errorf("docs/results holds %d files, the records make %d: remove the others (`make results` starts it afresh)", len(committed), len(made))
	}
}

// at is line i of lines, or "(end of file)".
func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

// The pixel variances that weigh the keras-io VQ-VAE's reconstruction are those of the training
// sets (keras-io: np.var(x_train / 255.0)); the images are float32, hence the tolerance.
func TestPixelVariances(t *testing.T) {
	for _, tt := range []struct {
		data datasets.Name
		want float64
	}{{datasets.MNIST, mnistPixelVariance}, {datasets.FashionMNIST, fashionPixelVariance}} {
		requireData(t, tt.data)
		set, err := datasets.Load(tt.data, datasets.Train, datasets.Options{Offline: true})
		if err != nil {
			t.Fatal(err)
		}
		var sum, sumSq float64
		for _, v := range set.Images {
			sum += float64(v)
			sumSq += float64(v) * float64(v)
		}
		n := float64(len(set.Images))
		mean := sum / n
		if got := sumSq/n - mean*mean; math.Abs(got-tt.want) > 1e-6*tt.want {
			t.Errorf("%s: pixel variance %.10f, the constant says %.10f", tt.data, got, tt.want)
		}
	}
}

// The per-epoch comparison: relative differences worked out by hand on a 3-epoch log.
func TestLogComparison(t *testing.T) {
	log := &SourceLog{Source: "s", Terms: []string{"loss", "kl"}, Targets: []float64{0.01, 0.05},
		Epochs: [][]float64{{300, 4}, {200, 4}, {100, 4}}}
	h := &history.History{Terms: []string{"loss", "kl"}, Rows: []history.Row{
		{Epoch: 1, Split: "train", Values: []float64{303, 4.1}}, {Epoch: 1, Split: "test", Values: []float64{999, 9}},
		{Epoch: 2, Split: "train", Values: []float64{199, 4.4}},
	}}
	got := logComparison(log, h)
	for _, want := range []string{
		"| loss | 2 of 3 | +1.00% (1) | 2 of 2 | 1% |", // 303/300 - 1 = +1%, 199/200 - 1 = -0.5%
		"| kl | 2 of 3 | +10.00% (2) | 1 of 2 | 5% |",  // 4.1/4 - 1 = +2.5%, 4.4/4 - 1 = +10%
	} {
		if !strings.Contains(got, want) {
			t.Errorf("comparison lacks %q:\n%s", want, got)
		}
	}
}

// A run's record is all the results page needs: the page made from the records is the page made
// from the run directories, byte for byte (but the line naming the folder), figures included;
// and recording again replaces the record whole.
func TestRecordMakesTheSamePage(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-mlp-vae")
	records := filepath.Join(t.TempDir(), "records")
	if err := Record(context.Background(), filepath.Join(runs, exp.Name), records, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(records, exp.Name, "checkpoint")); !os.IsNotExist(err) {
		t.Errorf("the record holds the checkpoint (%v)", err)
	}
	// Recorded again, the record is replaced but for the runs from other seeds its note quotes.
	seedRun := filepath.Join(records, exp.Name, SeedsDir, "seed-2", history.File)
	if err := os.MkdirAll(filepath.Dir(seedRun), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seedRun, []byte("epoch,split,loss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(records, exp.Name, "stale.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Record(context.Background(), filepath.Join(runs, exp.Name), records, Options{}); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(seedRun); err != nil || string(data) != "epoch,split,loss\n" {
		t.Errorf("recorded again, the record lost its seed run: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(records, exp.Name, "stale.txt")); !os.IsNotExist(err) {
		t.Errorf("recorded again, the record kept a file of the older one (%v)", err)
	}
	// It holds the model's weights instead, which draw the run's figures again, byte for byte.
	rec, err := OpenDir(filepath.Join(records, exp.Name), quick(runs))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(records, exp.Name, FiguresDir)); err != nil {
		t.Fatal(err)
	}
	figs, err := rec.Figures()
	if err != nil {
		t.Fatal(err)
	}
	pngs := 0
	for _, f := range figs {
		if filepath.Ext(f) != ".png" {
			continue
		}
		pngs++
		fromWeights, _ := os.ReadFile(f)
		fromRun, err := os.ReadFile(filepath.Join(runs, exp.Name, FiguresDir, filepath.Base(f)))
		if err != nil || !bytes.Equal(fromWeights, fromRun) {
			t.Errorf("%s drawn from the record's weights differs from the run's (%v)", filepath.Base(f), err)
		}
	}
	if pngs < 3 {
		t.Errorf("the record's weights drew %d figures: %v", pngs, figs)
	}
	pages := map[string]string{}
	for name, dir := range map[string]string{"runs": runs, "records": records} {
		page := filepath.Join(t.TempDir(), name, "RESULTS.md")
		if err := os.MkdirAll(filepath.Dir(page), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteResults(page, dir); err != nil {
			t.Fatal(err)
		}
		text, _ := os.ReadFile(page)
		pages[name] = strings.Replace(string(text), "`"+dir+"`", "`DIR`", 1)
		curve, err := os.ReadFile(filepath.Join(filepath.Dir(page), "results", exp.Name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		pages[name+" curve"] = string(curve)
	}
	if pages["runs"] != pages["records"] {
		t.Errorf("the page from the records differs from the page from the runs:\n%s\n---\n%s", pages["records"], pages["runs"])
	}
	if pages["runs curve"] != pages["records curve"] {
		t.Error("the curve drawn from the records differs from the one drawn from the runs")
	}
	// Recording again replaces the record: a file of the old one that the run no longer has goes.
	stray := filepath.Join(records, exp.Name, "figures", "stray.png")
	if err := os.WriteFile(stray, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Record(context.Background(), filepath.Join(runs, exp.Name), records, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("recording again kept a file of the old record (%v)", err)
	}
	if err := Record(context.Background(), t.TempDir(), records, Options{}); err == nil {
		t.Error("recording a folder that is not a finished run succeeded")
	}
	// The record keeps the run's training segments, which cover its 6 steps (2 epochs of 3); a
	// run whose segments leave a step out is refused, its old record kept.
	segs, err := ReadSegments(filepath.Join(records, exp.Name))
	if err != nil || CheckSegments(segs, 6) != nil || len(segs) != 1 {
		t.Errorf("the record's segments %+v (%v): want one covering steps 1 to 6", segs, err)
	}
	segs[0].FirstStep = 2
	if err := writeJSON(filepath.Join(runs, exp.Name, SegmentsFile), segs); err != nil {
		t.Fatal(err)
	}
	if err := Record(context.Background(), filepath.Join(runs, exp.Name), records, Options{}); err == nil || !strings.Contains(err.Error(), "expected it to start at step 1") {
		t.Errorf("recording a run whose segments miss step 1: error %v, want one naming the gap", err)
	}
	if kept, _ := ReadSegments(filepath.Join(records, exp.Name)); len(kept) != 1 || kept[0].FirstStep != 1 {
		t.Errorf("the refused record replaced the old one: segments %+v", kept)
	}
}

// A record made with -redraw shows the figures in the current style; the run's history and
// metrics stay as they were.
func TestRecordRedrawnShowsTheCurrentStyle(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-mlp-vae")
	dir := filepath.Join(runs, exp.Name)
	keep := map[string][]byte{}
	for _, name := range []string{history.File, MetricsFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		keep[name] = b
	}
	defer figures.SetStyle(figures.DefaultStyle)
	style := figures.DefaultStyle
	style.DPI = 100
	if err := figures.SetStyle(style); err != nil {
		t.Fatal(err)
	}
	records := filepath.Join(t.TempDir(), "records")
	if err := RedrawFigures(dir, quick(runs)); err != nil {
		t.Fatal(err)
	}
	if err := Record(context.Background(), dir, records, Options{}); err != nil {
		t.Fatal(err)
	}
	got := testutil.PNGWidth(t, filepath.Join(records, exp.Name, FiguresDir, "loss_curves.png"))
	// Width in centimetres / 2.54 inches x DPI pixels.
	if want := int(math.Round(style.Width / 2.54 * float64(style.DPI))); got != want {
		t.Errorf("the recorded loss curves are %d pixels wide, want %d (%g cm at %d dpi)", got, want, style.Width, style.DPI)
	}
	for name, b := range keep {
		if now, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(now, b) {
			t.Errorf("redrawing the figures changed the run's %s", name)
		}
	}
	if err := RedrawFigures(t.TempDir(), quick(runs)); err == nil || !strings.Contains(err.Error(), "redraw") {
		t.Errorf("redrawing a folder that is not a finished run: error = %v", err)
	}
}

// The reference logs read back as the sources printed them: every epoch, every term, a target per
// term; epoch 1 and the last epoch checked against the printouts by hand.
func TestReferenceLogs(t *testing.T) {
	tests := []struct {
		experiment  string
		epochs      int
		first, last []float64
	}{
		{"fashion-conv-vae", 100, []float64{301.9441, 298.3138, 3.6303}, []float64{252.4938, 248.6405, 3.8533}},
		{"mnist-keras-vae", 30, []float64{205.1592, 3.9604}, []float64{140.1473, 6.7960}},
	}
	for _, tt := range tests {
		l, err := readReferenceLog(tt.experiment, "s")
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Epochs) != tt.epochs || len(l.Targets) != len(l.Terms) ||
			!slices.Equal(l.Epochs[0], tt.first) || !slices.Equal(l.Epochs[len(l.Epochs)-1], tt.last) {
			t.Errorf("%s: %d epochs of %v (targets %v), first %v, last %v", tt.experiment, len(l.Epochs), l.Terms, l.Targets, l.Epochs[0], l.Epochs[len(l.Epochs)-1])
		}
	}
	if _, err := readReferenceLog("no-such", "s"); err == nil {
		t.Error("a missing reference log read without an error")
	}
}

// The page says, beside a recipe's numbers, what the recipe makes of them: test images trained
// on, a KL averaged over dimensions, a KL weight other than 1; a plain recipe has nothing to say.
func TestRecipeCaveats(t *testing.T) {
	for _, tt := range []struct {
		experiment string
		want       []string
	}{
		{"fashion-conv-vae", []string{"test images are part of its training data", "vae_kl_reduction = mean"}},
		{"mnist-dcgan", []string{"test images are part of its training data"}},
		{"mnist-mlp-beta-vae", []string{"weighted by beta = 4"}},
		{"mnist-mlp-vae", nil},
	} {
		exp, err := Lookup(tt.experiment)
		if err != nil {
			t.Fatal(err)
		}
		got := recipeCaveats(exp)
		if len(got) != len(tt.want) {
			t.Errorf("%s: caveats %q, want %d", tt.experiment, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: caveat %q lacks %q", tt.experiment, got[i], w)
			}
		}
	}
}
