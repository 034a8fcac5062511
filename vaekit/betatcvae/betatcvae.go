// Package betatcvae is the beta-TC-VAE (Chen, Li, Grosse and Duvenaud 2018, "Isolating Sources
// of Disentanglement in Variational Autoencoders", https://arxiv.org/abs/1802.04942): a VAE
// whose KL term, averaged over the data, is split into three parts that are weighted apart,
//
//	E_x KL(q(z|x) || p(z)) = I(x; z) + KL(q(z) || prod_k q(z_k)) + sum_k KL(q(z_k) || p(z_k))
//	                         index-code MI   total correlation       dimension-wise KL
//
// so that the total correlation, the dependence between the latent dimensions, can be
// penalised (weight beta) without squeezing the information z keeps about x (alpha) or the
// match of each dimension with the prior (gamma). The encoder, decoder and reconstruction are
// the VAE's (package vae), so everything the VAE can do (encode, decode, sample from N(0, I),
// estimate -log p(x), diagnose collapse) this family does too.
//
// The aggregate posterior q(z) = (1/N) sum_n q(z|x_n) over the N training images is estimated
// from the batch by minibatch-weighted sampling (the paper's section 3.1): for z_i drawn from
// q(z|x_i) in a batch of M images,
//
//	log q(z_i)           ~ logsumexp_j log q(z_i|x_j) - log(N M)
//	log prod_k q(z_ik)   ~ sum_k [ logsumexp_j log q(z_ik|x_j) - log(N M) ]
//
// N is vaekit.ParamTrainingImages, which Fit sets from the training set. The loss terms, per
// image (nats), are
//
//	loss               = reconstruction + w * (alpha * mutual_information + beta * total_correlation + gamma * dimension_wise_kl)
//	mutual_information = log q(z_i|x_i) - log q(z_i)
//	total_correlation  = log q(z_i) - log prod_k q(z_ik)
//	dimension_wise_kl  = log prod_k q(z_ik) - log p(z_i)
//	kl                 = KL(q(z|x_i) || N(0, I)), in closed form, for comparison with the VAE
//
// where w is the VAE's KL schedule (package vae: 1, a linear warm-up or cyclical annealing; the
// term kl_weight when it is not constant). Free bits are not read: they floor the KL of groups
// of dimensions, which this objective does not have, only the three estimated parts.
//
// The three parts add up to log q(z_i|x_i) - log p(z_i), a one-sample estimate of kl, so with
// alpha = beta = gamma = 1 the loss is the VAE's negative ELBO in expectation. They are batch
// estimates: an image's terms depend on the other images of its batch, and minibatch-weighted
// sampling is biased for small batches: identical posteriors in a batch give a mutual
// information of log N, not 0, and posteriors that rarely overlap within a batch (M much
// smaller than the images one posterior covers) give nearly log(N M), its upper bound, whatever
// the true I(x; z), which the mean kl bounds from above. Evaluation pads its last batch with copies of the first image,
// which then count among that batch's images.
package betatcvae

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// Parameter keys of the beta-TC-VAE (besides the shared block parameters of package vaekit).
const (
	// ParamAlpha weighs the index-code mutual information (default 1).
	ParamAlpha = "tcvae_alpha"
	// ParamBeta weighs the total correlation (default 6, the paper's usual choice).
	ParamBeta = "tcvae_beta"
	// ParamGamma weighs the dimension-wise KL (default 1).
	ParamGamma = "tcvae_gamma"
)

// Model is the beta-TC-VAE: the VAE (whose encoding, decoding, sampling and likelihood it
// keeps) with the decomposed objective. It holds no state.
type Model struct{ vae.Model }

// Name implements vaekit.Model.
func (Model) Name() string { return "betatcvae" }

// Loss implements vaekit.Model.
func (Model) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	mean, logVar := vae.Posterior(scope, images, nil)
	z := vaekit.Reparameterize(scope, mean, logVar)
	reconstruction := vaekit.ReconstructionLoss(scope, vaekit.DecoderLogits(scope, z, nil), images)
	n := vaekit.Param[int](scope, vaekit.ParamTrainingImages)
	if n < 1 {
		panic(fmt.Errorf("betatcvae: parameter %q = %d: expected the number of training images (Fit sets it from the training set)", vaekit.ParamTrainingImages, n))
	}
	mi, tc, dwkl := Decomposition(z, mean, logVar, n)
	alpha, beta, gamma := vaekit.Param[float64](scope, ParamAlpha), vaekit.Param[float64](scope, ParamBeta), vaekit.Param[float64](scope, ParamGamma)
	parts := Add(MulScalar(mi, alpha), Add(MulScalar(tc, beta), MulScalar(dwkl, gamma)))
	weight := vae.KLScheduleWeight(scope, images.Graph(), mean.DType())
	if weight != nil {
		parts = Mul(parts, weight)
	}
	terms := vaekit.Terms{
		{Name: "loss", Value: Add(reconstruction, parts)},
		{Name: "reconstruction", Value: reconstruction},
		{Name: "kl", Value: vaekit.GaussianKLToMean(mean, logVar, nil)},
		{Name: "mutual_information", Value: mi},
		{Name: "total_correlation", Value: tc},
		{Name: "dimension_wise_kl", Value: dwkl},
	}
	if weight != nil {
		terms = append(terms, vaekit.Term{Name: "kl_weight", Value: BroadcastToDims(weight, mi.Shape().Dim(0))})
	}
	return terms
}

