package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
)

// The records keep their models' final weights: opened from them, a record's evaluation gives
// its recorded numbers again, and its figures byte for byte (VerifyRecord; the samples are drawn
// with fixed seeds).
func TestRecordedWeightsGiveTheRecordedNumbers(t *testing.T) {
	t.Parallel() // tens of seconds, mostly on one core: beside the package's other long tests
	if testing.Short() {
		t.Skip("evaluates recorded models on the MNIST test set")
	}
	// The small records, 10 s each; the VQ-VAE's PixelCNN draws its samples pixel by pixel (4 min).
	for _, name := range []string{"mnist-mlp-vae", "mnist-prior-cvae", "mnist-mlp-beta-vae-freebits"} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			v, err := VerifyRecord(context.Background(), filepath.Join("..", DefaultRecordsDir, name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d numbers (largest relative difference %.2g) and %d figures in %s", v.Numbers, v.MaxRelative, v.Figures,
				time.Since(start).Round(time.Millisecond))
			for _, d := range append(v.Differing, v.FiguresDiffering...) {
				t.Error(d)
			}
			if v.Numbers < 8 || v.Figures < 4 {
				t.Errorf("only %d recorded numbers and %d figures recomputed", v.Numbers, v.Figures)
			}
		})
	}
}

// Weights that fit MaxWeightsFileBytes at float32 are kept so; weights that fit it only at
// float16 are kept rounded, and read back as float32 holding the rounded values; weights that fit
// it at neither, or that float16 cannot hold, are refused with their size and the bound, or the
// variable and its value, and nothing is left written.
func TestRecordRoundsOrRefusesWeightsOverTheBound(t *testing.T) {
	tooLarge := fmt.Sprintf("expected at most %d MiB per file", MaxWeightsFileBytes>>20)
	for _, tt := range []struct {
		name            string
		floats          int
		large           float32 // one weight set to this, if not 0
		rounded, refuse bool
		want            string // the refusal
	}{
		{"under", 1 << 20, 0, false, false, ""},                                 // 4 MiB at float32
		{"rounded", MaxWeightsFileBytes/4 + (256 << 10), 0, true, false, ""},    // 6 MiB at float32, 3 at float16
		{"over", MaxWeightsFileBytes/2 + (256 << 10), 0, false, true, tooLarge}, // 11 MiB at float32, 5.5 at float16
		{"beyond float16", MaxWeightsFileBytes/4 + (256 << 10), 1e5, false, true,
			"/dense/weights holds 100000: expected weights within float16's range"},
		{"not a number", MaxWeightsFileBytes/4 + (256 << 10), float32(math.NaN()), false, true, "/dense/weights holds NaN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Random values: the checkpoint's file may compress, and trained weights do not.
			rng := rand.New(rand.NewPCG(1, 2))
			values := make([]float32, tt.floats)
			for i := range values {
				values[i] = rng.Float32()*2 - 1
			}
			if tt.large != 0 {
				values[len(values)/2] = tt.large
			}
			store := model.NewStore()
			store.RootScope().In("dense").VariableWithValue("weights", tensors.FromFlatDataAndDimensions(values, tt.floats))
			// A count kept beside the weights, beyond float16's exact integers: kept exactly.
			store.RootScope().In("dense").VariableWithValue("count", float32(18741))
			out := filepath.Join(t.TempDir(), WeightsDir)
			rounded, err := writeWeights(store, out)
			if tt.refuse {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%d floats: error %v, want %q", tt.floats, err, tt.want)
				}
				if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
					t.Errorf("%d floats refused, but %s is left: %v", tt.floats, out, statErr)
				}
				return
			}
			if err != nil || rounded != tt.rounded {
				t.Fatalf("%d floats: rounded %v, error %v; want rounded %v and no error", tt.floats, rounded, err, tt.rounded)
			}
			back, err := loadStore(out)
			if err != nil {
				t.Fatal(err)
			}
			v := back.GetVariable("/dense/weights")
			if v == nil || v.DType() != dtypes.Float32 {
				t.Fatalf("read back: %v, want a float32 variable", v)
			}
			if c := back.GetVariable("/dense/count"); c == nil || tensors.ToScalar[float32](c.MustValue()) != 18741 {
				t.Errorf("the scalar beside the weights read back as %v, want 18741", c)
			}
			got := tensors.MustCopyFlatData[float32](v.MustValue())
			for i, x := range values {
				want := x
				if tt.rounded {
					want = float16.FromFloat32(x).Float32()
				}
				// The exact value is the check; the bound says what rounding costs: float16 keeps 11
				// significant bits, within 2^-11 of the weight relatively (above its subnormals,
				// 2^-14, which these weights, multiples of 2^-23 mostly larger, hold exactly).
				if got[i] != want || math.Abs(float64(got[i]-x)) > math.Abs(float64(x))/(1<<11) {
					t.Fatalf("weight %d: read back %g, want %g (written %g)", i, got[i], want, x)
				}
			}
		})
	}
}

