// Package gan is a small DCGAN-style generative adversarial network (Goodfellow et al. 2014;
// Radford, Metz and Chintala 2016), the baseline the reference notes compare the VAE with.
//
// Its generator is vaekit's decoder (scope "generator"): the same shape as the VAE decoder it is
// compared with, so that the comparison is between training objectives, not architectures. Its
// discriminator is vaekit's encoder body (scope "discriminator") with one logit on top; scoped
// parameters set it apart, for example "/discriminator/activation" = "leaky_relu".
//
// Training is vaekit's one loop: the model is vaekit.Adversarial, so each player follows the
// gradient of its own term from the same forward pass (simultaneous steps, each with its own
// optimizer state). The discriminator minimises the binary cross-entropy of real images against
// label 1 and generated ones against 0; the generator the non-saturating loss
// -log D(G(z)). Per-example terms, in nats:
//
//   - "loss": discriminator + generator, recorded only (no player minimises it);
//   - "discriminator", "generator": the players' objectives;
//   - "real_score", "fake_score": the discriminator's probability that a real, and a generated,
//     image is real (at equilibrium both are near 1/2).
package gan

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph code reads like math.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// DefaultLatentDim is the size of the generator's noise vector when ParamLatentDim is not set.
const DefaultLatentDim = 2

// Scopes of the two players.
const (
	GeneratorScope     = "generator"
	DiscriminatorScope = "discriminator"
)

// Model is the GAN. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "gan" }

// AveragedScope implements vaekit.Averaged: sampling may use an average of the generator.
func (Model) AveragedScope() string { return GeneratorScope }

// Players implements vaekit.Adversarial.
func (Model) Players() []vaekit.Player {
	return []vaekit.Player{{Scope: DiscriminatorScope, Term: "discriminator"}, {Scope: GeneratorScope, Term: "generator"}}
}

// LatentDim implements vaekit.Generator.
func (Model) LatentDim(store *model.Store) int {
	return vaekit.LatentDim(store.RootScope(), DefaultLatentDim)
}

// Decode implements vaekit.Generator: the generator's pixel probabilities for noise vectors z
// [batch, d]; the prior is N(0, I), as for the VAE.
func (Model) Decode(scope *model.Scope, z, _ *Node) *Node {
	return Sigmoid(vaekit.DecoderLogits(scope.In(GeneratorScope), z, nil))
}

// DiscriminatorLogits is the discriminator's logit that each image of images [batch, h, w, c] is
// real.
func DiscriminatorLogits(scope *model.Scope, images *Node) *Node {
	scope = scope.In(DiscriminatorScope)
	features := vaekit.EncoderFeatures(scope, images, nil)
	return Reshape(layers.Dense(scope.In("logit"), features, true, 1), -1)
}

// Loss implements vaekit.Model. The real and generated images go through the discriminator as
// one batch (a scope's layers are built once per graph).
func (m Model) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	g := images.Graph()
	batch := images.Shape().Dim(0)
	z := scope.RandomNormal(g, shapes.Make(images.DType(), batch, vaekit.LatentDim(scope, DefaultLatentDim)))
	fakes := m.Decode(scope, z, nil)
	logits := DiscriminatorLogits(scope, Concatenate([]*Node{images, fakes}, 0))
	return AdversarialTerms(Slice(logits, AxisRange(0, batch)), Slice(logits, AxisRange(batch, 2*batch)))
}

// AdversarialTerms are the loss terms of a GAN from the discriminator's logits of real and of
// generated images [batch]: the discriminator's binary cross-entropy (real against label 1,
// generated against 0), the generator's non-saturating loss -log D(G(z)), their sum "loss"
// (recorded only) and the discriminator's two scores.
func AdversarialTerms(real, fake *Node) vaekit.Terms {
	// -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) = softplus(x), stable for any x.
	discriminator := Add(vaekit.StableSoftplus(Neg(real)), vaekit.StableSoftplus(fake))
	generator := vaekit.StableSoftplus(Neg(fake))
	return vaekit.Terms{
		{Name: "loss", Value: Add(discriminator, generator)},
		{Name: "discriminator", Value: discriminator},
		{Name: "generator", Value: generator},
		{Name: "real_score", Value: Sigmoid(real)},
		{Name: "fake_score", Value: Sigmoid(fake)},
	}
}

// Prior implements vaekit.Sampler: the generator's noise.
func (Model) Prior() string { return "N(0, I)" }

// Units implements vaekit.Documented.
func (Model) Units(*model.Store) string {
	return "per image: discriminator and generator are binary cross-entropies in nats (loss is their sum); real_score and fake_score are the discriminator's probability that an image is real"
}

// TermAxes implements vaekit.Described.
func (Model) TermAxes(*model.Store) map[string]history.Axis {
	nats := history.Axis{Unit: "nats per image"}
	score := func(title string) history.Axis { return history.Axis{Title: title, Unit: "probability of real"} }
	return map[string]history.Axis{"loss": nats, "discriminator": {Title: "discriminator loss", Unit: nats.Unit},
		"generator": {Title: "generator loss", Unit: nats.Unit}, "real_score": score("discriminator's score of real images"),
		"fake_score": score("discriminator's score of generated images")}
}

func init() {
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: vaekit.EncoderDecoderParams,
		Defaults: map[string]any{vaekit.ParamLatentDim: DefaultLatentDim}})
}

// Size implements vaekit.Sized: the discriminator (the encoder block and one logit) and the
// generator (the decoder block).
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	disc, features := vaekit.EncoderSize(p, family, shape, 0)
	return disc.Add(vaekit.DenseSize(features, 1)).Add(vaekit.DecoderSize(p, family, shape, p.Int(vaekit.ParamLatentDim, family)))
}
