package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gofrs/flock"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// requireData skips when the data sets are not installed, unless VAEKIT_REQUIRE_DATA=1
// (`make test`), where a missing data set is a failure.
func requireData(t *testing.T, name datasets.Name) {
	t.Helper()
	if _, err := datasets.Load(name, datasets.Test, datasets.Options{Offline: true}); err != nil {
		if os.Getenv("VAEKIT_REQUIRE_DATA") == "1" {
			t.Fatal(err)
		}
		t.Skipf("data not installed (run `make data`): %v", err)
	}
}

func quick(dir string) Options {
	o := QuickOptions(dir)
	o.Log = io.Discard
	o.Data = datasets.Options{Offline: true}
	return o
}

func TestQuickRunsWriteEverythingAndResume(t *testing.T) {
	for _, exp := range Registry {
		t.Run(exp.Name, func(t *testing.T) {
			// Two at a time (go test's -parallel is the cores): one quick run leaves a core idle
			// for much of its time (graph building, evaluation, figures), and each run has its
			// own directory.
			t.Parallel()
			requireData(t, exp.Data)
			runs := t.TempDir()
			res, err := Run(context.Background(), exp, quick(runs))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"params.json", "history.csv", "metrics.json", "manifest.json", SegmentsFile} {
				if _, err := os.Stat(filepath.Join(res.Dir, f)); err != nil {
					t.Errorf("run directory lacks %s: %v", f, err)
				}
			}
			// Its training segments cover its 6 steps (2 epochs of 3): recording checks them. A
			// model whose weights pass what a record keeps at float32 is recorded with them rounded
			// to float16, evaluated and drawn again from them (so that verify finds what it
			// holds); TestReproductionsFitARecord keeps reproductions within float16's bound.
			records := t.TempDir()
			err = Record(context.Background(), res.Dir, records, quick(runs))
			if m, _ := exp.model(); m != nil {
				rec := filepath.Join(records, exp.Name)
				switch weights := modelWeightBytes(t, exp); {
				case weights > fitsAtFloat16:
					if err == nil || !strings.Contains(err.Error(), "expected at most") {
						t.Errorf("recording a run with %d bytes of weights: error %v, want the size refused", weights, err)
					}
				case err != nil:
					t.Errorf("recording the run: %v", err)
				case weights > MaxWeightsFileBytes:
					var manifest map[string]any
					data, err := os.ReadFile(filepath.Join(rec, ManifestFile))
					if err == nil {
						err = json.Unmarshal(data, &manifest)
					}
					if manifest[WeightsRoundedTo] != "float16" {
						t.Errorf("record of %d bytes of float32 weights: manifest's %s %v (%v), want float16", weights, WeightsRoundedTo, manifest[WeightsRoundedTo], err)
					}
					if drawn, _ := filepath.Glob(filepath.Join(rec, FiguresDir, "*")); len(PNGs(drawn)) != len(drawn) {
						t.Errorf("the rounded record's figures, drawn again: %v, want PNGs only", drawn)
					}
					v, err := VerifyRecord(context.Background(), rec, quick(runs))
					if err != nil || !v.OK() || v.Numbers == 0 || v.Figures == 0 {
						t.Errorf("the rounded record does not give its own numbers and figures: %+v, %v", v, err)
					}
				}
			}
			hist, err := history.Read(filepath.Join(res.Dir, "history.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if hist.Epochs() != 2 || len(hist.Rows) != 4 {
				t.Errorf("history has %d epochs, %d rows; want 2 and 4", hist.Epochs(), len(hist.Rows))
			}
			var metrics Metrics
			data, _ := os.ReadFile(filepath.Join(res.Dir, "metrics.json"))
			if err := json.Unmarshal(data, &metrics); err != nil {
				t.Fatalf("metrics.json: %v", err)
			}
			if metrics.Test["loss"] <= 0 || metrics.Epochs != 2 {
				t.Errorf("metrics.json: test loss %v, epochs %d", metrics.Test["loss"], metrics.Epochs)
			}
			if exp.Model == "vqvae" {
				k := float64(exp.Params[vqvae.ParamNumCodes].(int))
				if p := metrics.Extra["codebook_perplexity_codes"]; !(p >= 1 && p <= k) {
					t.Errorf("metrics.json: codebook perplexity %v, want within [1, %v]", p, k)
				}
				if u := metrics.Extra["codes_in_use_fraction"]; !(u > 0 && u <= 1) {
					t.Errorf("metrics.json: codes in use %v, want within (0, 1]", u)
				}
			}
			// A GAN has no encoder: nothing to reconstruct; its samples are judged instead.
			m, _ := exp.model()
			_, reconstructs := m.(vaekit.Reconstructor)
			if reconstructs {
				bce, sse := metrics.Extra["test_reconstruction_bce_nats"], metrics.Extra["test_reconstruction_squared_error"]
				if !(bce > 0 && sse > 0 && sse < 784) {
					t.Errorf("metrics.json: reconstruction BCE %v nats and squared error %v, want positive (and under 784)", bce, sse)
				}
			}
			if exp.NLLSamples > 0 {
				// Quick mode caps k at 4; the estimate is at least the one of a perfect decoder, 0.
				if nll, ok := metrics.Extra["test_nll_iw_k4_nats"]; !ok || !(nll > 0) {
					t.Errorf("metrics.json: importance-weighted NLL %v (present %v), want a positive number of nats", nll, ok)
				}
				if metrics.NLLBackend == "" {
					t.Error("metrics.json does not name the backend the NLL ran on")
				}
			}
			if exp.CodePrior != nil {
				if nll := metrics.Extra["code_prior_test_nll_nats"]; !(nll > 0) {
					t.Errorf("metrics.json: code prior test NLL %v, want a positive number of nats", nll)
				}
			}
			if exp.Model == "vae" || exp.Model == "cvae" {
				checkPosteriorDiagnostics(t, exp, res.Dir, metrics)
			}
			if (exp.Model != "vqvae" || exp.CodePrior != nil) && exp.Model != "classifier" {
				checkSampleDistances(t, metrics)
			}
			conditional := exp.Model == "cvae" || exp.CodePrior[pixelcnn.ParamConditional] == true
			generates := exp.Model != "classifier" && exp.Model != "ae" && (exp.Model != "vqvae" || exp.CodePrior != nil)
			if generates && !conditional {
				if q := metrics.Extra["sample_score_classes"]; !(q >= 1 && q <= 10) {
					t.Errorf("metrics.json: sample score %v, want within [1, 10]", q)
				}
				if c := metrics.Extra["sample_confidence_fraction"]; !(c >= 0.1 && c <= 1) {
					t.Errorf("metrics.json: sample confidence %v, want within [0.1, 1]", c)
				}
			}
			if conditional {
				f := metrics.Extra["class_fidelity_fraction"]
				a := metrics.Extra["classifier_test_accuracy_fraction"]
				if !(f >= 0 && f <= 1 && a > 0 && a <= 1) || len(metrics.ClassFidelity) != 10 {
					t.Errorf("metrics.json: fidelity %v (per class %v), classifier accuracy %v: want fractions, 10 classes", f, metrics.ClassFidelity, a)
				}
			}
			if exp.Model == "classifier" {
				if a := metrics.Extra["test_accuracy_fraction"]; !(a > 0 && a <= 1) {
					t.Errorf("metrics.json: test accuracy %v, want a fraction", a)
				}
			}
			wantFigures := []string{"loss_curves"}
			if reconstructs {
				wantFigures = append(wantFigures, "reconstructions")
			}
			switch {
			case conditional:
				wantFigures = append(wantFigures, "class_samples")
			case exp.Model != "classifier":
				wantFigures = append(wantFigures, "samples")
			}
			if exp.Params[vaekit.ParamLatentDim] == 2 {
				wantFigures = append(wantFigures, "latent_manifold")
			}
			if reconstructs && exp.Model != "vqvae" {
				wantFigures = append(wantFigures, "label_clusters", "interpolation")
			}
			if exp.Model == "vqvae" {
				wantFigures = append(wantFigures, "code_map", "codebook_usage")
			}
			if exp.CodePrior != nil {
				wantFigures = append(wantFigures, "code_prior_loss_curves")
			}
			// The class-prior CVAE's learned means are marked on its scatter; no other model has
			// class means to mark (the concatenation CVAE's prior is N(0, I) for every class).
			if svg, err := os.ReadFile(filepath.Join(res.Dir, "figures", "label_clusters.svg")); err == nil {
				marked := strings.Contains(string(svg), "learned mean")
				if want := exp.Params[cvae.ParamForm] == cvae.FormPrior && exp.Params[vaekit.ParamLatentDim] == 2; marked != want {
					t.Errorf("label clusters mark learned class means: %v, want %v", marked, want)
				}
			}
			before := map[string][]byte{}
			for _, f := range wantFigures {
				for _, ext := range []string{".png", ".svg", ".pdf"} {
					path := filepath.Join(res.Dir, "figures", f+ext)
					b, err := os.ReadFile(path)
					if err != nil || len(b) == 0 {
						t.Errorf("figure %s missing or empty: %v", path, err)
					}
					before[path] = b
				}
			}

			// Open reads the run back, as a notebook cell after the training cell does.
			opened, err := Open(exp, quick(runs))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(opened.History.MarshalCSV(), hist.MarshalCSV()) || opened.Test.N != 256 {
				t.Errorf("Open: history or test set differ from the run's")
			}

			// Running it again finds the run finished: no epoch is trained, the history is the
			// same, and the figures are redrawn byte for byte.
			again, err := Run(context.Background(), exp, quick(runs))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.History.MarshalCSV(), hist.MarshalCSV()) {
				t.Errorf("rerunning a finished run changed its history")
			}
			if rerun := readMetrics(res.Dir); rerun == nil || rerun.SecondsPerEpoch != metrics.SecondsPerEpoch || rerun.WallSeconds < metrics.WallSeconds {
				t.Errorf("rerunning a finished run changed its timings: %+v, before %+v", rerun, metrics)
			}
			for path, b := range before {
				if now, _ := os.ReadFile(path); !bytes.Equal(now, b) {
					t.Errorf("figure %s differs when redrawn from the same checkpoint", path)
				}
			}
		})
	}
}

