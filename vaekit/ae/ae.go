// Package ae is the deterministic autoencoder (a bottleneck of size vaekit.ParamLatentDim,
// trained on reconstruction alone) and, with a corruption step, the denoising autoencoder
// (Vincent et al. 2008, "Extracting and Composing Robust Features with Denoising Autoencoders"):
// the encoder sees a corrupted image and the loss compares the reconstruction with the clean one.
//
// Loss terms, per image: loss = reconstruction (nats for "bernoulli", squared error for
// "mse"); both names are recorded so that AE and VAE runs compare term by term.
package ae

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Parameter keys of the autoencoder.
const (
	// ParamCorruption is the corruption applied to training inputs: "none" (plain AE),
	// "gaussian" (add N(0, noise^2) and clip to [0, 1]) or "mask" (zero each pixel with
	// probability noise).
	ParamCorruption = "ae_corruption"
	// ParamNoise is the corruption strength (default 0.3).
	ParamNoise = "ae_noise"
)

// DefaultLatentDim is used when vaekit.ParamLatentDim is not set.
const DefaultLatentDim = 20

// Model is the autoencoder. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "ae" }

// LatentDim implements vaekit.Generator.
func (Model) LatentDim(store *model.Store) int {
	return vaekit.LatentDim(store.RootScope(), DefaultLatentDim)
}

// Corrupt applies ParamCorruption to images (only while training: evaluation and figures see
// clean inputs). It uses the store's random state.
func Corrupt(scope *model.Scope, images *Node) *Node {
	g := images.Graph()
	kind := vaekit.Param[string](scope, ParamCorruption)
	noise := vaekit.Param[float64](scope, ParamNoise)
	if kind != "none" && (noise < 0 || (kind == "mask" && noise > 1)) {
		panic(fmt.Errorf("ae: parameter %q = %g: expected a value in [0, 1] for %q corruption", ParamNoise, noise, kind))
	}
	if kind == "none" || !scope.Store().IsTraining(g) {
		return images
	}
	switch kind {
	case "gaussian":
		eps := scope.RandomNormal(g, images.Shape())
		return ClipScalar(Add(images, MulScalar(eps, noise)), 0, 1)
	case "mask":
		keep := GreaterOrEqual(scope.RandomUniform(g, images.Shape()), Scalar(g, images.DType(), noise))
		return Where(keep, images, ZerosLike(images))
	default:
		panic(fmt.Errorf("ae: parameter %q = %q: expected \"none\", \"gaussian\" or \"mask\"", ParamCorruption, kind))
	}
}

// Encode implements vaekit.Encoder: the code of an image.
func (m Model) Encode(scope *model.Scope, images, _ *Node) *Node {
	features := vaekit.EncoderFeatures(scope, images, nil)
	return layers.Dense(scope.In("code"), features, true, vaekit.LatentDim(scope, DefaultLatentDim))
}

// Decode implements vaekit.Generator: pixel probabilities for codes z.
func (Model) Decode(scope *model.Scope, z, _ *Node) *Node {
	return vaekit.DecodedImages(scope, vaekit.DecoderLogits(scope, z, nil))
}

// Reconstruct implements vaekit.Reconstructor.
func (m Model) Reconstruct(scope *model.Scope, images, labels *Node) *Node {
	return m.Decode(scope, m.Encode(scope, images, labels), labels)
}

// Loss implements vaekit.Model.
func (m Model) Loss(scope *model.Scope, images, labels *Node) vaekit.Terms {
	code := m.Encode(scope, Corrupt(scope, images), labels)
	logits := vaekit.DecoderLogits(scope, code, nil)
	reconstruction := vaekit.ReconstructionLoss(scope, logits, images)
	return vaekit.Terms{{Name: "loss", Value: reconstruction}, {Name: "reconstruction", Value: reconstruction}}
}

// Corruptions are the values of ParamCorruption.
var Corruptions = []string{"none", "gaussian", "mask"}

func init() {
	paramtable.Declare(
		paramtable.Spec{Name: ParamCorruption, Kind: paramtable.KindChoice, Choices: Corruptions, Families: []string{"ae"}, Default: "none",
			Doc: "corruption of the training inputs: none (plain AE), gaussian noise or a random mask (denoising AE)"},
		paramtable.Spec{Name: ParamNoise, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: []string{"ae"}, Default: 0.3,
			Doc: "corruption strength: the noise's standard deviation, or the masked fraction (at most 1)"},
	)
	paramtable.DeclareRule(func(p paramtable.Values, family string) error {
		kind, _ := p.Get(ParamCorruption, family)
		noise, _ := p.Get(ParamNoise, family)
		if kind == "mask" && noise.(float64) > 1 {
			return fmt.Errorf("parameter %s = %g with %s = mask: expected a fraction in [0, 1]", ParamNoise, noise, ParamCorruption)
		}
		return nil
	})
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: vaekit.EncoderDecoderParams})
}

// Units implements vaekit.Documented.
func (Model) Units(store *model.Store) string {
	return "per image: loss and reconstruction are " + vaekit.ReconstructionUnits(store)
}

// TermAxes implements vaekit.Described: the loss is the reconstruction term.
func (Model) TermAxes(store *model.Store) map[string]history.Axis {
	loss := vaekit.ReconstructionAxis(store)
	loss.SameAs, loss.Why = "reconstruction", "an autoencoder's objective is its reconstruction term"
	return map[string]history.Axis{"loss": loss, "reconstruction": vaekit.ReconstructionAxis(store)}
}

// Size implements vaekit.Sized: the encoder, the code layer and the decoder.
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	latent := p.Int(vaekit.ParamLatentDim, family)
	enc, features := vaekit.EncoderSize(p, family, shape, 0)
	return enc.Add(vaekit.DenseSize(features, latent)).Add(vaekit.DecoderSize(p, family, shape, latent))
}
