package betatcvae_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/betatcvae"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// decompose evaluates Decomposition on constant samples, means and log-variances [batch, latent].
func decompose(t *testing.T, z, mean, logVar [][]float32, n int) (mi, tc, dwkl []float32) {
	t.Helper()
	out := MustExecOnceN(backends.Go(), func(g *Graph) []*Node {
		a, b, c := betatcvae.Decomposition(Const(g, z), Const(g, mean), Const(g, logVar), n)
		return []*Node{a, b, c}
	})
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2])
}

// Cases worked out by hand (latent 2, N training images, batch M): with log-variance 0 and z
// at the mean, log q(z_i|x_i) = log p(z_i) when the mean is 0.
//   - Identical posteriors: every logsumexp over the batch is the own term + log M, so
//     log q(z) = log q(z|x) - log N and each marginal loses log N: mi = log N,
//     tc = (2 - 1) log N, dwkl = -2 log N (the known bias of minibatch-weighted sampling).
//   - Posteriors far apart: the other image adds nothing, so mi = log(N M), the most an
//     estimate can give, tc = log(N M), and the three add up to log q(z|x) - log p(z).
func TestDecompositionByHand(t *testing.T) {
	const n = 100
	far := float32(40) // N(40; 0, 1) is below float32's smallest density: e^-800
	logP := func(x float64) float64 { return -0.5 * (math.Log(2*math.Pi) + x*x) }
	tests := []struct {
		name                   string
		z, mean, logVar        [][]float32
		wantMI, wantTC, wantDW []float64
	}{
		{"identical posteriors", [][]float32{{0, 0}, {0, 0}}, [][]float32{{0, 0}, {0, 0}}, [][]float32{{0, 0}, {0, 0}},
			[]float64{math.Log(n), math.Log(n)}, []float64{math.Log(n), math.Log(n)}, []float64{-2 * math.Log(n), -2 * math.Log(n)}},
		{"posteriors far apart", [][]float32{{0, 0}, {far, far}}, [][]float32{{0, 0}, {far, far}}, [][]float32{{0, 0}, {0, 0}},
			[]float64{math.Log(2 * n), math.Log(2 * n)}, []float64{math.Log(2 * n), math.Log(2 * n)},
			// dwkl = log q(z|x) - log p(z) - mi - tc, and log q(z|x) = 2 logP(0).
			[]float64{-2 * math.Log(2*n), 2*logP(0) - 2*logP(float64(far)) - 2*math.Log(2*n)}},
	}
	for _, tt := range tests {
		mi, tc, dw := decompose(t, tt.z, tt.mean, tt.logVar, n)
		for i := range mi {
			for _, c := range []struct {
				term      string
				got, want float64
			}{{"mutual_information", float64(mi[i]), tt.wantMI[i]}, {"total_correlation", float64(tc[i]), tt.wantTC[i]}, {"dimension_wise_kl", float64(dw[i]), tt.wantDW[i]}} {
				if math.Abs(c.got-c.want) > 1e-3*max(1, math.Abs(c.want)) {
					t.Errorf("%s: image %d: %s = %g, want %g", tt.name, i, c.term, c.got, c.want)
				}
			}
		}
	}
}

// On any batch the three parts add up to log q(z|x) - log p(z), computed here in float64.
func TestDecompositionAddsUpToTheLogRatio(t *testing.T) {
	z := [][]float32{{0.3, -1.2, 0.5}, {1.1, 0.4, -0.7}, {-0.2, 0.9, 2.0}}
	mean := [][]float32{{0.1, -1.0, 0.2}, {1.3, 0.1, -0.5}, {0.0, 1.2, 1.5}}
	logVar := [][]float32{{-0.5, 0.2, -1.0}, {0.3, -0.2, 0.1}, {-1.5, 0.0, 0.4}}
	mi, tc, dw := decompose(t, z, mean, logVar, 60000)
	for i := range z {
		var want float64
		for k := range z[i] {
			zk, mk, lv := float64(z[i][k]), float64(mean[i][k]), float64(logVar[i][k])
			want += -0.5*(lv+(zk-mk)*(zk-mk)/math.Exp(lv)) + 0.5*zk*zk
		}
		if got := float64(mi[i] + tc[i] + dw[i]); math.Abs(got-want) > 1e-3 {
			t.Errorf("image %d: mi + tc + dwkl = %g, want log q(z|x) - log p(z) = %g", i, got, want)
		}
		if float64(mi[i]) > math.Log(60000*3)+1e-4 {
			t.Errorf("image %d: mutual information %g above log(N M) = %g", i, mi[i], math.Log(60000*3))
		}
	}
}