// quickRunOf runs the named experiment in quick mode into a new runs folder and returns both.
func quickRunOf(t *testing.T, name string) (Experiment, string) {
	t.Helper()
	exp, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	requireData(t, exp.Data)
	runs := t.TempDir()
	if _, err := Run(context.Background(), exp, quick(runs)); err != nil {
		t.Fatal(err)
	}
	return exp, runs
}

func TestRunRejectsACheckpointOfAnotherModel(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-mlp-vae")
	exp.Model = "ae"
	_, err := Run(context.Background(), exp, quick(runs))
	if err == nil || !strings.Contains(err.Error(), `belongs to model "vae", not "ae"`) {
		t.Errorf("Run with another model in the same run directory: error = %v", err)
	}
}

// An experiment whose recipe changed since its run directory was trained is not finished, and
// resuming it is an error naming the change; params.json still says what was trained.
func TestRunRejectsACheckpointOfAnotherRecipe(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-mlp-vae")
	opts := quick(runs)
	paramsPath := filepath.Join(runs, exp.Name, "params.json")
	before, err := os.ReadFile(paramsPath)
	if err != nil {
		t.Fatal(err)
	}
	if !finished(exp, opts) {
		t.Fatal("the quick run is not seen as finished")
	}
	changed := exp
	changed.Params = maps.Clone(exp.Params)
	changed.Params[vaekit.ParamLatentDim] = 10
	if finished(changed, opts) {
		t.Error("a run trained with latent_dim 20 is seen as a finished run of latent_dim 10")
	}
	_, err = Run(context.Background(), changed, opts)
	if err == nil || !strings.Contains(err.Error(), "another recipe (latent_dim = 20, not 10): rerun it from scratch") {
		t.Errorf("Run with another latent size in the same run directory: error = %v", err)
	}
	if after, _ := os.ReadFile(paramsPath); !bytes.Equal(before, after) {
		t.Errorf("the refused run rewrote params.json:\n%s", after)
	}
	// A training parameter may change: more epochs resume the run. Resumed, not retrained: the
	// two epochs already in the history keep their numbers to the last digit, and one more
	// epoch is added.
	histPath := filepath.Join(runs, exp.Name, "history.csv")
	histBefore, err := history.Read(histPath)
	if err != nil {
		t.Fatal(err)
	}
	more := exp
	more.Params = maps.Clone(exp.Params)
	more.Params[training.ParamLearningRate] = 1e-4
	opts.Epochs = 3
	res, err := Run(context.Background(), more, opts)
	if err != nil {
		t.Fatalf("resuming with another learning rate: %v", err)
	}
	if got, want := len(res.History.Rows), len(histBefore.Rows)+2; got != want {
		t.Fatalf("history after resuming for a third epoch has %d rows, want %d (train and test of epoch 3 added)", got, want)
	}
	for i, row := range histBefore.Rows {
		if !slices.Equal(res.History.Rows[i].Values, row.Values) || res.History.Rows[i].Epoch != row.Epoch {
			t.Errorf("row %d (epoch %d %s) changed on resuming: %v, was %v", i, row.Epoch, row.Split, res.History.Rows[i].Values, row.Values)
		}
	}
	if last := res.History.Rows[len(res.History.Rows)-1]; last.Epoch != 3 {
		t.Errorf("last row is of epoch %d, want 3", last.Epoch)
	}
}

