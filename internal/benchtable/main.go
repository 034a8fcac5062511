// Command benchtable writes docs/bench.md from the measurements of bench/run.sh:
//
//	benchtable [-torch torch.jsonl] [-commit C] [-notes notes.md] BACKEND=FILE...
//
// Each FILE holds the `go test -bench` lines of BenchmarkTrainStep and BenchmarkTrainStepScaling
// measured on BACKEND; torch.jsonl the JSON lines of bench/pytorch_bench.py. A case measured in
// several rounds (bench/run.sh alternates vaekit and PyTorch, case by case) is given as the median
// of its runs with their range, and its ratio to PyTorch as the median of the rounds' ratios,
// printed to the decimals that range allows. The first table has, per model and backend, the
// batch, samples/s, ms/step, seconds per 60,000-image epoch, time to first step and peak resident
// memory, beside PyTorch's, with the ratio of the step times (vaekit / PyTorch: below 1 is faster
// than PyTorch); the second, samples/s against batch size.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const epochImages = 60000

type torchResult struct {
	Name        string  `json:"name"`
	Batch       int     `json:"batch"`
	MsPerStep   float64 `json:"ms_per_step"`
	FirstStepMs float64 `json:"first_step_ms"`
	PeakMB      float64 `json:"peak_mb"`
	Scaling     bool    `json:"scaling"`
	Torch       string  `json:"torch"` // PyTorch's version
	// runs are the step times of every run of the case, in the order measured (aggregateTorch).
	runs []float64
}

// result is one line of go test -bench output.
type result struct {
	backend, model string
	scaling        bool
	nll            bool // BenchmarkImportanceWeightedNLL
	metrics        map[string]float64
	// runs are the step times (ms) of every run of the case, in the order measured (aggregate).
	runs []float64
}

func (r result) msPerStep() float64 { return r.metrics["ns/op"] / 1e6 }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	torchFile := fs.String("torch", "", "JSON lines of bench/pytorch_bench.py")
	notesFile := fs.String("notes", "", "Markdown appended after the targets: where the time goes where a target is missed")
	commit := fs.String("commit", "", "the commit measured (bench/run.sh writes it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: benchtable [-torch torch.jsonl] BACKEND=FILE...")
	}
	torch, err := readTorch(*torchFile)
	if err != nil {
		return err
	}
	torch = aggregateTorch(torch)
	var results []result
	var backends []string
	for _, arg := range fs.Args() {
		backend, file, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q: expected BACKEND=FILE", arg)
		}
		rs, err := readBench(backend, file)
		if err != nil {
			return err
		}
		backends = append(backends, backend)
		results = append(results, aggregate(rs)...)
	}
	var notes []byte
	if *notesFile != "" {
		if notes, err = os.ReadFile(*notesFile); err != nil {
			return err
		}
	}
	writeSteps(w, results, torch, *commit)
	writeTargets(w, results, torch, notes)
	writeMaskedTaps(w, results, torch)
	writeDefaultAndNLL(w, results)
	writeScaling(w, results, backends, torch)
	return nil
}

// readTorch reads the JSON lines of bench/pytorch_bench.py ("" : none).
func readTorch(file string) ([]torchResult, error) {
	var torch []torchResult
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line == "" {
				continue
			}
			var r torchResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", file, i+1, err)
			}
			torch = append(torch, r)
		}
	}
	return torch, nil
}

// torchOf finds PyTorch's measurement of a model (at a batch size, 0: any).
func torchOf(torch []torchResult, model string, batch int, scaling bool) (torchResult, bool) {
	for _, t := range torch {
		if t.Name == model && t.Scaling == scaling && (batch == 0 || t.Batch == batch) {
			return t, true
		}
	}
	return torchResult{}, false
}

