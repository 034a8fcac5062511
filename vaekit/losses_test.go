package vaekit

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/history"
)

func TestLossesByHand(t *testing.T) {
	backend := backends.Go()
	eval := func(fn func(g *Graph) *Node) []float32 {
		return tensors.MustCopyFlatData[float32](MustExecOnce(backend, fn))
	}
	c := func(g *Graph, v any) *Node { return Const(g, v) }
	softplus := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	tests := []struct {
		name string
		fn   func(g *Graph) *Node
		want []float64
	}{
		{"KL of N(0,1) to N(0,1) is 0", func(g *Graph) *Node {
			return GaussianKL(c(g, [][]float32{{0, 0, 0}}), c(g, [][]float32{{0, 0, 0}}))
		}, []float64{0}},
		{"KL with mean 1, log-variance 0 is 0.5 per dimension", func(g *Graph) *Node {
			return GaussianKL(c(g, [][]float32{{1, 1, 1, 1}, {1, 0, 0, 0}}), c(g, [][]float32{{0, 0, 0, 0}, {0, 0, 0, 0}}))
		}, []float64{2, 0.5}},
		{"KL with variance e: 0.5*(e - 1 - 1)", func(g *Graph) *Node {
			return GaussianKL(c(g, [][]float32{{0}}), c(g, [][]float32{{1}}))
		}, []float64{0.5 * (math.E - 2)}},
		{"KL to its own prior mean is 0", func(g *Graph) *Node {
			return GaussianKLToMean(c(g, [][]float32{{3, -2}}), c(g, [][]float32{{0, 0}}), c(g, [][]float32{{3, -2}}))
		}, []float64{0}},
		{"class-prior KL: 0.5*(|mean - prior|^2 + exp(lv) - 1 - lv)", func(g *Graph) *Node {
			return GaussianKLToMean(c(g, [][]float32{{1, 2}, {0, 0}}), c(g, [][]float32{{0, 0.5}, {0, 0}}), c(g, [][]float32{{-1, 2}, {3, 4}}))
		}, []float64{0.5*(4+0) + 0.5*(0+math.Exp(0.5)-1-0.5), 0.5 * (9 + 16)}},
		{"BCE of logit 0 is log 2 per pixel, summed", func(g *Graph) *Node {
			return BernoulliNLL(c(g, [][]float32{{0, 0, 0}}), c(g, [][]float32{{0, 1, 0.5}}))
		}, []float64{3 * math.Ln2}},
		{"BCE of known logits and targets", func(g *Graph) *Node {
			return BernoulliNLL(c(g, [][]float32{{2, -1}, {-3, 4}}), c(g, [][]float32{{1, 0}, {0.25, 1}}))
		}, []float64{softplus(-2) + softplus(-1), 0.25*softplus(3) + 0.75*softplus(-3) + softplus(-4)}},
		{"BCE from extreme logits stays finite", func(g *Graph) *Node {
			return BernoulliNLL(c(g, [][]float32{{100, -100}}), c(g, [][]float32{{0, 1}}))
		}, []float64{200}},
		{"softplus: log 2 at 0, x for large x, exp(x) for very negative x", func(g *Graph) *Node {
			return StableSoftplus(c(g, []float32{0, 1, -2, 100, -30}))
		}, []float64{math.Ln2, softplus(1), softplus(-2), 100, math.Exp(-30)}},
		{"squared error sums over pixels, per example", func(g *Graph) *Node {
			return SquaredError(c(g, [][][]float32{{{1, 2}, {3, 4}}, {{0, 0}, {0, 0}}}), c(g, [][][]float32{{{0, 0}, {0, 0}}, {{0, 0}, {0, 1}}}))
		}, []float64{30, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eval(tt.fn)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if math.Abs(float64(got[i])-tt.want[i]) > 1e-4*max(1, math.Abs(tt.want[i])) {
					t.Errorf("example %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestHistoryCSVRoundTrip(t *testing.T) {
	h := &history.History{Terms: []string{"loss", "kl"}, Rows: []history.Row{
		{Epoch: 1, Split: "train", Values: []float64{301.94, 0.1 + 0.2}},
		{Epoch: 1, Split: "test", Values: []float64{259.97, 3.85}},
	}}
	path := t.TempDir() + "/history.csv"
	if err := h.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := history.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got.Rows {
		for j, v := range r.Values {
			if v != h.Rows[i].Values[j] {
				t.Errorf("row %d value %d = %v, want %v exactly", i, j, v, h.Rows[i].Values[j])
			}
		}
	}
}

// Each ParamReconstruction gives its loss of logits [0, 2, -1] against targets [0.5, 1, 0],
// worked out by hand, and its images; an unknown one is an error that lists the known ones.
func TestReconstructionKinds(t *testing.T) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	softplus := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	sq := func(x float64) float64 { return x * x }
	tests := []struct {
		kind       string
		wantLoss   float64
		wantImages []float64
	}{
		{"bernoulli", math.Ln2 + softplus(-2) + softplus(-1), []float64{0.5, sig(2), sig(-1)}},
		{"mse", sq(0.5-0.5) + sq(sig(2)-1) + sq(sig(-1)), []float64{0.5, sig(2), sig(-1)}},
		{"mse_linear", sq(0-0.5) + sq(2-1) + sq(-1-0), []float64{0, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			store := model.NewStore()
			store.SetParams(map[string]any{ParamReconstruction: tt.kind})
			out, err := model.CallOnceN(backends.Go(), store, func(scope *model.Scope, logits, targets *Node) []*Node {
				return []*Node{ReconstructionLoss(scope, logits, targets), DecodedImages(scope, logits)}
			}, [][]float32{{0, 2, -1}}, [][]float32{{0.5, 1, 0}})
			if err != nil {
				t.Fatal(err)
			}
			loss := tensors.MustCopyFlatData[float32](out[0])
			images := tensors.MustCopyFlatData[float32](out[1])
			if len(loss) != 1 || math.Abs(float64(loss[0])-tt.wantLoss) > 1e-5 {
				t.Errorf("loss %v, want %.6f", loss, tt.wantLoss)
			}
			for i, want := range tt.wantImages {
				if math.Abs(float64(images[i])-want) > 1e-6 {
					t.Errorf("images %v, want %v", images, tt.wantImages)
					break
				}
			}
		})
	}
	store := model.NewStore()
	store.SetParams(map[string]any{ParamReconstruction: "l1"})
	_, err := model.CallOnce(backends.Go(), store, func(scope *model.Scope, logits *Node) *Node {
		return DecodedImages(scope, logits)
	}, [][]float32{{0}})
	if err == nil || !strings.Contains(err.Error(), `"reconstruction" = "l1": expected one of [bernoulli mse mse_linear]`) {
		t.Errorf("unknown reconstruction: error %v", err)
	}
}

// log1pUnit on the pure-Go backend is a series (the backend's own Log1p is scalar): it agrees
// with math.Log1p to a few float32 roundings over its whole domain [0, 1], tiny arguments
// included, where log(1 + u) computed naively would lose them.
func TestLog1pUnit(t *testing.T) {
	if !backends.IsGo(backends.Go()) {
		t.Fatal("backends.IsGo(backends.Go()) = false: log1pUnit would not take the series there")
	}
	us := []float32{0, 1e-30, 1e-8, 1e-4, 0.1, 1.0 / 3, 0.5, 0.9, 1}
	for i := 0; i <= 1000; i++ {
		us = append(us, float32(i)/1000)
	}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backends.Go(), log1pUnit, us))
	worst, at := 0.0, float32(0)
	for i, u := range us {
		want := math.Log1p(float64(u))
		if err := math.Abs(float64(got[i])-want) / max(want, 1e-45); err > worst {
			worst, at = err, u
		}
	}
	// 3 float32 epsilons (1.19e-7 each): the series leaves out less than 1.4e-8, the rest is
	// the rounding of its dozen float32 steps.
	if worst > 3.6e-7 {
		t.Errorf("log1pUnit: relative error %.3g at u = %g, want at most 3.6e-7", worst, at)
	}
	t.Logf("log1pUnit: worst relative error %.3g (at u = %g) over %d arguments", worst, at, len(us))
}

// BenchmarkLog1pUnit compares, on the pure-Go backend, the series of log1pUnit with the
// backend's own Log1p over an MLP VAE's batch of logits (128 x 784).
func BenchmarkLog1pUnit(b *testing.B) {
	u := make([]float32, 128*784)
	for i := range u {
		u[i] = float32(i%1000) / 1000
	}
	x := tensors.FromValue(u)
	for _, form := range []struct {
		name string
		f    func(*Node) *Node
	}{{"series", log1pUnit}, {"Log1p", Log1P}} {
		exec := MustNewExec(backends.Go(), form.f)
		b.Run(form.name, func(b *testing.B) {
			for b.Loop() {
				exec.MustExec(x)[0].FinalizeAll()
			}
		})
	}
}