func TestLookupAndModelErrors(t *testing.T) {
	if _, err := Lookup("no-such"); err == nil || !strings.Contains(err.Error(), "fashion-conv-vae") {
		t.Errorf("Lookup(no-such) error = %v, want the list of experiments", err)
	}
	if _, err := vaekit.FamilyByName("flow"); err == nil || !strings.Contains(err.Error(), `unknown model "flow": expected one of [ae `) ||
		!strings.Contains(err.Error(), " cvae dcgan gan pixelcnn vae vqvae]") {
		t.Errorf("vaekit.FamilyByName(flow) error = %v", err)
	}
	// A code prior is a registered family, but it trains on a VQ-VAE's code grids, never on images.
	if _, err := Custom("pixelcnn", "mnist", nil); err == nil || !strings.Contains(err.Error(), `model "pixelcnn" is a code prior`) {
		t.Errorf("Custom(pixelcnn) error = %v, want a code prior refused", err)
	}
	for _, e := range Registry {
		if _, err := vaekit.FamilyByName(e.Model); err != nil {
			t.Errorf("experiment %s: %v", e.Name, err)
		}
		if e.Source == "" || e.Description == "" {
			t.Errorf("experiment %s lacks its source or description", e.Name)
		}
	}
}

// Runs started at the same time into one runs folder write distinct run directories: the first
// takes runs/<experiment>, the next runs/<experiment>.2, and both finish with whole histories.
func TestConcurrentRunsGetDistinctDirectories(t *testing.T) {
	exp, err := Lookup("mnist-mlp-vae")
	if err != nil {
		t.Fatal(err)
	}
	requireData(t, exp.Data)
	runs := t.TempDir()
	dirs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := Run(context.Background(), exp, quick(runs))
			if err == nil {
				dirs[i] = res.Dir
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(runs, exp.Name)
	if dirs[0] == dirs[1] || !slices.Contains(dirs, base) {
		t.Errorf("concurrent runs wrote %q and %q, want %s and %s.2", dirs[0], dirs[1], base, base)
	}
	for _, d := range dirs {
		if h, err := history.Read(filepath.Join(d, "history.csv")); err != nil || h.Epochs() != 2 {
			t.Errorf("%s: history %v, %v; want 2 whole epochs", d, h, err)
		}
	}
	// Every directory held by another process: a clear error.
	var locks []*flock.Flock
	for i := 1; i <= maxConcurrentRuns; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s.%d", base, i)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		l := flock.New(filepath.Join(dir, ".lock"))
		if ok, err := l.TryLock(); !ok || err != nil {
			t.Fatalf("TryLock %s: %v %v", dir, ok, err)
		}
		locks = append(locks, l)
	}
	_, err = Run(context.Background(), exp, quick(runs))
	if err == nil || !strings.Contains(err.Error(), "are all being written by other runs") {
		t.Errorf("Run with every run directory locked: error = %v", err)
	}
	for _, l := range locks {
		l.Unlock()
	}
}