// writeSteps writes the page's title and the table of training steps beside PyTorch's.
func writeSteps(w io.Writer, results []result, torch []torchResult, commit string) {
	at := ""
	if commit != "" {
		at = " at commit " + commit
	}
	rounds := 1
	for _, r := range results {
		rounds = max(rounds, len(r.runs))
	}
	how := "Each case was measured once."
	if rounds > 1 {
		how = fmt.Sprintf("Each case was measured in %d rounds, vaekit on each backend and then PyTorch, case by case, so that "+
			"a slow spell of the machine falls on both: a step time is the median of its runs with their range in parentheses, "+
			"a ratio the median of the rounds' ratios with their range, printed to the decimals that range allows "+
			"(two where it is under 0.1, one where it is under 1).", rounds)
	}
	version := ""
	if len(torch) > 0 && torch[0].Torch != "" {
		version = " " + torch[0].Torch
	}
	fmt.Fprintf(w, "# Training-step benchmark\n\nGenerated by `make bench`%s on %s (%s, %d cores, GOEXPERIMENT=%s). "+
		"Warm training steps on a fixed random batch, each model in a process of its own (peak MB is that "+
		"process's peak resident memory); an epoch is %d images. PyTorch%s: bench/pytorch_bench.py, the same "+
		"architectures, losses, optimizers and batch sizes, on the same cores in the same run. Backends: "+
		"`go` is GoMLX's pure-Go backend, `onnx` ONNX Runtime (GOMLX_BACKEND=onnx, `make onnxruntime`). %s\n\n",
		at, time.Now().UTC().Format("2006-01-02"), cpuName(), runtime.NumCPU(), os.Getenv("GOEXPERIMENT"), epochImages, version, how)
	fmt.Fprintln(w, "| model | backend | batch | samples/s | ms/step | s/epoch | first step (ms) | peak MB | PyTorch ms/step | PyTorch s/epoch | PyTorch first step (ms) | PyTorch peak MB | ratio |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	// One row per model and backend, the backends of a model together, models in the order measured.
	var models []string
	for _, r := range results {
		if !r.scaling && !r.nll && !slices.Contains(models, r.model) {
			models = append(models, r.model)
		}
	}
	var rows []result
	for _, model := range models {
		for _, r := range results {
			if !r.scaling && !r.nll && r.model == model {
				rows = append(rows, r)
			}
		}
	}
	for _, r := range rows {
		m, ms := r.metrics, r.msPerStep()
		row := fmt.Sprintf("| %s | %s | %.0f | %.0f | %s | %.0f | %.0f | %s |", r.model, r.backend, m["batch"], m["samples/s"],
			withRange(ms, r.runs, 1), ms/1e3*epochImages/m["batch"], m["first-step-ms"], orDash(m["peak-MB"]))
		if t, ok := torchOf(torch, r.model, int(m["batch"]), false); ok {
			row += fmt.Sprintf(" %s | %.0f | %.0f | %s | %s |", withRange(t.MsPerStep, t.runs, 1), t.MsPerStep/1e3*epochImages/float64(t.Batch),
				t.FirstStepMs, orDash(t.PeakMB), ratioOf(r, t))
		} else {
			row += " - | - | - | - | - |"
		}
		fmt.Fprintln(w, row)
	}
	if len(torch) == 0 {
		fmt.Fprintln(w, "\nPyTorch was not measured (python3-torch not installed).")
	}
}

// Speed targets: a model's warm training step on its default backend at most ratioTarget of
// PyTorch's, and an epoch of the seed conv VAE at most epochTarget seconds.
const (
	ratioTarget = 0.8
	epochTarget = 45.0
)

// defaultBackend is the backend a model trains on without GOMLX_BACKEND, as experiments'
// workload chooses it where ONNX Runtime is installed: the pure-Go backend for the MLPs (the
// cases named mlp-*), ONNX Runtime for every convolutional model. Where ONNX Runtime was not
// measured, the pure-Go backend is every model's default.
func defaultBackend(model string, results []result) string {
	if strings.HasPrefix(model, "mlp-") {
		return "go"
	}
	for _, r := range results {
		if r.backend == "onnx" {
			return "onnx"
		}
	}
	return "go"
}

// writeTargets writes, per model, its default backend's step against PyTorch's with the target
// met or missed, the seed conv VAE's epoch against its target, and then notes (Markdown: where
// the time goes where a target is missed, and what was tried).
func writeTargets(w io.Writer, results []result, torch []torchResult, notes []byte) {
	if len(torch) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Targets\n\nEvery model's training step on its default backend (the pure-Go backend for the MLPs, "+
		"ONNX Runtime for the convolutional models; see \"The default backend\" below) at most %.1f of PyTorch's step in the "+
		"same run, and the seed convolutional VAE (conv-vae) at most %.0f s for an epoch of %d images.\n\n", ratioTarget, epochTarget, epochImages)
	fmt.Fprintln(w, "| model | default backend | ms/step | PyTorch ms/step | ratio | target |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|")
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	// The ratio column rounds to what the runs' spread allows, so 0.8 can be printed for a
	// median on either side of the target: the verdict names the median it was decided on.
	verdict := func(ratio float64) string {
		if ratio <= ratioTarget {
			return fmt.Sprintf("met (%.3f <= %.1f)", ratio, ratioTarget)
		}
		return fmt.Sprintf("**missed** (%.3f > %.1f)", ratio, ratioTarget)
	}
	var conv *result
	for _, r := range results {
		if r.scaling || r.nll || r.backend != defaultBackend(r.model, results) {
			continue
		}
		if r.model == "conv-vae" {
			conv = &r
		}
		t, ok := torchOf(torch, r.model, int(r.metrics["batch"]), false)
		if !ok {
			continue
		}
		ratio, _, _, _ := pairedRatios(r, t)
		fmt.Fprintf(w, "| %s | %s | %.1f | %.1f | %s | %s |\n", r.model, r.backend, r.msPerStep(), t.MsPerStep, ratioOf(r, t), verdict(ratio))
	}
	if conv != nil {
		epoch := conv.msPerStep() / 1e3 * epochImages / conv.metrics["batch"]
		fmt.Fprintf(w, "\nThe seed conv VAE on %s: %.0f s per epoch of %d images at batch %.0f (target %.0f s): %s.\n",
			conv.backend, epoch, epochImages, conv.metrics["batch"], epochTarget, met(epoch <= epochTarget))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s", strings.TrimSpace(string(notes))+"\n")
	}
}

