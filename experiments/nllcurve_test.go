package experiments

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/training"
)

// A run with an NLL curve estimates the test NLL after each stage of its schedule and after its
// last epoch (quick mode: epochs 1 and 2 of the IWAE schedule); the last estimate is the final
// metric's (same weights, k, seed and images); an estimate lost to a kill after its epoch's
// checkpoint is made when the run starts again; the run's figure and the results page's are
// drawn, with the estimates listed, and the record keeps the curve.
func TestNLLCurve(t *testing.T) {
	exp, runs := quickRunOf(t, "mnist-binarized-vae")
	dir := filepath.Join(runs, exp.Name)
	points, err := ReadNLLCurve(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := quick(runs)
	if len(points) != 2 || points[0].Epoch != 1 || points[1].Epoch != 2 {
		t.Fatalf("NLL curve %+v: want estimates after epochs 1 and 2", points)
	}
	for _, p := range points {
		if p.K != opts.MaxNLLSamples || p.Images != opts.TestSubset || !(p.NLL > 0) {
			t.Errorf("estimate %+v: want k = %d over %d images, a positive NLL", p, opts.MaxNLLSamples, opts.TestSubset)
		}
	}
	m := readMetrics(dir)
	if k, final, ok := finalNLL(*m); !ok || k != points[1].K || final != points[1].NLL {
		t.Errorf("the final metric (k = %d) is %v, the curve's estimate after the last epoch %v; want the same number", k, final, points[1].NLL)
	}
	if _, err := os.Stat(filepath.Join(dir, FiguresDir, "nll_curve.png")); err != nil {
		t.Errorf("no NLL curve figure: %v", err)
	}
	// Killed after the last checkpoint, before the estimate was written.
	if err := writeNLLCurve(dir, points[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), exp, opts); err != nil {
		t.Fatal(err)
	}
	again, err := ReadNLLCurve(dir)
	if err != nil || !reflect.DeepEqual(again, points) {
		t.Errorf("after the restart the curve is %+v (%v), want %+v", again, err, points)
	}
	page := filepath.Join(t.TempDir(), "RESULTS.md")
	if err := WriteResults(page, runs); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(page)
	for _, want := range []string{"![mnist-binarized-vae NLL curve](results/mnist-binarized-vae-nll_curve.png)",
		"| epoch | k | test NLL (nats) |", fmt.Sprintf("| 1 | 4 | %s |", formatNumber(points[0].NLL)),
		fmt.Sprintf("| 2 | 4 | %s |", formatNumber(points[1].NLL))} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the results page lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(page), "results", "mnist-binarized-vae-nll_curve.png")); err != nil {
		t.Errorf("the page's NLL curve: %v", err)
	}
	gallery := filepath.Join(t.TempDir(), "figures.md")
	if err := WriteGallery(gallery, []string{dir}, opts); err != nil {
		t.Fatal(err)
	}
	if text, _ := os.ReadFile(gallery); !strings.Contains(string(text), "## nll curve") ||
		!strings.Contains(string(text), "(figures/mnist-binarized-vae-nll_curve.png)") {
		t.Errorf("the gallery does not show the NLL curve:\n%s", text)
	}
	records := t.TempDir()
	if err := Record(context.Background(), dir, records, Options{}); err != nil {
		t.Fatal(err)
	}
	if recorded, err := ReadNLLCurve(filepath.Join(records, exp.Name)); err != nil || !reflect.DeepEqual(recorded, points) {
		t.Errorf("the record's curve is %+v (%v), want %+v", recorded, err, points)
	}
}

// Without GOMLX_BACKEND, an MLP trains on the pure-Go backend and its NLL is estimated on ONNX
// Runtime where that is installed (backends.ForWork), from the weights of the run's
// checkpoint: the estimate says so and agrees with the pure-Go backend's on the same weights.
func TestNLLOnTheEstimatesOwnBackend(t *testing.T) {
	t.Setenv(backends.Env, "onnx:cpu")
	if _, _, err := backends.New(); err != nil {
		if os.Getenv("VAEKIT_REQUIRE_ONNX") == "1" {
			t.Fatal(err)
		}
		t.Skipf("ONNX Runtime not installed (`make onnxruntime`): %v", err)
	}
	t.Setenv(backends.Env, "")
	exp, err := Lookup("mnist-binarized-vae")
	if err != nil {
		t.Fatal(err)
	}
	requireData(t, exp.Data)
	runs := t.TempDir()
	opts := quick(runs)
	var log strings.Builder
	opts.Log = &log
	if _, err := Run(context.Background(), exp, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "NLL on onnxruntime") || !strings.Contains(log.String(), "backend: Go Backend") {
		t.Errorf("the run did not train on the pure-Go backend and estimate its NLL on ONNX Runtime:\n%s", log.String())
	}
	dir := filepath.Join(runs, exp.Name)
	k, onONNX, ok := finalNLL(*readMetrics(dir))
	if !ok {
		t.Fatal("no NLL in metrics.json")
	}
	t.Setenv(backends.Env, "go")
	tr, err := Open(exp, opts)
	if err != nil {
		t.Fatal(err)
	}
	test, err := training.EvaluationSet(tr.Store, tr.Test)
	if err != nil {
		t.Fatal(err)
	}
	onGo, err := tr.Model.(vaekit.Likelihood).ImportanceWeightedNLL(tr.Backend, tr.Store, test, vaekit.NLLOptions{K: k, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(onONNX-onGo) / onGo; d > 1e-5 {
		t.Errorf("NLL (k = %d) %.6f on ONNX Runtime, %.6f on the pure-Go backend: relative gap %.2g", k, onONNX, onGo, d)
	}
}

// A damaged NLL curve is an error naming the file and the line, never a panic.
func TestReadNLLCurveRefusesDamage(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"epoch,k\n1,4\n", "line 1: 2 fields, expected 4"},
		{"epoch,k,images,nll_nats\n1,4,256,x\n", "line 2"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, NLLCurveFile), []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadNLLCurve(dir); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), NLLCurveFile) {
			t.Errorf("ReadNLLCurve(%q): error %v, want one naming %s and %q", c.text, err, NLLCurveFile, c.want)
		}
	}
}