// A VQ-VAE trained further makes new codes: its code prior, trained on the old ones, is trained
// again from scratch; a finished prior of the same VQ-VAE is read back as it is.
func TestCodePriorFollowsItsVQVAE(t *testing.T) {
	t.Parallel() // tens of seconds, mostly on one core: beside the package's other long tests
	exp, runs := quickRunOf(t, "mnist-vqvae")
	opts := quick(runs)
	opts.Epochs = 3
	var log bytes.Buffer
	opts.Log = &log
	if _, err := Run(context.Background(), exp, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "trained for another VQ-VAE or recipe (vqvae_epochs = 2, not 3): training it again") {
		t.Errorf("resuming the VQ-VAE for a third epoch did not retrain its prior:\n%s", log.String())
	}
	prior, err := history.Read(filepath.Join(runs, exp.Name, "code_prior", "history.csv"))
	if err != nil || prior.Epochs() != 3 || len(prior.Rows) != 6 {
		t.Errorf("prior history after the retraining: %v, %v; want 3 fresh epochs", prior, err)
	}
	log.Reset()
	if _, err := Run(context.Background(), exp, opts); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "code prior:") {
		t.Errorf("a finished run trained or encoded its prior again:\n%s", log.String())
	}
	// Another recipe for the prior: the run is not finished, and its prior alone is trained again.
	exp.CodePrior = maps.Clone(exp.CodePrior)
	exp.CodePrior[pixelcnn.ParamResidualBlocks] = 1
	if finished(exp, opts) {
		t.Error("a run whose prior had 2 residual blocks is seen as finished with a prior of 1")
	}
	log.Reset()
	if _, err := Run(context.Background(), exp, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "(pixelcnn_residual_blocks = 2, not 1): training it again") {
		t.Errorf("a new prior recipe did not retrain the prior:\n%s", log.String())
	}
	if !finished(exp, opts) {
		t.Error("the run with its retrained prior is not finished")
	}
}