// writeMaskedTaps says what the PixelCNN rows time: vaekit's masked layers compute only the
// taps their masks keep, and so does the PyTorch twin of the table; PyTorch's usual form (the
// whole kernel times the mask), measured too, computes them all.
func writeMaskedTaps(w io.Writer, results []result, torch []torchResult) {
	same, ok1 := torchOf(torch, "pixelcnn-prior", 0, false)
	all, ok2 := torchOf(torch, "pixelcnn-prior-all-taps", 0, false)
	if !ok1 || !ok2 {
		return
	}
	fmt.Fprint(w, "\n## The PixelCNN's masked convolutions\n\nvaekit's masked layers compute only the taps their masks keep "+
		"(24 of the 7 x 7 mask A's 49, 5 of the 3 x 3 mask B's 9; pixelcnn.MaskedConv2D), and the PyTorch twin of the pixelcnn-prior "+
		"row above computes the same taps (bench/pytorch_bench.py MaskedConvTaps: a (k/2) x k convolution over the rows above "+
		"and a 1 x (k/2) one over the pixels to the left, checked against the masked kernel before it is timed). "+
		"The usual PyTorch form, the whole kernel times the mask, computes every tap:\n\n"+
		"| PyTorch masked layers | taps computed (7 x 7 A, 3 x 3 B) | ms/step | ratio of vaekit to it |\n|---|---|---:|---|\n")
	var vaekit []result
	for _, r := range results {
		if r.model == "pixelcnn-prior" && !r.scaling && !r.nll {
			vaekit = append(vaekit, r)
		}
	}
	for _, t := range []struct {
		what, taps string
		r          torchResult
	}{{"the kept taps (the table's twin)", "24, 5", same}, {"whole kernel times the mask", "49, 9", all}} {
		var ratios []string
		for _, r := range vaekit {
			ratios = append(ratios, r.backend+" "+ratioOf(r, t.r))
		}
		fmt.Fprintf(w, "| %s | %s | %.1f | %s |\n", t.what, t.taps, t.r.MsPerStep, strings.Join(ratios, ", "))
	}
}