// Fit sets the number of training images the loss weighs its batch by; a graph built without it
// is refused with the parameter named.
func TestTrainingImages(t *testing.T) {
	store, hist, _, err := briefly.Train(betatcvae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{32}, vaekit.ParamLatentDim: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := model.GetParamOr(store.RootScope(), vaekit.ParamTrainingImages, 0); n != 256 {
		t.Errorf("training_images = %d, want the 256 training images", n)
	}
	row, ok := hist.Last("test")
	if !ok {
		t.Fatal("no test row")
	}
	if tc := hist.Value(row, "total_correlation"); math.IsNaN(tc) || math.IsInf(tc, 0) {
		t.Errorf("test total_correlation = %g", tc)
	}
	bare := model.NewStore()
	bare.SetParams(map[string]any{vaekit.ParamMLPHidden: []int{8}, vaekit.ParamLatentDim: 2, vaekit.ParamModel: "betatcvae"})
	images, labels := briefly.Batch(testutil.SquaresSet(4, 1), 4)
	exec, err := model.NewExec(backends.Go(), bare, func(scope *model.Scope, images, labels *Node) *Node {
		return betatcvae.Model{}.Loss(scope, images, labels)[0].Value
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = exec.Exec(images, labels)
	if err == nil || !strings.Contains(err.Error(), `parameter "training_images" = 0`) {
		t.Errorf("a loss without the training images: error %v", err)
	}
}

// The family registers itself: its parameters are in the table, read by it alone, and the
// shared blocks' parameters it reads are checked as for the VAE.
func TestRegistered(t *testing.T) {
	m, err := vaekit.FamilyByName("betatcvae")
	if err != nil {
		t.Fatal(err)
	}
	_, sampler := m.(vaekit.Sampler)
	_, likelihood := m.(vaekit.Likelihood)
	_, posterior := m.(vaekit.GaussianPosterior)
	_, encoder := m.(vaekit.Encoder)
	if !sampler || !likelihood || !posterior || !encoder {
		t.Errorf("capabilities: sampler %v, likelihood %v, Gaussian posterior %v, encoder %v; want all", sampler, likelihood, posterior, encoder)
	}
	if _, err := paramtable.CheckAll("betatcvae", map[string]any{betatcvae.ParamBeta: 6.0, vaekit.ParamLatentDim: 10, vaekit.ParamArchitecture: "conv"}); err != nil {
		t.Error(err)
	}
	if _, err := paramtable.CheckAll("vae", map[string]any{betatcvae.ParamBeta: 6.0}); err == nil || !strings.Contains(err.Error(), "is read by betatcvae, not by the vae model") {
		t.Errorf("tcvae_beta for the vae: error %v", err)
	}
	if _, err := paramtable.CheckAll("betatcvae", map[string]any{betatcvae.ParamBeta: -1.0}); err == nil || !strings.Contains(err.Error(), "tcvae_beta") {
		t.Errorf("a negative beta: error %v", err)
	}
}

// The VAE's KL schedule weighs the three parts together: at each step the term kl_weight is
// the schedule's weight at the steps done before it, and the loss is reconstruction + that
// weight times (alpha mi + beta tc + gamma dwkl), here with the defaults 1, 6 and 1. Free bits
// are not this family's parameter, and a schedule needs its length, as for the VAE.
func TestKLScheduleWeighsTheThreeParts(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{16}, vaekit.ParamLatentDim: 3,
		vaekit.ParamTrainingImages: 64, training.ParamSeed: int64(2), training.ParamBatchSize: 4,
		vae.ParamKLSchedule: "linear", vae.ParamKLScheduleLength: 4})
	tr, err := training.NewTrainer(backends.Go(), store, betatcvae.Model{})
	if err != nil {
		t.Fatal(err)
	}
	images, labels := briefly.Batch(testutil.SquaresSet(4, 1), 4)
	for step := range 6 {
		out, err := tr.TrainStep(images, labels)
		if err != nil {
			t.Fatal(err)
		}
		names := tr.Terms()
		if !slices.Equal(names, []string{"loss", "reconstruction", "kl", "mutual_information", "total_correlation", "dimension_wise_kl", "kl_weight"}) {
			t.Fatalf("terms %v", names)
		}
		w := vae.KLWeight("linear", step, 4, 0)
		if math.Abs(out[6]-w) > 1e-6 {
			t.Errorf("step %d: kl_weight %g, want %g", step, out[6], w)
		}
		// Step means of per-image terms: the loss's mean is the same sum of the means.
		if want := out[1] + w*(out[3]+6*out[4]+out[5]); math.Abs(out[0]-want) > 1e-4*math.Abs(want) {
			t.Errorf("step %d: loss %g, want reconstruction %g + %g x (mi %g + 6 tc %g + dwkl %g) = %g", step, out[0], out[1], w, out[3], out[4], out[5], want)
		}
	}
	for _, c := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{vae.ParamFreeBits: 0.5}, "vae_free_bits"},
		{map[string]any{vae.ParamKLSchedule: "cyclical"}, "needs vae_kl_schedule_length >= 1"},
	} {
		if _, err := paramtable.CheckAll("betatcvae", c.params); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("betatcvae with %v: error %v, want one naming %q", c.params, err, c.want)
		}
	}
}