// viewLog records what a run's views were shown: per view title, the epochs updated and the
// rows of the history each Finish got.
type viewLog struct {
	mu     sync.Mutex
	events map[string][]string
}

type loggedView struct {
	log   *viewLog
	title string
}

func (l *viewLog) add(title, event string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events[title] = append(l.events[title], event)
}

func (v loggedView) Update(epoch int, _ *history.History) error {
	v.log.add(v.title, fmt.Sprintf("update %d", epoch))
	return nil
}

func (v loggedView) Finish(h *history.History) {
	v.log.add(v.title, fmt.Sprintf("finish %d rows", len(h.Rows)))
}

// A run shows its curves while it trains and again when read back. The recorded judge that
// every run of a data set shares shows its curves (its recorded history: 5 epochs) once per
// session (a notebook's kernel), under the first run that uses it: a notebook rerun over its
// finished runs shows the same page as its first run, and two runs sharing the judge in one
// session (notebook 4 trains two CVAEs in one cell) do not show its curves twice.
func TestViewsShowTheSharedJudgeOncePerSession(t *testing.T) {
	exp, err := Lookup("mnist-prior-cvae")
	if err != nil {
		t.Fatal(err)
	}
	requireData(t, exp.Data)
	opts := quick(t.TempDir())
	var shown map[string]bool // the runs shown in this session
	const judge = "mnist-classifier (recorded judge)"
	for _, tc := range []struct {
		pass       string
		newSession bool
		want       map[string][]string
	}{
		{"first session trains the run", true, map[string][]string{
			"mnist-prior-cvae": {"update 1", "update 2", "finish 4 rows"},
			judge:              {"finish 10 rows"}}},
		{"a new session reads it back", true, map[string][]string{
			"mnist-prior-cvae": {"finish 4 rows"},
			judge:              {"finish 10 rows"}}},
		{"the same session again", false, map[string][]string{
			"mnist-prior-cvae": {"finish 4 rows"}}},
	} {
		if tc.newSession {
			shown = map[string]bool{}
		}
		opts.FirstShowing = func(dir string) bool {
			first := !shown[dir]
			shown[dir] = true
			return first
		}
		log := &viewLog{events: map[string][]string{}}
		opts.NewView = func(title string, _ map[string]history.Axis) (EpochView, error) {
			return loggedView{log: log, title: title}, nil
		}
		if _, err := Run(context.Background(), exp, opts); err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(log.events, tc.want, slices.Equal) {
			t.Errorf("%s: views were shown %v, want %v", tc.pass, log.events, tc.want)
		}
	}
}