// Decomposition returns the minibatch-weighted estimates, per image [batch], of the index-code
// mutual information, the total correlation and the dimension-wise KL for samples z [batch,
// latent] drawn from the diagonal Gaussians q(z|x) with the given mean and log-variance, the
// batch standing for a training set of n images (see the package documentation).
func Decomposition(z, mean, logVar *Node, n int) (mi, tc, dwkl *Node) {
	m := z.Shape().Dim(0)
	// log q(z_ik | x_j) for every pair of images i, j and dimension k: [batch, batch, latent].
	pairs := gaussianLogDensity(InsertAxes(z, 1), InsertAxes(mean, 0), InsertAxes(logVar, 0))
	logNM := math.Log(float64(n) * float64(m))
	logQz := AddScalar(logSumExp(ReduceSum(pairs, -1), 1), -logNM)            // [batch]
	logProdMarginals := ReduceSum(AddScalar(logSumExp(pairs, 1), -logNM), -1) // [batch]
	logQzx := ReduceSum(gaussianLogDensity(z, mean, logVar), -1)              // [batch]
	logPz := ReduceSum(gaussianLogDensity(z, ZerosLike(z), ZerosLike(z)), -1) // [batch]
	return Sub(logQzx, logQz), Sub(logQz, logProdMarginals), Sub(logProdMarginals, logPz)
}

// gaussianLogDensity is log N(x; mean, exp(logVar)), element by element.
func gaussianLogDensity(x, mean, logVar *Node) *Node {
	d := Sub(x, mean)
	return MulScalar(AddScalar(Add(logVar, Mul(Square(d), Exp(Neg(logVar)))), math.Log(2*math.Pi)), -0.5)
}

// logSumExp reduces axis of x by log sum exp, shifted by the maximum for stability.
func logSumExp(x *Node, axis int) *Node {
	peak := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	return Add(Squeeze(peak, axis), Log(ReduceSum(Exp(Sub(x, peak)), axis)))
}

// Units implements vaekit.Documented.
func (Model) Units(store *model.Store) string {
	return "per image: reconstruction is " + vaekit.ReconstructionUnits(store) + "; kl is the KL divergence in nats; " +
		"mutual_information, total_correlation and dimension_wise_kl are minibatch-weighted estimates in nats whose sum estimates kl"
}

// TermAxes implements vaekit.Described.
func (Model) TermAxes(store *model.Store) map[string]history.Axis {
	loss := vaekit.ReconstructionAxis(store)
	if loss.Unit != "nats per image" {
		loss.Unit = "per image (" + loss.Unit + " + weighted KL parts)"
	}
	nats := func(title string) history.Axis { return history.Axis{Title: title, Unit: "nats per image"} }
	axes := map[string]history.Axis{"loss": loss, "reconstruction": vaekit.ReconstructionAxis(store), "kl": nats("KL divergence"),
		"mutual_information": nats("mutual information I(x; z), MWS estimate"), "total_correlation": nats("total correlation, MWS estimate"),
		"dimension_wise_kl": nats("dimension-wise KL, MWS estimate")}
	if vaekit.Param[string](store.RootScope(), vae.ParamKLSchedule) != "constant" {
		axes["kl_weight"] = history.Axis{Title: "KL weight (schedule)", Unit: "weight of the three KL parts (0 to 1)"}
	}
	return axes
}

func init() {
	own := []string{"betatcvae"}
	paramtable.Declare(
		paramtable.Spec{Name: ParamAlpha, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: own, Default: 1.0,
			Doc: "weight of the index-code mutual information I(x; z)"},
		paramtable.Spec{Name: ParamBeta, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: own, Default: 6.0,
			Doc: "weight of the total correlation KL(q(z) || prod_k q(z_k)) (Chen et al. 2018)"},
		paramtable.Spec{Name: ParamGamma, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: own, Default: 1.0,
			Doc: "weight of the dimension-wise KL sum_k KL(q(z_k) || p(z_k))"},
	)
	// The KL schedule (package vae) weighs the three parts together; free bits, a floor on the
	// KL of each group of dimensions, have no per-group KL to floor in this objective.
	reads := append(append([]string{vaekit.ParamTrainingImages}, vaekit.EncoderDecoderParams...), vae.ScheduleParams...)
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: reads})
}
