// Package vae is the variational autoencoder (Kingma and Welling 2014, "Auto-Encoding
// Variational Bayes", https://arxiv.org/abs/1312.6114) with a weight beta on the KL term
// (beta-VAE, Higgins et al. 2017, when beta != 1).
//
// The encoder (vaekit.EncoderFeatures) gives the mean and log-variance of a diagonal Gaussian
// q(z|x); z is drawn by the reparameterization; the decoder (vaekit.DecoderLogits) gives
// Bernoulli logits per pixel. The loss terms, per image, are
//
//	loss           = reconstruction + beta * kl
//	reconstruction = -log p(x|z), summed over pixels (nats)
//	kl             = KL(q(z|x) || N(0, I)), summed over latent dimensions (nats)
//
// A KL schedule multiplies the KL by a weight that grows over training, and free bits floor the
// KL of each group of latent dimensions (schedule.go: two cures for posterior collapse, with the
// terms kl_weight and free_bits_shortfall they add).
//
// With beta = 1, loss is the negative ELBO. ParamKLReduction = "mean" averages the KL over the
// latent dimensions instead (the Keras tutorial of the Fashion-MNIST tutorial does: its printed and trained KL is
// the sum divided by the latent size), which is a beta of 1/latent on the summed KL.
package vae

import (
	"fmt"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Parameter keys of the VAE (besides the shared block parameters of package vaekit).
const (
	// ParamBeta is the weight of the KL term (default 1).
	ParamBeta = "vae_beta"
	// ParamKLReduction is how the KL term is reduced over the latent dimensions: "sum"
	// (default, the KL divergence in nats) or "mean" (the sum divided by the latent size, as
	// Keras code that calls reduce_mean over batch and latent axes computes it).
	ParamKLReduction = "vae_kl_reduction"
)

// ObjectiveParams are the parameters of the VAE's objective (Loss): the KL's weight and
// reduction, its schedule and free bits. A family whose loss is the VAE's reads them.
var ObjectiveParams = []string{ParamBeta, ParamKLReduction, ParamKLSchedule, ParamKLScheduleUnit, ParamKLScheduleLength,
	ParamKLCycleRamp, ParamFreeBits, ParamFreeBitsGroups}

// ScheduleParams are the parameters of the KL schedule (KLScheduleWeight): the beta-TC-VAE,
// whose objective weighs the KL's parts itself, reads them without the rest of ObjectiveParams.
var ScheduleParams = []string{ParamKLSchedule, ParamKLScheduleUnit, ParamKLScheduleLength, ParamKLCycleRamp}

// KLReductions are the values ParamKLReduction takes.
var KLReductions = []string{"sum", "mean"}

// DefaultLatentDim is used when vaekit.ParamLatentDim is not set.
const DefaultLatentDim = 20

// Model is the VAE. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "vae" }

// LatentDim implements vaekit.Generator.
func (Model) LatentDim(store *model.Store) int {
	return vaekit.LatentDim(store.RootScope(), DefaultLatentDim)
}

// Posterior returns the mean and log-variance of q(z|x), each [batch, latent].
// cond is an optional condition appended to the encoder input (nil for the plain VAE).
func Posterior(scope *model.Scope, images, cond *Node) (mean, logVar *Node) {
	features := vaekit.EncoderFeatures(scope, images, cond)
	return meanLayer(scope, features), layers.Dense(scope.In("z_log_var"), features, true, vaekit.LatentDim(scope, DefaultLatentDim))
}

// PosteriorMean is the mean of q(z|x) alone: encoding needs no log-variance, so its layer is
// not built.
func PosteriorMean(scope *model.Scope, images, cond *Node) *Node {
	return meanLayer(scope, vaekit.EncoderFeatures(scope, images, cond))
}

func meanLayer(scope *model.Scope, features *Node) *Node {
	return layers.Dense(scope.In("z_mean"), features, true, vaekit.LatentDim(scope, DefaultLatentDim))
}

// Loss implements vaekit.Model.
func (Model) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	return Loss(scope, images, nil, nil)
}

// Loss is the VAE loss with an optional condition given to encoder and decoder (cond) and an
// optional prior mean per example (priorMean, nil for N(0, I)); the conditional VAEs call it.
func Loss(scope *model.Scope, images, cond, priorMean *Node) vaekit.Terms {
	mean, logVar := Posterior(scope, images, cond)
	z := vaekit.Reparameterize(scope, mean, logVar)
	logits := vaekit.DecoderLogits(scope, z, cond)
	reconstruction := vaekit.ReconstructionLoss(scope, logits, images)
	weight := KLScheduleWeight(scope, images.Graph(), mean.DType())
	var kl, shortfall *Node
	if lambda := vaekit.Param[float64](scope, ParamFreeBits); lambda > 0 {
		perDim := vaekit.GaussianKLPerDimension(mean, logVar, priorMean)
		kl, shortfall = ReduceSum(perDim, 1), freeBitsShortfall(scope, perDim)
	} else {
		kl = vaekit.GaussianKLToMean(mean, logVar, priorMean)
	}
	switch reduction := vaekit.Param[string](scope, ParamKLReduction); reduction {
	case "sum":
	case "mean":
		kl = DivScalar(kl, float64(mean.Shape().Dim(-1)))
		if shortfall != nil {
			shortfall = DivScalar(shortfall, float64(mean.Shape().Dim(-1)))
		}
	default:
		exceptions.Panicf("parameter %q = %q: expected one of %v", ParamKLReduction, reduction, KLReductions)
	}
	beta := vaekit.Param[float64](scope, ParamBeta)
	weighted := kl // without a schedule or free bits: the plain VAE's objective, op for op
	if shortfall != nil {
		weighted = Add(kl, shortfall)
	}
	if weight != nil {
		weighted = Mul(weighted, weight)
	}
	terms := vaekit.Terms{
		{Name: "loss", Value: vaekit.Objective(reconstruction, weighted, beta)},
		{Name: "reconstruction", Value: reconstruction},
		{Name: "kl", Value: kl},
	}
	if weight != nil {
		terms = append(terms, vaekit.Term{Name: "kl_weight", Value: BroadcastToDims(weight, kl.Shape().Dim(0))})
	}
	if shortfall != nil {
		terms = append(terms, vaekit.Term{Name: "free_bits_shortfall", Value: shortfall})
	}
	return terms
}

