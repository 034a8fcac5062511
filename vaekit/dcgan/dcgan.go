// Package dcgan is the DCGAN of the TensorFlow tutorial "Deep Convolutional Generative
// Adversarial Network" (after Radford, Metz and Chintala 2016), a GAN known to draw clean MNIST
// digits, to compare the VAE with a GAN that is not handicapped by the VAE's small decoder.
//
// Generator (scope "generator"): noise z [batch, d] (d = 100 in the tutorial), a dense layer to
// an (h/2^n) x (w/2^n) x f0 grid, then transposed convolutions of kernel k to f1 (stride 1), f2,
// ... (stride 2) and to the image's channels (stride 2, tanh), with batch normalization and a
// LeakyReLU after every layer but the last, and no biases (after a normalization its offset
// stands in for one; the output layer has none, as in the tutorial); n = len(ParamGeneratorFilters)
// - 1 >= 1, and the tutorial's filters are [256, 128, 64].
// Discriminator (scope "discriminator"): k x k convolutions of stride 2 with the filters of
// ParamDiscriminatorFilters ([64, 128]), each followed by a LeakyReLU and dropout, and one logit.
// Both players see images on [-1, 1], the tutorial's scale: the data's [0, 1] pixels are
// mapped there, and Decode maps the generator's tanh output back to [0, 1].
//
// The loss terms are package gan's (gan.AdversarialTerms): the discriminator's binary
// cross-entropy and the generator's non-saturating loss, each player following the gradient of
// its own term from one forward pass, as the tutorial's train_step does with its two gradient
// tapes.
package dcgan

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph code reads like math.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Parameters of the family.
const (
	// ParamGeneratorFilters are the depth of the generator's first grid and the filters of its
	// transposed convolutions before the output layer (default [256, 128, 64], the tutorial's).
	ParamGeneratorFilters = "dcgan_generator_filters"
	// ParamDiscriminatorFilters are the filters of the discriminator's stride-2 convolutions
	// (default [64, 128]).
	ParamDiscriminatorFilters = "dcgan_discriminator_filters"
	// ParamKernel is the side of every (transposed) convolution's kernel (default 5).
	ParamKernel = "dcgan_kernel"
	// ParamDropout is the dropout rate after each of the discriminator's convolutions
	// (default 0.3).
	ParamDropout = "dcgan_dropout"
)

// DefaultLatentDim is the tutorial's noise size.
const DefaultLatentDim = 100

// Model is the DCGAN. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "dcgan" }

// AveragedScope implements vaekit.Averaged: sampling may use an average of the generator.
func (Model) AveragedScope() string { return gan.GeneratorScope }

// Players implements vaekit.Adversarial.
func (Model) Players() []vaekit.Player {
	return []vaekit.Player{{Scope: gan.DiscriminatorScope, Term: "discriminator"}, {Scope: gan.GeneratorScope, Term: "generator"}}
}

// LatentDim implements vaekit.Generator.
func (Model) LatentDim(store *model.Store) int {
	return vaekit.LatentDim(store.RootScope(), DefaultLatentDim)
}

// ConvolutionalOnly implements vaekit.ConvolutionalOnly.
func (Model) ConvolutionalOnly() {}

// Prior implements vaekit.Sampler: the generator's noise.
func (Model) Prior() string { return "N(0, I)" }

// Decode implements vaekit.Generator: the generator's images, mapped from tanh's [-1, 1] to
// [0, 1].
func (Model) Decode(scope *model.Scope, z, _ *Node) *Node {
	return MulScalar(AddScalar(Generate(scope, z), 1), 0.5)
}

// leaky is the LeakyReLU of both players (ParamLeakyReluAlpha: Keras' 0.3 in the tutorial).
func leaky(scope *model.Scope, x *Node) *Node {
	return activation.LeakyReluWith(x, vaekit.Param[float64](scope, vaekit.ParamLeakyReluAlpha))
}

// normalize is the generator's batch normalization and LeakyReLU. The normalization is
// vaekit.BatchNorm, whose gradient in training passes through the batch's mean and variance as
// Keras' does: with GoMLX's norm.BatchNorm, which stops it there, a run of mnist-tf-dcgan-half
// had lost its generator by the third epoch (discriminator loss 0.04 nats, generator 6.4) and
// drew no digit.
func normalize(scope *model.Scope, x *Node) *Node {
	return leaky(scope, vaekit.BatchNorm(scope, x))
}

// gridSide checks that a side of the image halves evenly n times and returns the grid's side.
func gridSide(side, n int, filters []int) int {
	if side%(1<<n) != 0 {
		panic(fmt.Errorf("dcgan: image side %d is not divisible by 2^%d for the %d stride-2 layers of %q = %v",
			side, n, n, ParamGeneratorFilters, filters))
	}
	return side >> n
}

// Generate is the generator's output on [-1, 1] for noise z [batch, d]: images [batch, h, w, c].
func Generate(scope *model.Scope, z *Node) *Node {
	scope = scope.In(gan.GeneratorScope)
	g := z.Graph()
	batch := z.Shape().Dim(0)
	h, w, c := vaekit.ImageShape(scope)
	filters := vaekit.Param[[]int](scope, ParamGeneratorFilters)
	k := vaekit.Param[int](scope, ParamKernel)
	n := len(filters) - 1
	if n < 1 {
		panic(fmt.Errorf("dcgan: parameter %q = %v: expected the grid's depth and at least one transposed convolution's filters", ParamGeneratorFilters, filters))
	}
	gh, gw := gridSide(h, n, filters), gridSide(w, n, filters)
	grid := scope.In("dense_grid")
	x := normalize(grid, layers.Dense(grid, z, false, gh*gw*filters[0]))
	x = Reshape(x, batch, gh, gw, filters[0])
	deconv := func(layer *model.Scope, x *Node, out, stride int) *Node {
		kernel := layer.VariableWithShape("weights", shapes.Make(x.DType(), k, k, x.Shape().Dim(-1), out))
		return vaekit.ConvTranspose2DSame(x, kernel.NodeValue(g), stride)
	}
	for i := 1; i <= n; i++ {
		stride := 2
		if i == 1 {
			stride = 1
		}
		layer := scope.In("deconv_%d", i)
		x = normalize(layer, deconv(layer, x, filters[i], stride))
	}
	return Tanh(deconv(scope.In("output"), x, c, 2))
}