// Every committed weights file is under MaxWeightsFileBytes (records stay small enough for git).
func TestRecordedWeightsAreSmall(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", DefaultRecordsDir, "*", "*", "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", DefaultRecordsDir, "*", codePriorDir, WeightsDir, "*.bin"))
	var total int64
	for _, f := range append(files, more...) {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
		if info.Size() > MaxWeightsFileBytes {
			t.Errorf("%s: %d bytes, over %d", f, info.Size(), MaxWeightsFileBytes)
		}
	}
	if len(files) == 0 {
		t.Fatal("no record keeps weights")
	}
	t.Logf("%d weights files, %.1f MiB in all", len(files)+len(more), float64(total)/(1<<20))
}

// A class-conditional model's distances come per class too: every class once, its samples the
// n / classes asked for, its test images those of the class among the first n (together n).
func TestConditionalDistancesPerClass(t *testing.T) {
	t.Parallel() // about ten seconds, mostly on one core: beside the package's other long tests
	if testing.Short() {
		t.Skip("evaluates a recorded model on the MNIST test set")
	}
	tr, err := OpenDir(filepath.Join("..", DefaultRecordsDir, "mnist-prior-cvae"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.Evaluate(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := m.SampleDistances
	if d == nil || len(d.PerClass) != 10 {
		t.Fatalf("distances %+v: want 10 classes", d)
	}
	tests := 0
	for i, c := range d.PerClass {
		t.Logf("%s: %d samples, %d test images, Fréchet %.1f ± %.1f, kernel %.2f, precision %.3f, recall %.3f", c.Class, c.Samples,
			c.TestImages, c.Frechet.Mean, c.Frechet.SD, c.Kernel.Mean, c.Precision.Mean, c.Recall.Mean)
		tests += c.TestImages
		if c.Class != tr.Test.ClassNames[i] || c.Samples != d.Samples/10 || c.TestImages < 150 {
			t.Errorf("class %d: %+v", i, c)
		}
		if !(c.Frechet.Mean > 0 && c.Precision.Mean >= 0 && c.Precision.Mean <= 1 && c.Recall.Mean >= 0 && c.Recall.Mean <= 1) || c.Frechet.SD == 0 {
			t.Errorf("class %s: values out of range or no spread over the sets: %+v", c.Class, c)
		}
	}
	if tests != d.Samples {
		t.Errorf("the classes' test images add up to %d, want the %d measured overall", tests, d.Samples)
	}
}

// Reevaluate fills in a measure the record lacks and keeps what it does not compute: a copy of a
// record without its sample distances and with one number wrong gets both back from its weights,
// while its history, times and NLL stay, and the manifest names the evaluation.
func TestReevaluateFillsInFromTheWeights(t *testing.T) {
	t.Parallel() // about ten seconds, mostly on one core: beside the package's other long tests
	if testing.Short() {
		t.Skip("evaluates a recorded model on the MNIST test set")
	}
	dir := filepath.Join(t.TempDir(), "mnist-mlp-vae")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", DefaultRecordsDir, "mnist-mlp-vae"))); err != nil {
		t.Fatal(err)
	}
	before, err := ReadFinished(dir)
	if err != nil {
		t.Fatal(err)
	}
	damaged := before.Metrics
	damaged.SampleDistances = nil
	damaged.Extra = maps.Clone(before.Metrics.Extra)
	damaged.Extra["test_reconstruction_bce_nats"] = 1
	if err := writeJSON(filepath.Join(dir, MetricsFile), damaged); err != nil {
		t.Fatal(err)
	}
	if err := Reevaluate(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	after, err := ReadFinished(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The evaluation numbers come back within VerifyTolerance: bit for bit on the backends that
	// recorded them, and within a few parts in 1e9 where GOMLX_BACKEND moves the judge (a
	// convolutional classifier, on ONNX Runtime by default) to another backend, as `make test`
	// does. What the evaluation does not compute stays exactly as recorded.
	want, got := evaluationNumbers(&before.Metrics), evaluationNumbers(&after.Metrics)
	if len(got) != len(want) {
		t.Errorf("reevaluated record has %d evaluation numbers, the record %d", len(got), len(want))
	}
	for key, w := range want {
		g, ok := got[key]
		if rel := math.Abs(g-w) / math.Max(math.Abs(w), 1e-12); !ok || rel > VerifyTolerance {
			t.Errorf("%s: reevaluated %g, recorded %g", key, g, w)
		}
	}
	kept, recorded := after.Metrics, before.Metrics
	kept.Extra, kept.ClassFidelity, kept.Posterior, kept.SampleDistances = nil, nil, nil, nil
	recorded.Extra, recorded.ClassFidelity, recorded.Posterior, recorded.SampleDistances = nil, nil, nil, nil
	if !reflect.DeepEqual(kept, recorded) {
		t.Errorf("reevaluation changed what it does not compute:\n%+v\nwant\n%+v", kept, recorded)
	}
	const nllKey = "test_nll_iw_k1000_nats" // estimated only with -nll: kept bit for bit
	if g, w := after.Metrics.Extra[nllKey], before.Metrics.Extra[nllKey]; g != w {
		t.Errorf("%s: reevaluated without -nll, changed from %g to %g", nllKey, w, g)
	}
	manifest, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	if !strings.Contains(string(manifest), `"evaluated_again_at"`) {
		t.Errorf("the manifest does not say when the record was evaluated again:\n%s", manifest)
	}
}

// modelWeightBytes is what the weights of exp's model take as float32 values (vaekit.Sized).
func modelWeightBytes(t *testing.T, exp Experiment) int64 {
	t.Helper()
	m, err := exp.model()
	if err != nil {
		t.Fatal(err)
	}
	sized, ok := m.(vaekit.Sized)
	if !ok {
		return 0
	}
	params, err := preflight(exp, m.Name(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return 4 * sized.Size(params, m.Name(), []int{28, 28, 1}).Weights
}

// fitsAtFloat16 is the most float32 bytes of weights a record keeps, rounded to float16.
const fitsAtFloat16 = 2*MaxWeightsFileBytes - 256<<10

// Every reproduction's model fits a record's weights file (MaxWeightsFileBytes, at float16 if not at float32), so that
// `experiments reproduce` can record what it trains.
func TestReproductionsFitARecord(t *testing.T) {
	for _, r := range Reproductions {
		exp, err := Lookup(r.Experiment)
		if err != nil {
			t.Fatal(err)
		}
		// Rounded to float16 where float32 would not fit (writeWeights): half the bytes, and room
		// for the checkpoint's own (the full-width DCGAN: 4.77 MiB of float16 in a 4.84 MiB file).
		if b := modelWeightBytes(t, exp); b > fitsAtFloat16 || b == 0 {
			t.Errorf("%s: %d bytes of float32 weights, want some and at most %d", r.Experiment, b, fitsAtFloat16)
		}
	}
}

// An NLL asked of verify at a k the record has no estimate for is refused before any work, with
// the record's own k named.
func TestVerifyRefusesAnNLLTheRecordDoesNotHave(t *testing.T) {
	_, err := VerifyRecord(context.Background(), filepath.Join("..", DefaultRecordsDir, "mnist-mlp-vae"), Options{MaxNLLSamples: 5})
	if err == nil || !strings.Contains(err.Error(), "test_nll_iw_k5_nats") || !strings.Contains(err.Error(), "test_nll_iw_k1000_nats") {
		t.Errorf("error %v: want the k asked for and the record's named", err)
	}
}

// Recording a record onto itself is refused before anything is touched: it would drop its
// weights (written from a run's checkpoint, which a record does not have) and what was added to
// it in place; a run folder of the same name elsewhere is recorded as usual.
func TestRecordRefusesTheRecordItself(t *testing.T) {
	root := t.TempDir()
	records := filepath.Join(root, "records")
	rec := filepath.Join(records, "mnist-mlp-vae")
	if err := os.MkdirAll(filepath.Join(rec, WeightsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(rec, WeightsDir, "kept")
	if err := os.WriteFile(weights, []byte("w"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A finished record's files, so that only the refusal stands between Record and the copy.
	for _, name := range []string{MetricsFile, ParamsFile, history.File, ManifestFile} {
		data, err := os.ReadFile(filepath.Join("..", DefaultRecordsDir, "mnist-mlp-vae", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rec, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	for _, tc := range []struct {
		dir, recordsDir string
		same            bool
	}{
		{rec, records, true},
		{"records/mnist-mlp-vae", "records", true},
		{"./records/../records/mnist-mlp-vae/", records, true},
		{filepath.Join(root, "runs", "mnist-mlp-vae"), records, false},
		{rec, filepath.Join(root, "other"), false},
	} {
		if got := IsRecordOf(tc.dir, tc.recordsDir); got != tc.same {
			t.Errorf("IsRecordOf(%q, %q) = %v, want %v", tc.dir, tc.recordsDir, got, tc.same)
		}
		if !tc.same {
			continue
		}
		err := Record(context.Background(), tc.dir, tc.recordsDir, Options{})
		if err == nil || !strings.Contains(err.Error(), "it is the record itself") {
			t.Errorf("Record(%q, %q) = %v, want the refusal", tc.dir, tc.recordsDir, err)
		}
		if _, err := os.Stat(weights); err != nil {
			t.Fatalf("the record's weights are gone after Record(%q, %q): %v", tc.dir, tc.recordsDir, err)
		}
	}
}

// A model recorded with its weights rounded to float16 has its test NLL estimated again from
// them, with as many importance samples as its run's estimate, so that every number of the
// record is what its weights give: verify, the NLL included, finds them all.
func TestRoundedRecordEstimatesItsNLLAgain(t *testing.T) {
	t.Parallel() // seconds, mostly on one core: beside the package's other long tests
	if testing.Short() {
		t.Skip("trains a quick run and estimates its NLL")
	}
	exp, err := Lookup("mnist-mlp-vae")
	if err != nil {
		t.Fatal(err)
	}
	requireData(t, exp.Data)
	o := quick(t.TempDir())
	// 784-1024-256-20 and back: 8.6 MB of float32 weights, over the bound; 4.3 MB at float16.
	o.Overrides = map[string]any{vaekit.ParamMLPHidden: []int{1024, 256}}
	res, err := Run(context.Background(), exp, o)
	if err != nil {
		t.Fatal(err)
	}
	run, err := ReadFinished(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf(nllMetric, o.MaxNLLSamples)
	if _, ok := run.Metrics.Extra[key]; !ok {
		t.Fatalf("the quick run has no %s: %v", key, run.Metrics.Extra)
	}
	records := t.TempDir()
	// Asked for no NLL, as `experiments record` asks: the record's own k is estimated again.
	ro := o
	ro.MaxNLLSamples = 0
	if err := Record(context.Background(), res.Dir, records, ro); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(records, exp.Name)
	recorded, err := ReadFinished(rec)
	if err != nil {
		t.Fatal(err)
	}
	if recorded.Metrics.Extra[key] == run.Metrics.Extra[key] {
		t.Errorf("%s is the float32 run's, %g: want it estimated again from the rounded weights", key, run.Metrics.Extra[key])
	}
	v, err := VerifyRecord(context.Background(), rec, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(v.Differing, v.FiguresDiffering...) {
		t.Error(d)
	}
	t.Logf("NLL %g (float32) -> %g (float16); verify: %d numbers, %d figures", run.Metrics.Extra[key], recorded.Metrics.Extra[key], v.Numbers, v.Figures)
}

// A run that samples from averaged weights (a GAN with ema_decay) is recorded with the averages
// in place of the generator's last weights and nothing else: the record draws the run's samples
// bit for bit, holds one generator, and says so in its manifest.
func TestAveragedRunIsRecordedWithItsAverages(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-tf-dcgan-half-radford-ema")
	run, err := Open(exp, quick(runs))
	if err != nil {
		t.Fatal(err)
	}
	fromAverages, err := run.Samples(8, 3)
	if err != nil {
		t.Fatal(err)
	}
	run.Store.SetParam(vaekit.ParamSampleAverages, false)
	fromLast, err := run.Samples(8, 3)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(fromAverages, fromLast) {
		t.Fatal("the run's averaged and last generators draw the same samples: nothing to tell apart")
	}
	records := t.TempDir()
	if err := Record(context.Background(), filepath.Join(runs, exp.Name), records, quick(runs)); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(records, exp.Name)
	store, err := loadStore(filepath.Join(rec, WeightsDir))
	if err != nil {
		t.Fatal(err)
	}
	if vaekit.SamplesFromAverages(store) {
		t.Errorf("the record's weights still say they sample from averages under /%s", vaekit.AveragesScope)
	}
	if v := store.GetVariable("/averaged/generator/output/weights"); v != nil {
		t.Errorf("the record keeps %s: want the averages in the generator's place, one generator", v.Path())
	}
	opened, err := OpenDir(rec, quick(runs))
	if err != nil {
		t.Fatal(err)
	}
	got, err := opened.Samples(8, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fromAverages) {
		t.Error("the record's samples differ from the run's (drawn from its averaged generator)")
	}
	var manifest map[string]any
	data, err := os.ReadFile(filepath.Join(rec, ManifestFile))
	if err == nil {
		err = json.Unmarshal(data, &manifest)
	}
	if s, _ := manifest[WeightsAveraged].(string); !strings.Contains(s, "ema_decay 0.999") {
		t.Errorf("manifest's %s = %v (%v), want the decay named", WeightsAveraged, manifest[WeightsAveraged], err)
	}
}

// An averaged run resumed at an epoch's end continues its averages, their count and the
// averaged generator's BatchNorm statistics exactly: it ends where an uninterrupted run does.
func TestAveragedRunResumesExactly(t *testing.T) {
	exp, err := Lookup("mnist-tf-dcgan-half-radford-ema")
	if err != nil {
		t.Fatal(err)
	}
	requireData(t, exp.Data)
	straight, resumed := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), exp, quick(straight)); err != nil {
		t.Fatal(err)
	}
	first := quick(resumed)
	first.Epochs = 1
	if _, err := Run(context.Background(), exp, first); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), exp, quick(resumed)); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"history.csv", filepath.Join(FiguresDir, "samples.png")} {
		a, errA := os.ReadFile(filepath.Join(straight, exp.Name, rel))
		b, errB := os.ReadFile(filepath.Join(resumed, exp.Name, rel))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the uninterrupted run and the one resumed after its first epoch (%v, %v)", rel, errA, errB)
		}
	}
	var ms [2]Metrics
	for i, dir := range []string{straight, resumed} {
		data, err := os.ReadFile(filepath.Join(dir, exp.Name, MetricsFile))
		if err == nil {
			err = json.Unmarshal(data, &ms[i])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(ms[0].Extra, ms[1].Extra) {
		t.Errorf("sample measures differ: uninterrupted %v, resumed %v", ms[0].Extra, ms[1].Extra)
	}
}