// writeDefaultAndNLL writes what the default backend is and what this sitting measured of it,
// and the NLL benchmark.
func writeDefaultAndNLL(w io.Writer, results []result) {
	fmt.Fprint(w, "\n## The default backend\n\nWithout GOMLX_BACKEND, `backends.For` takes XLA where a PJRT plugin is "+
		"installed; else ONNX Runtime for the convolutional models (conv encoders and decoders, the VQ-VAE, the PixelCNN prior, "+
		"the classifier, the GANs) where its library is installed, and the pure-Go backend for the MLPs, which needs nothing "+
		"installed. The importance-weighted NLL (below) runs on ONNX Runtime where it is installed, for an MLP too "+
		"(`backends.LikelihoodEstimate`), reading the weights from the run's checkpoint.")
	if s := defaultAgainstOther(results); s != "" {
		fmt.Fprint(w, " "+s)
	}
	fmt.Fprintln(w)

	var nll []result
	for _, r := range results {
		if r.nll {
			nll = append(nll, r)
		}
	}
	if len(nll) > 0 {
		fmt.Fprint(w, "\n## Importance-weighted NLL\n\nThe k = 5000 estimate of -log p(x) (vae.ImportanceWeightedNLL, "+
			"BenchmarkImportanceWeightedNLL) for the MNIST MLP VAE 784-512-256-20 (mnist-mlp-vae): 5000 decoder passes per "+
			"image, about 54 TFLOP for the 10,000 test images.\n\n| backend | images/s | minutes for 10,000 images |\n|---|---:|---:|\n")
		for _, r := range nll {
			fmt.Fprintf(w, "| %s | %.1f | %.1f |\n", r.backend, r.metrics["images/s"], r.metrics["min-per-10k-images"])
		}
	}

}

// defaultAgainstOther says, from this sitting's medians, where each model's default backend
// (defaultBackend) was the faster of the two measured and where it was not, the exceptions with
// their ranges: the choice is fixed per kind of model, so a sitting may contradict it for a model
// whose two backends are close, and the page says so rather than claim what it did not measure.
func defaultAgainstOther(results []result) string {
	var steps []result
	for _, r := range results {
		if !r.scaling && !r.nll {
			steps = append(steps, r)
		}
	}
	models, byModel := groupBy(steps, func(r result) string { return r.model })
	other := map[string]string{"go": "onnx", "onnx": "go"}
	var faster, slower []string
	for _, m := range models {
		def := defaultBackend(m, results)
		on := func(backend string) (result, bool) {
			i := slices.IndexFunc(byModel[m], func(r result) bool { return r.backend == backend })
			if i < 0 {
				return result{}, false
			}
			return byModel[m][i], true
		}
		d, ok1 := on(def)
		o, ok2 := on(other[def])
		if !ok1 || !ok2 {
			continue
		}
		both := fmt.Sprintf("%s (%s %s against %s %s ms)", m, def, withRange(d.msPerStep(), d.runs, 1),
			other[def], withRange(o.msPerStep(), o.runs, 1))
		if d.msPerStep() <= o.msPerStep() {
			faster = append(faster, both)
		} else {
			slower = append(slower, both)
		}
	}
	if len(faster)+len(slower) == 0 {
		return ""
	}
	out := "In this sitting the default backend's median step was the shorter of the two"
	if len(faster) > 0 {
		out += " for " + strings.Join(faster, ", ")
	}
	if len(slower) > 0 {
		if len(faster) > 0 {
			out += "; it was not"
		} else {
			out += " for none; it was not"
		}
		out += " for " + strings.Join(slower, ", ")
	}
	return out + "."
}

