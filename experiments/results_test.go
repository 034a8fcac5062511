package experiments

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/training"
)

// The page's distance table shows a record's measures with their spread and floor, marks a run
// trained on its test images (they are not held out), and names the generative records without
// them.
func TestDistancesSection(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, m Metrics) {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeJSON(filepath.Join(dir, name, MetricsFile), m); err != nil {
			t.Fatal(err)
		}
	}
	d := &SampleDistances{Samples: 2000, Sets: 3, Frechet: Spread{61.926, 0.533}, Kernel: Spread{12.2279, 0.1448},
		Precision: Spread{0.847, 0.0026}, Recall: Spread{0.6083, 0.0125}}
	d.Floor.Frechet, d.Floor.Kernel, d.Floor.Precision, d.Floor.Recall = 24.0126, 2.6556, 0.842, 0.851
	write("mnist-mlp-vae", Metrics{Experiment: "mnist-mlp-vae", SampleDistances: d})
	write("mnist-dcgan", Metrics{Experiment: "mnist-dcgan", Extra: map[string]float64{"sample_score_classes": 5.5}})
	write("mnist-keras-vae", Metrics{Experiment: "mnist-keras-vae", SampleDistances: d}) // trained on its test images too
	// A class-conditional run measured per class, and one evaluated before the distances were.
	perClass := *d
	perClass.PerClass = make([]ClassDistances, 10)
	for c := range perClass.PerClass {
		perClass.PerClass[c] = ClassDistances{Class: strconv.Itoa(c), Frechet: Spread{Mean: float64(100 + c), SD: float64(c)}}
	}
	write("mnist-conv-cvae", Metrics{Experiment: "mnist-conv-cvae", SampleDistances: &perClass, ClassFidelity: make([]float64, 10)})
	write("mnist-vqvae", Metrics{Experiment: "mnist-vqvae", SampleDistances: d, ClassFidelity: make([]float64, 10)})
	got, err := distancesSection(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| mnist-mlp-vae | 3 x 2,000 | 61.93 ± 0.53 | 12.23 ± 0.14 | 0.847 ± 0.003 | 0.608 ± 0.013 | 24.01, 2.66, 0.842, 0.851 |\n",
		"Not measured (recorded before the distances were; their re-runs are pending): mnist-dcgan.\n",
		"| mnist-keras-vae ‡ | 3 x 2,000 |",
		"‡ Trained on its test images too (mnist-keras-vae, as in its source)",
		"| class | mnist-conv-cvae |",
		"- mnist-conv-cvae: farthest from its class's test images 9, 8 and 7 (Fréchet 109 ± 9, 108 ± 8, 107 ± 7; next 6 at 106 ± 6); nearest 0 (100 ± 0).\n",
		"Not measured per class (class-conditional, but evaluated before the distances were measured per class; " +
			"`experiments reevaluate` adds them): mnist-vqvae.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the section lacks %q; it is:\n%s", want, got)
		}
	}
}