// checkPosteriorDiagnostics checks a VAE-family run's diagnostics of posterior collapse: one KL
// per latent dimension, summing to the test KL term (divided by the latent size under the "mean"
// reduction); the active units, the dimensions whose posterior mean varies by more than 0.01;
// I(x; z) between 0 and ln(images) (up to the estimate's noise); and their figure.
func checkPosteriorDiagnostics(t *testing.T, exp Experiment, dir string, metrics Metrics) {
	t.Helper()
	p := metrics.Posterior
	if p == nil {
		t.Fatal("metrics.json has no posterior diagnostics")
	}
	d := len(p.KLPerDimension)
	if want, ok := exp.Params[vaekit.ParamLatentDim]; (ok && d != want.(int)) || d == 0 || len(p.MeanVariance) != d {
		t.Fatalf("posterior diagnostics of %d dimensions (%d variances), want the latent size %v", d, len(p.MeanVariance), want)
	}
	sum, active := 0.0, 0
	for j, kl := range p.KLPerDimension {
		sum += kl
		if p.MeanVariance[j] > p.ActiveThreshold {
			active++
		}
	}
	if exp.Params[vae.ParamKLReduction] == "mean" {
		sum /= float64(d)
	}
	if kl := metrics.Test["kl"]; math.Abs(sum-kl) > 1e-3*math.Max(kl, 1) {
		t.Errorf("KL per dimension sums to %g, the test KL term is %g", sum, kl)
	}
	if got := metrics.Extra["test_active_units_dimensions"]; got != float64(active) || p.ActiveThreshold != 0.01 {
		t.Errorf("active units %v, want %d (variances %v over %g)", got, active, p.MeanVariance, p.ActiveThreshold)
	}
	if mi := metrics.Extra["test_mutual_information_nats"]; !(mi > -0.5 && mi < math.Log(float64(p.MutualInformationImages))+0.5) {
		t.Errorf("I(x; z) = %v nats over %d images, want within [0, ln %d] up to noise", mi, p.MutualInformationImages, p.MutualInformationImages)
	}
	if _, err := os.Stat(filepath.Join(dir, FiguresDir, "kl_per_dimension.png")); err != nil {
		t.Errorf("no KL-per-dimension figure: %v", err)
	}
}

// checkSampleDistances checks a generating run's sample distances: computed on sets of the quick
// run's 256 test images, in the recorded judge's features, with a floor (training against test
// images) that is a real measurement (a positive Fréchet distance, precision and recall in
// (0, 1]) and every mean within the measure's range.
func checkSampleDistances(t *testing.T, metrics Metrics) {
	t.Helper()
	d := metrics.SampleDistances
	if d == nil {
		t.Fatal("metrics.json has no sample distances")
	}
	if d.Samples < 250 || d.Samples > 256 || d.Sets != 3 || !strings.Contains(d.Features, "judge (128 ReLU units") {
		t.Errorf("sample distances over %d sets of %d samples in %q, want 3 sets of about 256 in the judge's 128 features", d.Sets, d.Samples, d.Features)
	}
	f := d.Floor
	if !(f.Frechet > 0 && f.Precision > 0 && f.Precision <= 1 && f.Recall > 0 && f.Recall <= 1) {
		t.Errorf("floor %+v, want a positive Fréchet distance and precision and recall in (0, 1]", f)
	}
	if !(d.Frechet.Mean > 0 && d.Precision.Mean >= 0 && d.Precision.Mean <= 1 && d.Recall.Mean >= 0 && d.Recall.Mean <= 1 && d.Frechet.SD >= 0) {
		t.Errorf("distances %+v, want a positive Fréchet distance and fractions in [0, 1]", d)
	}
	if metrics.Extra["sample_frechet_distance_features"] != d.Frechet.Mean || metrics.Extra["sample_recall_fraction"] != d.Recall.Mean {
		t.Errorf("extras %v do not hold the distances' means", metrics.Extra)
	}
}