// PosteriorParams implements vaekit.GaussianPosterior: q(z|x) against the prior N(0, I).
func (Model) PosteriorParams(scope *model.Scope, images, _ *Node) (mean, logVar, priorMean *Node) {
	mean, logVar = Posterior(scope, images, nil)
	return mean, logVar, ZerosLike(mean)
}

// Encode implements vaekit.Encoder: the posterior mean.
func (Model) Encode(scope *model.Scope, images, _ *Node) *Node {
	return PosteriorMean(scope, images, nil)
}

// Decode implements vaekit.Generator: pixel probabilities for latent points z.
func (Model) Decode(scope *model.Scope, z, _ *Node) *Node {
	return vaekit.DecodedImages(scope, vaekit.DecoderLogits(scope, z, nil))
}

// Reconstruct implements vaekit.Reconstructor: the decoded posterior mean (no sampling), the
// usual picture of what the model keeps of an image.
func (m Model) Reconstruct(scope *model.Scope, images, labels *Node) *Node {
	return m.Decode(scope, m.Encode(scope, images, labels), labels)
}

func init() {
	paramtable.Declare(
		paramtable.Spec{Name: ParamBeta, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: []string{"vae"}, Default: 1.0,
			Doc: "weight of the KL term (beta-VAE when not 1)"},
		paramtable.Spec{Name: ParamKLReduction, Kind: paramtable.KindChoice, Choices: KLReductions, Families: []string{"vae"}, Default: "sum",
			Doc: "KL over the latent dimensions: sum (nats) or mean (as Keras' reduce_mean; the Fashion-MNIST tutorial)"},
	)
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: vaekit.EncoderDecoderParams})
}

// Units implements vaekit.Documented.
func (Model) Units(store *model.Store) string { return Units(store) }

// TermAxes implements vaekit.Described.
func (Model) TermAxes(store *model.Store) map[string]history.Axis { return TermAxes(store) }

// TermAxes describes the VAE's terms for figures (the conditional VAEs share them).
func TermAxes(store *model.Store) map[string]history.Axis {
	kl := history.Axis{Title: "KL divergence", Unit: "nats per image"}
	if vaekit.Param[string](store.RootScope(), ParamKLReduction) == "mean" {
		kl.Unit = "nats per latent dimension"
	}
	loss := vaekit.ReconstructionAxis(store)
	if loss.Unit != "nats per image" {
		loss.Unit = "per image (" + loss.Unit + " + KL)"
	}
	axes := map[string]history.Axis{"loss": loss, "reconstruction": vaekit.ReconstructionAxis(store), "kl": kl}
	scope := store.RootScope()
	if vaekit.Param[string](scope, ParamKLSchedule) != "constant" {
		axes["kl_weight"] = history.Axis{Title: "KL weight (schedule)", Unit: "weight of the KL term (0 to 1)"}
	}
	if vaekit.Param[float64](scope, ParamFreeBits) > 0 {
		axes["free_bits_shortfall"] = history.Axis{Title: "free-bits shortfall", Unit: kl.Unit}
	}
	return axes
}

// Units describes the VAE's terms (the conditional VAEs share them).
func Units(store *model.Store) string {
	kl := "kl is the KL divergence in nats"
	if vaekit.Param[string](store.RootScope(), ParamKLReduction) == "mean" {
		kl = "kl is the KL divergence in nats averaged over the latent dimensions"
	}
	return "per image: reconstruction is " + vaekit.ReconstructionUnits(store) + "; " + kl
}

// KLPerDimension returns, for each latent dimension, the KL divergence of q(z_k|x) from the
// prior's N(0, 1) averaged over the images of set, in nats: the dimensions a trained VAE uses
// carry a few nats each, the ones it leaves unused (posterior = prior) about 0 (Burda et al.'s
// active units). Their sum is the model's mean KL term (ParamKLReduction "sum").
func KLPerDimension(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([]float64, error) {
	rows, _, err := infer.Infer[float32](backend, store, set, batchSize, func(scope *model.Scope, images, _ *Node) *Node {
		mean, logVar := Posterior(scope, images, nil)
		return vaekit.GaussianKLPerDimension(mean, logVar, nil)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("KL per dimension: the set %s/%s is empty", set.Name, set.Split)
	}
	kl := make([]float64, len(rows[0]))
	for _, r := range rows {
		for k, v := range r {
			kl[k] += float64(v)
		}
	}
	for k := range kl {
		kl[k] /= float64(len(rows))
	}
	return kl, nil
}

// Size implements vaekit.Sized: the encoder, the mean and log-variance layers and the decoder.
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	latent := p.Int(vaekit.ParamLatentDim, family)
	enc, features := vaekit.EncoderSize(p, family, shape, 0)
	head := vaekit.DenseSize(features, latent)
	return enc.Add(head).Add(head).Add(vaekit.DecoderSize(p, family, shape, latent))
}