// writeScaling writes samples/s against the batch size, one column per backend and PyTorch.
func writeScaling(w io.Writer, results []result, backends []string, torch []torchResult) {
	// Scaling: samples/s per batch size, one column per backend and PyTorch.
	type key struct {
		model string
		batch int
	}
	var keys []key
	perBackend := map[key]map[string]float64{}
	for _, r := range results {
		if !r.scaling {
			continue
		}
		k := key{r.model, int(r.metrics["batch"])}
		if perBackend[k] == nil {
			perBackend[k] = map[string]float64{}
			keys = append(keys, k)
		}
		perBackend[k][r.backend] = r.metrics["samples/s"]
	}
	if len(keys) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Scaling with the batch size\n\nSamples per second of a warm training step.\n\n| model | batch |")
	for _, b := range backends {
		fmt.Fprintf(w, " %s |", b)
	}
	fmt.Fprintln(w, " PyTorch |")
	fmt.Fprintln(w, "|---|---:|"+strings.Repeat("---:|", len(backends)+1))
	for _, k := range keys {
		fmt.Fprintf(w, "| %s | %d |", k.model, k.batch)
		for _, b := range backends {
			fmt.Fprintf(w, " %s |", orDash(perBackend[k][b]))
		}
		if t, ok := torchOf(torch, k.model, k.batch, true); ok {
			fmt.Fprintf(w, " %.0f |\n", float64(t.Batch)/t.MsPerStep*1e3)
		} else {
			fmt.Fprintln(w, " - |")
		}
	}
}

// readBench parses the go test -bench lines of file: "BenchmarkTrainStep/MODEL-P N V unit ..."
// and "BenchmarkTrainStepScaling/MODEL/batch=B-P ...".
func readBench(backend, file string) ([]result, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		name, scaling := "", false
		switch {
		case strings.HasPrefix(fields[0], "BenchmarkTrainStep/"):
			name = strings.TrimPrefix(fields[0], "BenchmarkTrainStep/")
		case strings.HasPrefix(fields[0], "BenchmarkTrainStepScaling/"):
			name, scaling = strings.TrimPrefix(fields[0], "BenchmarkTrainStepScaling/"), true
		case strings.HasPrefix(fields[0], "BenchmarkImportanceWeightedNLL"):
			m := metricsOf(fields)
			if m["min-per-10k-images"] == 0 {
				return nil, fmt.Errorf("%s: %q: expected the min-per-10k-images metric", file, sc.Text())
			}
			out = append(out, result{backend: backend, model: "mlp-vae", nll: true, metrics: m})
			continue
		default:
			continue
		}
		if i := strings.LastIndex(name, "-"); i > 0 && !strings.Contains(name[i:], "=") {
			name = name[:i] // the GOMAXPROCS suffix
		}
		name, _, _ = strings.Cut(name, "/batch=")
		m := metricsOf(fields)
		if m["ns/op"] == 0 || m["batch"] == 0 {
			return nil, fmt.Errorf("%s: %q: expected ns/op and batch metrics", file, sc.Text())
		}
		out = append(out, result{backend: backend, model: name, scaling: scaling, metrics: m})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// metricsOf reads the "value unit" pairs of a benchmark line.
func metricsOf(fields []string) map[string]float64 {
	m := map[string]float64{}
	for i := 2; i+1 < len(fields); i += 2 {
		if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
			m[fields[i+1]] = v
		}
	}
	return m
}