// The recorded judges load from the package's embedded files with their weights only (no
// optimizer or training-loop state), a test accuracy of at least 98% (MNIST) and 88%
// (Fashion-MNIST) in their history, and 128 penultimate features.
func TestRecordedJudges(t *testing.T) {
	for _, tc := range []struct {
		data     datasets.Name
		accuracy float64
	}{{datasets.MNIST, 0.98}, {datasets.FashionMNIST, 0.88}} {
		t.Run(string(tc.data), func(t *testing.T) {
			exp, err := ClassifierFor(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			test := &datasets.Set{Name: tc.data, N: 3, Height: 28, Width: 28, Images: make([]float32, 3*28*28), Labels: make([]int32, 3),
				ClassNames: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
			judge, err := recordedJudge(exp, test)
			if err != nil || judge == nil {
				t.Fatalf("recorded judge of %s: %v, %v", tc.data, judge, err)
			}
			row, ok := judge.History.Last("test")
			if !ok || judge.History.Epochs() != 5 {
				t.Fatalf("recorded judge's history has %d epochs, want 5 with a test row", judge.History.Epochs())
			}
			if acc := 1 - judge.History.Value(row, "error"); acc < tc.accuracy {
				t.Errorf("recorded judge's test accuracy %.4f, want at least %.2f", acc, tc.accuracy)
			}
			for v := range judge.Store.IterVariables() {
				if !training.IsModelVariable(v) {
					t.Errorf("recorded judge holds %s, which is not a model variable", v.Path())
				}
			}
			features, err := classifier.Features(judge.Backend, judge.Store, test, 3)
			if err != nil || len(features) != 3 || len(features[0]) != 128 {
				t.Fatalf("features of 3 blank images: %d rows of %d, error %v; want 3 of 128", len(features), len(features[0]), err)
			}
		})
	}
}

// In a notebook (NewView and FirstShowing set) the backend's line says why the backend was chosen
// under the first run of a session and only its name under the others; without FirstShowing,
// every run says why.
func TestBackendLineOncePerSession(t *testing.T) {
	exp, err := Lookup("mnist-mlp-vae")
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	first := func(key string) bool {
		was := shown[key]
		shown[key] = true
		return !was
	}
	view := func(string, map[string]history.Axis) (EpochView, error) { return nil, nil }
	for _, tc := range []struct {
		name  string
		first func(string) bool
		want  []bool // whether each run's line gives the reason
	}{
		{"notebook", first, []bool{true, false, false}},
		{"command line", nil, []bool{true, true, true}},
	} {
		for i, long := range tc.want {
			var log strings.Builder
			opts := Options{RunsDir: t.TempDir(), CheckOnly: true, Log: &log, NewView: view, FirstShowing: tc.first}
			if _, err := Run(context.Background(), exp, opts); err != nil {
				t.Fatal(err)
			}
			line, _, _ := strings.Cut(log.String(), "\n")
			if gotLong := strings.Contains(line, ";"); gotLong != long || !strings.HasPrefix(line, "backend: ") ||
				!long && (!strings.HasSuffix(line, "(as above)") || strings.Count(line, "(") != strings.Count(line, ")")) {
				t.Errorf("%s, run %d: %q; want the reason: %v", tc.name, i+1, line, long)
			}
		}
	}
}

func TestShortBackend(t *testing.T) {
	for _, c := range []struct{ desc, want string }{
		{`Go Backend ("go"), SIMD matmul on (built with GOEXPERIMENT=simd; used where the processor has AVX2); default for MLPs`, `Go Backend ("go"), SIMD matmul on`},
		{`ONNX Runtime (GOMLX_BACKEND="onnxruntime"); default for convolutional models; 2 intra-op threads`, `ONNX Runtime (GOMLX_BACKEND="onnxruntime")`},
		{`XLA (cpu)`, `XLA (cpu)`},
	} {
		if got := shortBackend(c.desc); got != c.want {
			t.Errorf("shortBackend(%q) = %q, want %q", c.desc, got, c.want)
		}
	}
}

// A run's log calls the test split "test images" only when they are held out: a recipe that
// trains on them too (TrainOnAll) has them named as trained on in every line.
func TestLogNamesATestSplitTrainedOn(t *testing.T) {
	for _, tc := range []struct {
		name       string
		want, flaw []string
	}{
		{"mnist-mlp-vae", []string{"evaluating on test images", "reconstruction errors of 256 test images"}, []string{"trained on"}},
		{"mnist-keras-vae", []string{"evaluating on test split (trained on too)", "reconstruction errors of 256 test-split images (trained on)"},
			[]string{"evaluating on test images", "256 test images"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := Lookup(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			requireData(t, exp.Data)
			shown := training.ShowAfter
			training.ShowAfter = 0 // every phase's line, however short
			t.Cleanup(func() { training.ShowAfter = shown })
			var log strings.Builder
			opts := quick(t.TempDir())
			opts.Log = &log
			if _, err := Run(context.Background(), exp, opts); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(log.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, log.String())
				}
			}
			for _, f := range tc.flaw {
				if strings.Contains(log.String(), f) {
					t.Errorf("log says %q:\n%s", f, log.String())
				}
			}
		})
	}
}