// The results page's sentences on the posterior-collapse runs are the records' facts: fewer than
// half of the dimensions active at beta = 4 against all at beta = 1 and a worse NLL; warm-up
// brings most back with I(x; z) within 0.2 nats; free bits keep all active with the best NLL of
// the three, I(x; z) within 0.2 nats, and the largest Fréchet distance; the beta-TC-VAE's
// minibatch-weighted estimates are far off (a negative dimension-wise KL) yet add up to the KL.
func TestCollapseNotesHoldForTheRecords(t *testing.T) {
	read := func(name string) Metrics {
		f, err := ReadFinished(filepath.Join("..", DefaultRecordsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return f.Metrics
	}
	base, beta, warm, free := read("mnist-mlp-vae"), read("mnist-mlp-beta-vae"), read("mnist-mlp-beta-vae-warmup"), read("mnist-mlp-beta-vae-freebits")
	tc := read("mnist-mlp-tcvae")
	tcParams, err := readParams(filepath.Join("..", DefaultRecordsDir, "mnist-mlp-tcvae"))
	if err != nil {
		t.Fatal(err)
	}
	tcWeight, _ := tcParams["/tcvae_beta"].(float64)
	units := func(m Metrics) float64 { return m.Extra["test_active_units_dimensions"] }
	mi := func(m Metrics) float64 { return m.Extra["test_mutual_information_nats"] }
	nll := func(m Metrics) float64 { return m.Extra["test_nll_iw_k1000_nats"] }
	fd := func(m Metrics) float64 { return m.Extra["sample_frechet_distance_features"] }
	for _, c := range []struct {
		claim string
		holds bool
	}{
		{"beta = 1 keeps all 20 dimensions active", units(base) == 20},
		{"beta = 4 leaves fewer than half active", units(beta) < 10},
		{"beta = 4 costs likelihood", nll(beta) > nll(base)},
		{"warm-up brings most of the collapsed dimensions back", units(warm)-units(beta) > (20-units(beta))/2},
		{"warm-up: I(x; z) hardly moves", math.Abs(mi(warm)-mi(beta)) < 0.2},
		{"warm-up: the total test KL rises by only half a nat (9.99 against 9.48)", math.Round(warm.Test["kl"]*100) == 999 &&
			math.Round(beta.Test["kl"]*100) == 948},
		{"I(x; z) is estimated on 2,000 images (cap ln 2000 = 7.6)", warm.Posterior != nil && warm.Posterior.MutualInformationImages == 2000},
		{"free bits: each dimension keeps just over 0.5 nats", free.Posterior != nil && slices.Min(free.Posterior.KLPerDimension) > 0.5 &&
			slices.Max(free.Posterior.KLPerDimension) < 1},
		{"free bits: every dimension active", units(free) == 20},
		{"free bits: the best likelihood of the three", nll(free) < nll(beta) && nll(free) < nll(warm)},
		{"free bits: I(x; z) hardly moves", math.Abs(mi(free)-mi(beta)) < 0.2},
		{"free bits: samples farthest from the data", fd(free) > fd(beta) && fd(free) > fd(warm)},
		{"beta-TC-VAE: the dimension-wise KL estimate is negative", tc.Test["dimension_wise_kl"] < 0},
		{"beta-TC-VAE: the three estimates add up to the KL", math.Abs(tc.Test["mutual_information"]+tc.Test["total_correlation"]+
			tc.Test["dimension_wise_kl"]-tc.Test["kl"]) < 0.01*tc.Test["kl"]},
		{"beta-TC-VAE: six times the total correlation is most of the loss", tcWeight == 6 && 6*tc.Test["total_correlation"] > tc.Test["loss"]/2},
	} {
		if !c.holds {
			t.Errorf("the results page says %q, which the records contradict", c.claim)
		}
	}
}

// A comparison marks each run trained on its test images (‡) and says so under its table, once
// for the pair.
func TestVersusSectionMarksTrainingOnTest(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"mnist-keras-vae", "mnist-dcgan", "mnist-tf-dcgan-half"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeJSON(filepath.Join(dir, name, MetricsFile), Metrics{Experiment: name, Extra: map[string]float64{"sample_score_classes": 5}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		b        string
		want     []string
		unwanted string
	}{
		{"mnist-dcgan", []string{"| metric | mnist-keras-vae ‡ | mnist-dcgan ‡ |",
			"‡ mnist-keras-vae and mnist-dcgan trained on their test images too"}, "‡ mnist-keras-vae trained"},
		{"mnist-tf-dcgan-half", []string{"| metric | mnist-keras-vae ‡ | mnist-tf-dcgan-half |",
			"‡ mnist-keras-vae trained on its test images too"}, "mnist-tf-dcgan-half ‡"},
	} {
		got, err := versusSection(dir, t.TempDir(), "mnist-keras-vae", tc.b)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.want {
			if !strings.Contains(got, want) {
				t.Errorf("against %s: the section lacks %q; it is:\n%s", tc.b, want, got)
			}
		}
		if strings.Contains(got, tc.unwanted) {
			t.Errorf("against %s: the section has %q; it is:\n%s", tc.b, tc.unwanted, got)
		}
	}
}

// seedRun reads a committed run of a reproduction's recipe from another random seed, kept
// beside its record (docs/records/NAME/seeds/seed-N) as the evidence its note quotes. It must be
// the record's recipe but for the seed and the number of epochs, and its segments must cover
// every step and name what trained it.
func seedRun(t *testing.T, name string, seed int) *history.History {
	t.Helper()
	record := filepath.Join("..", DefaultRecordsDir, name)
	dir := filepath.Join(record, SeedsDir, fmt.Sprintf("seed-%d", seed))
	h, err := history.Read(filepath.Join(dir, history.File))
	if err != nil {
		t.Fatal(err)
	}
	want, err := readParams(record)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readParams(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := got["/initializer_seed"].(float64); s != float64(seed) {
		t.Fatalf("%s: initializer_seed %v, not %d", dir, got["/initializer_seed"], seed)
	}
	for _, key := range []string{"/initializer_seed", "/epochs"} {
		delete(want, key)
		delete(got, key)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: its parameters are not its record's but for the seed and the epochs:\n%v\nagainst\n%v", dir, got, want)
	}
	images := trainingImages(t, name)
	segs, err := ReadSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	epochs := h.Rows[len(h.Rows)-1].Epoch
	if err := CheckSegments(segs, epochs*(images/int(want["/"+training.ParamBatchSize].(float64)))); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return h
}

// recordAndReference reads a record's history and its source's printed log, with the log's
// value of a term after an epoch.
func recordAndReference(t *testing.T, name string) (*history.History, *SourceLog, func(epoch int, term string) float64) {
	t.Helper()
	h, err := history.Read(filepath.Join("..", DefaultRecordsDir, name, history.File))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := readReferenceLog(name, "s")
	if err != nil {
		t.Fatal(err)
	}
	return h, ref, func(epoch int, term string) float64 { return ref.Epochs[epoch-1][slices.Index(ref.Terms, term)] }
}

// trainValue is a term's value on the training row of an epoch of h.
func trainValue(t *testing.T, h *history.History, epoch int, term string) float64 {
	t.Helper()
	for _, r := range h.Rows {
		if r.Epoch == epoch && r.Split == "train" {
			return r.Values[slices.Index(h.Terms, term)]
		}
	}
	t.Fatalf("no training row for epoch %d", epoch)
	return 0
}

// The fashion-conv-vae note quotes its record: random seed 1 (the recorded run) at epochs 1 and
// 2, the runs from seeds 2 and 3 kept with it (seedRun) at the same epochs with the spread of
// epoch 2's loss over the three seeds, the one epoch whose KL is outside 5% of the tutorial's,
// and the band in which the training loss stays below the tutorial's from epoch 3 on. Each quoted string is built from the record,
// so a re-run that moves a number fails here until the note says it.
func TestFashionNoteQuotesTheRecord(t *testing.T) {
	const name = "fashion-conv-vae"
	h, ref, refOf := recordAndReference(t, name)
	note := referenceNote(name)
	train := func(epoch int, term string) float64 { return trainValue(t, h, epoch, term) }
	var outside []int
	lo, hi := math.Inf(1), math.Inf(-1)
	for e := 1; e <= len(ref.Epochs); e++ {
		if math.Abs(train(e, "kl")/refOf(e, "kl")-1) > 0.05 {
			outside = append(outside, e)
		}
		if e >= 3 {
			d := 100 * (train(e, "loss")/refOf(e, "loss") - 1)
			lo, hi = min(lo, d), max(hi, d)
		}
	}
	s2, s3 := seedRun(t, name, 2), seedRun(t, name, 3)
	v := func(h *history.History, epoch int, term string) float64 { return trainValue(t, h, epoch, term) }
	loss2 := []float64{train(2, "loss"), v(s2, 2, "loss"), v(s3, 2, "loss")}
	wants := []string{
		fmt.Sprintf("the first epoch ends at a KL of %.2f,", train(1, "kl")),
		fmt.Sprintf("a loss of %.2f,", train(1, "loss")),
		fmt.Sprintf("the second at a KL of %.2f,", train(2, "kl")),
		fmt.Sprintf("a loss of %.2f,", train(2, "loss")),
		fmt.Sprintf("ended the first epoch at a KL of %.2f and %.2f (loss %.2f and %.2f) and the second at %.2f and %.2f (%.2f and %.2f)",
			v(s2, 1, "kl"), v(s3, 1, "kl"), v(s2, 1, "loss"), v(s3, 1, "loss"), v(s2, 2, "kl"), v(s3, 2, "kl"), v(s2, 2, "loss"), v(s3, 2, "loss")),
		fmt.Sprintf("the initial weights alone move epoch 2's loss by %.1f%%", 100*(slices.Max(loss2)/slices.Min(loss2)-1)),
	}
	if slices.Equal(outside, []int{1}) {
		wants = append(wants, "Epoch 1's KL, the one epoch outside 5%")
	} else {
		t.Errorf("%s: the epochs whose KL is outside 5%% of the tutorial's are %v; the note names epoch 1 alone", name, outside)
	}
	if hi < 0 {
		wants = append(wants, fmt.Sprintf("From epoch 3 on vaekit's loss stays %.1f%% to %.1f%% below the tutorial's", -hi, -lo))
	} else {
		t.Errorf("%s: from epoch 3 on the loss is %.2f%% to %+.2f%% of the tutorial's; the note says below", name, lo, hi)
	}
	for _, want := range wants {
		if !strings.Contains(note, want) {
			t.Errorf("the %s note lacks %q; it reads:\n%s", name, want, note)
		}
	}
}

// TestKerasVAENoteQuotesTheRecord: the keras-vae note's spread over random seeds comes from its
// record (seed 1) and the committed 5-epoch runs from seeds 2 and 3, its gaps at epoch 30 from
// the record against keras-io's log.
func TestKerasVAENoteQuotesTheRecord(t *testing.T) {
	const name = "mnist-keras-vae"
	h, ref, refOf := recordAndReference(t, name)
	recon := []float64{trainValue(t, h, 5, "reconstruction"), trainValue(t, seedRun(t, name, 2), 5, "reconstruction"), trainValue(t, seedRun(t, name, 3), 5, "reconstruction")}
	gap := func(epoch int, term string) float64 {
		return 100 * (trainValue(t, h, epoch, term)/refOf(epoch, term) - 1)
	}
	last := len(ref.Epochs)
	wants := []string{
		"5 epochs from random seeds 1, 2 and 3",
		fmt.Sprintf("end at a training reconstruction of %.2f, %.2f and %.2f,", recon[0], recon[1], recon[2]),
		fmt.Sprintf("%+.1f%% to %+.1f%% of keras-io's one run at epoch 5 (%.2f)",
			100*(slices.Min(recon)/refOf(5, "reconstruction")-1), 100*(slices.Max(recon)/refOf(5, "reconstruction")-1), refOf(5, "reconstruction")),
		fmt.Sprintf("the gaps at epoch %d (reconstruction %+.1f%%, KL %+.1f%%)", last, gap(last, "reconstruction"), gap(last, "kl")),
	}
	note := referenceNote(name)
	for _, want := range wants {
		if !strings.Contains(note, want) {
			t.Errorf("the %s note lacks %q; it reads:\n%s", name, want, note)
		}
	}
}

// TestBinarizedNoteQuotesTheRecord: the binarized VAE's note types how far its test NLL fell
// over each stage and what the paper's last stage would cost at this run's pace; both come
// from the record (its NLL curve and its training segments), so a re-run that changes them
// fails here until the note says what the record shows.
func TestBinarizedNoteQuotesTheRecord(t *testing.T) {
	const name = "mnist-binarized-vae"
	dir := filepath.Join("..", DefaultRecordsDir, name)
	points, err := ReadNLLCurve(dir)
	if err != nil || len(points) < 2 {
		t.Fatalf("%s: NLL curve %v, %v", name, points, err)
	}
	seconds, ok := segmentSeconds(dir)
	if !ok {
		t.Fatalf("%s: its segments do not cover its training", name)
	}
	var falls []string
	for i := 1; i < len(points); i++ {
		falls = append(falls, fmt.Sprintf("%.1f", points[i-1].NLL-points[i].NLL))
	}
	passes := points[len(points)-1].Epoch
	perPass := seconds / float64(passes)
	const lastStage = 2187 // 3^7 passes: the paper's stage 7
	wants := []string{
		fmt.Sprintf("the test NLL (k = 1000) fell by %s and %s nats", strings.Join(falls[:len(falls)-1], ", "), falls[len(falls)-1]),
		fmt.Sprintf("at the %.1f s per pass this run took", perPass),
		fmt.Sprintf("about %.1f hours more", lastStage*perPass/3600),
	}
	note := referenceNote(name)
	for _, want := range wants {
		if !strings.Contains(note, want) {
			t.Errorf("the %s note lacks %q; it reads:\n%s", name, want, note)
		}
	}
}

// The radford DCGAN's note quotes its record (and mnist-tf-dcgan-half's, which it is set
// against): its wall time, its distances with the training images' floor beside them, its class
// entropy and precision, at the precision the note gives them.
func TestRadfordNoteQuotesTheRecord(t *testing.T) {
	radford, seconds := readTimedRecord(t, "mnist-tf-dcgan-half-radford")
	half, halfSeconds := readTimedRecord(t, "mnist-tf-dcgan-half")
	d, floor := radford.Metrics.SampleDistances, radford.Metrics.SampleDistances.Floor
	wants := []string{
		fmt.Sprintf("After %s of training", hoursMinutes(seconds)),
		fmt.Sprintf("mnist-tf-dcgan-half took %s for its %d epochs", hoursMinutes(halfSeconds), half.Metrics.Epochs),
		fmt.Sprintf("(Fréchet %.1f against %.1f, kernel %.2f against %.2f)", d.Frechet.Mean, floor.Frechet, d.Kernel.Mean, floor.Kernel),
		fmt.Sprintf("(recall %.2f against %.2f for mnist-tf-dcgan-half and %.2f for the training images)",
			d.Recall.Mean, half.Metrics.SampleDistances.Recall.Mean, floor.Recall),
		fmt.Sprintf("(class entropy %.2f nats)", radford.Metrics.Extra["sample_class_entropy_nats"]),
		fmt.Sprintf("its precision, %.2f against the training images' %.2f", d.Precision.Mean, floor.Precision),
	}
	note := reproductionNote(t, "mnist-tf-dcgan-half-radford")
	for _, want := range wants {
		if !strings.Contains(note, want) {
			t.Errorf("the note lacks %q; it reads:\n%s", want, note)
		}
	}
}

// The full-width radford DCGAN's note quotes its record and sets it against the half-width one:
// wall times, distances with the training images' floor, precision and recall, class entropy.
func TestFullWidthRadfordNoteQuotesTheRecord(t *testing.T) {
	full, fullSeconds := readTimedRecord(t, "mnist-tf-dcgan-radford")
	half, halfSeconds := readTimedRecord(t, "mnist-tf-dcgan-half-radford")
	d, h, floor := full.Metrics.SampleDistances, half.Metrics.SampleDistances, full.Metrics.SampleDistances.Floor
	wants := []string{
		fmt.Sprintf("%d epochs in %s", full.Metrics.Epochs, hoursMinutes(fullSeconds)),
		fmt.Sprintf("mnist-tf-dcgan-half-radford's %d in %s", half.Metrics.Epochs, hoursMinutes(halfSeconds)),
		fmt.Sprintf("Fréchet %.1f and kernel %.2f (the training images: %.1f and %.2f; mnist-tf-dcgan-half-radford: %.1f and %.2f)",
			d.Frechet.Mean, d.Kernel.Mean, floor.Frechet, floor.Kernel, h.Frechet.Mean, h.Kernel.Mean),
		fmt.Sprintf("precision %.2f and recall %.2f (the training images: %.2f and %.2f; mnist-tf-dcgan-half-radford: %.2f and %.2f)",
			d.Precision.Mean, d.Recall.Mean, floor.Precision, floor.Recall, h.Precision.Mean, h.Recall.Mean),
		fmt.Sprintf("class entropy %.2f nats", full.Metrics.Extra["sample_class_entropy_nats"]),
	}
	note := reproductionNote(t, "mnist-tf-dcgan-radford")
	for _, want := range wants {
		if !strings.Contains(note, want) {
			t.Errorf("the note lacks %q; it reads:\n%s", want, note)
		}
	}
}

// reproductionNote is the note of the named reproduction.
func reproductionNote(t *testing.T, name string) string {
	t.Helper()
	i := slices.IndexFunc(Reproductions, func(r Reproduction) bool { return r.Experiment == name })
	if i < 0 {
		t.Fatalf("no reproduction %s", name)
	}
	return Reproductions[i].Note
}

// readTimedRecord reads a committed record that has sample distances, and its training's wall
// time from its segments.
func readTimedRecord(t *testing.T, name string) (*Finished, float64) {
	t.Helper()
	dir := filepath.Join("..", DefaultRecordsDir, name)
	f, err := ReadFinished(dir)
	if err != nil || f.Metrics.SampleDistances == nil {
		t.Fatalf("%s: %v (sample distances %v)", name, err, f)
	}
	seconds, ok := segmentSeconds(dir)
	if !ok {
		t.Fatalf("%s: its segments do not cover its training", name)
	}
	return f, seconds
}

// hoursMinutes writes seconds as the notes do: "1 h 9 min".
func hoursMinutes(seconds float64) string {
	m := int(math.Round(seconds / 60))
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// A record's training time is its segments' sum where they cover its steps, as the results
// page's table gives it, not metrics.json's estimate for a run interrupted along the way.
func TestTrainingSecondsAreTheSegments(t *testing.T) {
	for _, tt := range []struct {
		record      string
		seconds     float64 // the segments' sum, rounded
		wallSeconds float64 // metrics.json's, rounded, which differs
	}{
		// Interrupted after epoch 16: metrics.json counts epochs 11-16 at the last segment's pace.
		{"mnist-tf-dcgan-radford", 8934, 9419},
	} {
		f, err := ReadFinished(filepath.Join("..", DefaultRecordsDir, tt.record))
		if err != nil {
			t.Fatal(err)
		}
		seconds, exact := TrainingSeconds(f)
		if math.Round(seconds) != tt.seconds || !exact || math.Round(f.Metrics.WallSeconds) != tt.wallSeconds {
			t.Errorf("%s: %.1f s (exact %v), metrics.json %.1f s; want %v s exact, beside %v", tt.record, seconds, exact,
				f.Metrics.WallSeconds, tt.seconds, tt.wallSeconds)
		}
	}
}

// The averaged DCGAN's note quotes its record against the unaveraged one it retrains: the same
// history (averaging changes sampling only), its time, and both records' distances.
func TestAveragedDCGANNoteQuotesTheRecords(t *testing.T) {
	avg, seconds := readTimedRecord(t, "mnist-tf-dcgan-half-radford-ema")
	plain, _ := readTimedRecord(t, "mnist-tf-dcgan-half-radford")
	a, p := avg.Metrics.SampleDistances, plain.Metrics.SampleDistances
	var histories [2][]byte
	for i, name := range []string{"mnist-tf-dcgan-half-radford-ema", "mnist-tf-dcgan-half-radford"} {
		data, err := os.ReadFile(filepath.Join("..", DefaultRecordsDir, name, "history.csv"))
		if err != nil {
			t.Fatal(err)
		}
		histories[i] = data
	}
	if !bytes.Equal(histories[0], histories[1]) {
		t.Error("the averaged run's history.csv differs from mnist-tf-dcgan-half-radford's: the note says they are the same file")
	}
	wants := []string{
		fmt.Sprintf("in %s", hoursMinutes(seconds)),
		fmt.Sprintf("Fréchet %.1f and kernel %.2f against %.1f and %.2f without the average", a.Frechet.Mean, a.Kernel.Mean, p.Frechet.Mean, p.Kernel.Mean),
		fmt.Sprintf("precision %.2f against %.2f, recall %.2f against %.2f", a.Precision.Mean, p.Precision.Mean, a.Recall.Mean, p.Recall.Mean),
	}
	note := reproductionNote(t, "mnist-tf-dcgan-half-radford-ema")
	for _, want := range wants {
		if !strings.Contains(note, want) {
			t.Errorf("the note lacks %q; it reads:\n%s", want, note)
		}
	}
}