// aggregate merges the runs of each case (the same backend, model, kind and batch, measured in
// several rounds) into one result: each metric's median, and the step times of the runs, in
// the order measured, in runs. Cases keep the order of their first run.
func aggregate(rs []result) []result {
	type key struct {
		model        string
		scaling, nll bool
		batch        float64
	}
	keys, groups := groupBy(rs, func(r result) key { return key{r.model, r.scaling, r.nll, r.metrics["batch"]} })
	out := make([]result, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		merged := g[0]
		merged.metrics = map[string]float64{}
		for name := range g[0].metrics {
			values := make([]float64, len(g))
			for i, r := range g {
				values[i] = r.metrics[name]
			}
			merged.metrics[name] = median(values)
		}
		for _, r := range g {
			merged.runs = append(merged.runs, r.msPerStep())
		}
		out = append(out, merged)
	}
	return out
}

// aggregateTorch merges PyTorch's runs of each case (name, batch and kind) as aggregate does.
func aggregateTorch(ts []torchResult) []torchResult {
	type key struct {
		name    string
		batch   int
		scaling bool
	}
	keys, groups := groupBy(ts, func(t torchResult) key { return key{t.Name, t.Batch, t.Scaling} })
	out := make([]torchResult, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		merged := g[0]
		var ms, first, peak []float64
		for _, t := range g {
			ms, first, peak = append(ms, t.MsPerStep), append(first, t.FirstStepMs), append(peak, t.PeakMB)
		}
		merged.MsPerStep, merged.FirstStepMs, merged.PeakMB, merged.runs = median(ms), median(first), median(peak), ms
		out = append(out, merged)
	}
	return out
}

// groupBy groups items by key, the keys in the order of their first item.
func groupBy[K comparable, T any](items []T, key func(T) K) ([]K, map[K][]T) {
	var keys []K
	groups := map[K][]T{}
	for _, it := range items {
		k := key(it)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], it)
	}
	return keys, groups
}

// median of values (the mean of the middle two for an even count; 0 for none).
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	v := slices.Sorted(slices.Values(values))
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// pairedRatios pairs the runs of a vaekit case with PyTorch's of the same round (the i-th run of
// each) and returns the median of their ratios, its range and the number of rounds paired; a case
// without runs (a single measurement) gives its one ratio.
func pairedRatios(r result, t torchResult) (med, lo, hi float64, n int) {
	n = min(len(r.runs), len(t.runs))
	if n == 0 {
		v := r.msPerStep() / t.MsPerStep
		return v, v, v, 1
	}
	ratios := make([]float64, n)
	for i := range n {
		ratios[i] = r.runs[i] / t.runs[i]
	}
	return median(ratios), slices.Min(ratios), slices.Max(ratios), n
}

// ratioOf formats the ratio of a vaekit case to PyTorch's: the median of the rounds' ratios to
// the decimals their range allows, with the range (from two rounds on).
func ratioOf(r result, t torchResult) string {
	med, lo, hi, n := pairedRatios(r, t)
	if n < 2 {
		return fmt.Sprintf("%.2f", med)
	}
	d := decimals(hi - lo)
	return fmt.Sprintf("%.*f (%.*f-%.*f)", d, med, d, lo, d, hi)
}

// decimals is how many decimals a number whose runs spread over spread can honestly show: two
// where the spread is under 0.1, one under 1, none beyond.
func decimals(spread float64) int {
	if spread <= 0 {
		return 2
	}
	return min(2, max(0, int(-math.Floor(math.Log10(spread)))))
}

// withRange formats a median with the range of its runs (from two runs on) to prec decimals.
func withRange(med float64, runs []float64, prec int) string {
	if len(runs) < 2 {
		return fmt.Sprintf("%.*f", prec, med)
	}
	return fmt.Sprintf("%.*f (%.*f-%.*f)", prec, med, prec, slices.Min(runs), prec, slices.Max(runs))
}

func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func cpuName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}