// DiscriminatorLogits is the discriminator's logit that each image of images [batch, h, w, c]
// on [-1, 1] is real.
func DiscriminatorLogits(scope *model.Scope, images *Node) *Node {
	scope = scope.In(gan.DiscriminatorScope)
	batch := images.Shape().Dim(0)
	k := vaekit.Param[int](scope, ParamKernel)
	rate := vaekit.Param[float64](scope, ParamDropout)
	x := images
	for i, filters := range vaekit.Param[[]int](scope, ParamDiscriminatorFilters) {
		layer := scope.In("conv_%d", i)
		x = leaky(scope, vaekit.Conv2D(layer, x, filters, k, 2))
		if rate > 0 {
			x = layers.DropoutStatic(layer, x, rate)
		}
	}
	return Reshape(layers.Dense(scope.In("logit"), Reshape(x, batch, -1), true, 1), -1)
}

// Loss implements vaekit.Model: the real images (mapped to [-1, 1]) and the generated ones go
// through the discriminator as one batch.
func (Model) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	g := images.Graph()
	batch := images.Shape().Dim(0)
	z := scope.RandomNormal(g, shapes.Make(images.DType(), batch, vaekit.LatentDim(scope, DefaultLatentDim)))
	fakes := Generate(scope, z)
	real := AddScalar(MulScalar(images, 2), -1)
	logits := DiscriminatorLogits(scope, Concatenate([]*Node{real, fakes}, 0))
	return gan.AdversarialTerms(Slice(logits, AxisRange(0, batch)), Slice(logits, AxisRange(batch, 2*batch)))
}

// Units implements vaekit.Documented.
func (Model) Units(store *model.Store) string { return gan.Model{}.Units(store) }

// TermAxes implements vaekit.Described.
func (Model) TermAxes(store *model.Store) map[string]history.Axis { return gan.Model{}.TermAxes(store) }

// Size implements vaekit.Sized.
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	h, w, c := shape[0], shape[1], shape[2]
	k := p.Int(ParamKernel, family)
	var s vaekit.Size
	in := c
	for _, f := range p.Ints(ParamDiscriminatorFilters, family) {
		h, w = (h+1)/2, (w+1)/2
		s = s.Add(vaekit.ConvSize(k, in, f, h, w))
		in = f
	}
	s = s.Add(vaekit.DenseSize(h*w*in, 1))
	filters := p.Ints(ParamGeneratorFilters, family)
	n := len(filters) - 1
	gh, gw := shape[0]>>n, shape[1]>>n
	// No biases: the normalization's scale and offset instead.
	cells := int64(gh * gw * filters[0])
	s = s.Add(vaekit.Size{Weights: int64(p.Int(vaekit.ParamLatentDim, family))*cells + 2*cells, Activations: cells})
	for i := 1; i <= n; i++ {
		if i > 1 {
			gh, gw = 2*gh, 2*gw
		}
		s = s.Add(vaekit.ConvSize(k, filters[i-1], filters[i], gh, gw)).Add(vaekit.Size{Weights: int64(filters[i])}) // bias -> scale, offset
	}
	out := vaekit.ConvSize(k, filters[n], c, shape[0], shape[1])
	out.Weights -= int64(c)
	return s.Add(out)
}

func init() {
	own := []string{"dcgan"}
	paramtable.Declare(
		paramtable.Spec{Name: ParamGeneratorFilters, Kind: paramtable.KindInts, Range: paramtable.AtLeast(1), NonEmpty: true,
			Families: own, Default: []int{256, 128, 64},
			Doc: "the generator's first grid depth, then the filters of its transposed convolutions before the output (stride 1, then 2)"},
		paramtable.Spec{Name: ParamDiscriminatorFilters, Kind: paramtable.KindInts, Range: paramtable.AtLeast(1), NonEmpty: true,
			Families: own, Default: []int{64, 128}, Doc: "filters of the discriminator's stride-2 convolutions"},
		paramtable.Spec{Name: ParamKernel, Kind: paramtable.KindInt, Range: paramtable.AtLeast(2), Families: own, Default: 5,
			Doc: "side of every (transposed) convolution's kernel"},
		paramtable.Spec{Name: ParamDropout, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0).Below(1), Families: own,
			Default: 0.3, Doc: "dropout rate after each discriminator convolution"},
	)
	paramtable.DeclareRule(func(p paramtable.Values, family string) error {
		if family != "dcgan" {
			return nil
		}
		if f := p.Ints(ParamGeneratorFilters, family); len(f) < 2 {
			return fmt.Errorf("parameter %s = %v: expected the grid's depth and at least one transposed convolution's filters (two or more values)",
				ParamGeneratorFilters, f)
		}
		return nil
	})
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: []string{vaekit.ParamLatentDim, vaekit.ParamLeakyReluAlpha},
		Defaults: map[string]any{vaekit.ParamLatentDim: DefaultLatentDim}})
}
