package vaekit

import (
	"fmt"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
)

// Parameter keys of the shared blocks, read from the model store.
const (
	// ParamArchitecture selects the encoder and decoder blocks: "mlp" or "conv".
	ParamArchitecture = "architecture"
	// ParamLatentDim is the size of the latent code.
	ParamLatentDim = "latent_dim"
	// ParamImageShape is the [height, width, channels] of the images; set from the data set.
	ParamImageShape = "image_shape"
	// ParamTrainingImages is the number of images a run trains on, set from the data set for
	// the families that read it: a loss that estimates the aggregate posterior q(z) from a
	// batch (the beta-TC-VAE's minibatch-weighted sampling) weighs the batch by it.
	ParamTrainingImages = "training_images"
	// ParamMLPHidden are the hidden widths of the MLP encoder; the decoder mirrors them.
	// Default [512, 256] (the reference MNIST VAE: 784-512-256-20).
	ParamMLPHidden = "mlp_hidden"
	// ParamConvFilters are the filters of the stride-2 3x3 convolutions of the encoder; the
	// decoder mirrors them with transposed convolutions. Default [32, 64] (the reference conv VAE).
	ParamConvFilters = "conv_filters"
	// ParamConvDense is the width of the dense layer after the convolutions (0: none).
	// Default 16 (the reference conv VAE).
	ParamConvDense = "conv_dense"
	// ParamActivation is the hidden activation: "relu" (default), "leaky_relu" or "tanh".
	ParamActivation = "activation"
	// ParamLeakyReluAlpha is the slope of "leaky_relu" below zero (default 0.3, Keras' default;
	// PyTorch's is 0.01).
	ParamLeakyReluAlpha = "leaky_relu_alpha"
	// ParamConvBatchNorm adds batch normalization after every (transposed) convolution of the
	// convolutional blocks, before the activation (default false; the reference CVAE uses it).
	ParamConvBatchNorm = "conv_batchnorm"
	// ParamReconstruction is the reconstruction loss and with it the decoder's output:
	// "bernoulli" (binary cross-entropy from logits, nats per image; images are the sigmoid of
	// the logits), "mse" (squared error summed over pixels, of the sigmoid of the decoder's
	// output) or "mse_linear" (squared error of the decoder's output itself, as in keras-io's
	// vq_vae; images are that output clipped to [0, 1]).
	ParamReconstruction = "reconstruction"
	// ParamNumClasses is the number of classes of a class-conditional model or a classifier
	// (default 10).
	ParamNumClasses = "num_classes"
)

// NumClasses reads ParamNumClasses.
func NumClasses(scope *model.Scope) int {
	k := Param[int](scope, ParamNumClasses)
	mustPositive(ParamNumClasses, k)
	return k
}

// Architectures known to the blocks.
const (
	ArchMLP  = "mlp"
	ArchConv = "conv"
)

// activate applies ParamActivation.
func activate(scope *model.Scope, x *Node) *Node {
	switch a := Param[string](scope, ParamActivation); a {
	case "relu":
		return activation.Relu(x)
	case "leaky_relu":
		return activation.LeakyReluWith(x, Param[float64](scope, ParamLeakyReluAlpha))
	case "tanh":
		return Tanh(x)
	default:
		panic(fmt.Errorf("vaekit: parameter %q = %q: expected \"relu\", \"leaky_relu\" or \"tanh\"", ParamActivation, a))
	}
}

// convActivate applies the optional batch normalization (ParamConvBatchNorm), in its own scope,
// and the activation to the output of a convolution.
func convActivate(scope *model.Scope, x *Node) *Node {
	if Param[bool](scope, ParamConvBatchNorm) {
		x = BatchNorm(scope, x)
	}
	return activate(scope, x)
}

// BatchNorm normalizes x [batch, ..., channels] per channel, in scope "batchnorm" under scope,
// with the variables and averages of GoMLX's norm.BatchNorm (Keras' momentum 0.99 and epsilon
// 1e-3): in inference from the averages; in training from the batch's mean and variance, with
// the gradient through them, as Keras and PyTorch compute it. norm.BatchNorm stops the gradient
// at the batch's statistics, which a GAN's generator cannot learn with (package dcgan).
func BatchNorm(scope *model.Scope, x *Node) *Node {
	bn := scope.In("batchnorm")
	// The pure-Go backend has no fused BatchNormForTraining op: use the graph formulation. It
	// also creates the variables and, in training, updates the averages.
	y := norm.BatchNorm(bn, x, -1).UseBackendInference(false).Done()
	g := x.Graph()
	if !bn.IsTraining(g) {
		return y
	}
	axes := make([]int, x.Rank()-1)
	features := make([]int, x.Rank()) // [1, ..., 1, channels]
	for i := range axes {
		axes[i], features[i] = i, 1
	}
	features[x.Rank()-1] = x.Shape().Dim(-1)
	vars := model.JoinPath(bn.Scope(), "batch_normalization") // norm.BatchNorm's own sub-scope
	scale := Reshape(bn.Store().GetVariable(model.JoinPath(vars, "scale")).NodeValue(g), features...)
	offset := Reshape(bn.Store().GetVariable(model.JoinPath(vars, "offset")).NodeValue(g), features...)
	mean := ReduceAndKeep(x, ReduceMean, axes...)
	centred := Sub(x, mean)
	variance := ReduceAndKeep(Square(centred), ReduceMean, axes...)
	return Add(Mul(Div(centred, Sqrt(AddScalar(variance, batchNormEpsilon))), scale), offset)
}

// batchNormEpsilon is Keras' epsilon, and norm.BatchNorm's default.
const batchNormEpsilon = 1e-3

// ImageShape reads ParamImageShape (default 28x28x1).
func ImageShape(scope *model.Scope) (h, w, c int) {
	s := Param[[]int](scope, ParamImageShape)
	if len(s) != 3 {
		panic(fmt.Errorf("vaekit: parameter %q = %v: expected [height, width, channels]", ParamImageShape, s))
	}
	return s[0], s[1], s[2]
}

// LatentDim reads ParamLatentDim.
func LatentDim(scope *model.Scope, def int) int {
	d := model.GetParamOr(scope, ParamLatentDim, def)
	mustPositive(ParamLatentDim, d)
	return d
}

// EncoderFeatures is the shared encoder body: images [batch, h, w, c] (and an optional
// condition [batch, k], for example a one-hot class) to features [batch, f], in scope "encoder".
// The MLP takes the flattened image with the condition appended; the convolutional encoder
// takes the condition as k extra constant input channels.
func EncoderFeatures(scope *model.Scope, images, cond *Node) *Node {
	scope = scope.In("encoder")
	batch := images.Shape().Dim(0)
	switch arch := Param[string](scope, ParamArchitecture); arch {
	case ArchMLP:
		x := Reshape(images, batch, -1)
		if cond != nil {
			x = Concatenate([]*Node{x, ConvertDType(cond, x.DType())}, -1)
		}
		for i, width := range Param[[]int](scope, ParamMLPHidden) {
			mustPositive(ParamMLPHidden, width)
			x = activate(scope, layers.Dense(scope.In("hidden_%d", i), x, true, width))
		}
		return x
	case ArchConv:
		x := images
		if cond != nil {
			h, w := images.Shape().Dim(1), images.Shape().Dim(2)
			k := cond.Shape().Dim(1)
			planes := BroadcastToDims(Reshape(ConvertDType(cond, x.DType()), batch, 1, 1, k), batch, h, w, k)
			x = Concatenate([]*Node{x, planes}, -1)
		}
		for i, filters := range Param[[]int](scope, ParamConvFilters) {
			mustPositive(ParamConvFilters, filters)
			layer := scope.In("conv_%d", i)
			x = convActivate(layer, Conv2D(layer, x, filters, 3, 2))
		}
		x = Reshape(x, batch, -1)
		if width := Param[int](scope, ParamConvDense); width > 0 {
			x = activate(scope, layers.Dense(scope.In("dense_features"), x, true, width))
		}
		return x
	default:
		panic(fmt.Errorf("vaekit: parameter %q = %q: expected %q or %q", ParamArchitecture, arch, ArchMLP, ArchConv))
	}
}

// DecoderLogits is the shared decoder: latent z [batch, d] (with an optional condition
// [batch, k] appended) to pixel logits [batch, h, w, c], in scope "decoder". It mirrors
// EncoderFeatures: MLP widths reversed; or a dense layer to (h/2^n) x (w/2^n) x filters,
// n stride-2 transposed convolutions, and a 3x3 convolution to c channels.
func DecoderLogits(scope *model.Scope, z, cond *Node) *Node {
	scope = scope.In("decoder")
	batch := z.Shape().Dim(0)
	h, w, c := ImageShape(scope)
	x := z
	if cond != nil {
		x = Concatenate([]*Node{x, ConvertDType(cond, x.DType())}, -1)
	}
	switch arch := Param[string](scope, ParamArchitecture); arch {
	case ArchMLP:
		hidden := Param[[]int](scope, ParamMLPHidden)
		for i := len(hidden) - 1; i >= 0; i-- {
			x = activate(scope, layers.Dense(scope.In("hidden_%d", i), x, true, hidden[i]))
		}
		return Reshape(layers.Dense(scope.In("output"), x, true, h*w*c), batch, h, w, c)
	case ArchConv:
		filters := Param[[]int](scope, ParamConvFilters)
		n := len(filters)
		scale := 1 << n
		if h%scale != 0 || w%scale != 0 {
			panic(fmt.Errorf("vaekit: image %dx%d is not divisible by 2^%d for %d stride-2 layers (%q = %v)",
				h, w, n, n, ParamConvFilters, filters))
		}
		top := filters[n-1]
		x = activate(scope, layers.Dense(scope.In("dense_grid"), x, true, (h/scale)*(w/scale)*top))
		x = Reshape(x, batch, h/scale, w/scale, top)
		for i := n - 1; i >= 0; i-- {
			layer := scope.In("deconv_%d", i)
			x = convActivate(layer, ConvTranspose2D(layer, x, filters[i], 3, 2))
		}
		return Conv2D(scope.In("output"), x, c, 3, 1)
	default:
		panic(fmt.Errorf("vaekit: parameter %q = %q: expected %q or %q", ParamArchitecture, arch, ArchMLP, ArchConv))
	}
}

// Reconstructions Fit and the figures know (ParamReconstruction).
var Reconstructions = []string{"bernoulli", "mse", "mse_linear"}

// ReconstructionLoss applies ParamReconstruction to the decoder's output and the target
// images, per example.
func ReconstructionLoss(scope *model.Scope, logits, targets *Node) *Node {
	switch kind := reconstruction(scope); kind {
	case "bernoulli":
		return BernoulliNLL(logits, targets)
	case "mse":
		return SquaredError(Sigmoid(logits), targets)
	default: // "mse_linear"
		return SquaredError(logits, targets)
	}
}

// DecodedImages turns the decoder's output into images with pixels in [0, 1], as
// ParamReconstruction says: the sigmoid of logits, or a linear output clipped.
func DecodedImages(scope *model.Scope, logits *Node) *Node {
	if reconstruction(scope) == "mse_linear" {
		return ClipScalar(logits, 0, 1)
	}
	return Sigmoid(logits)
}

// reconstruction reads ParamReconstruction, panicking on a value that is not one of
// Reconstructions (the panic becomes Fit's error).
func reconstruction(scope *model.Scope) string {
	kind := Param[string](scope, ParamReconstruction)
	if !slices.Contains(Reconstructions, kind) {
		panic(fmt.Errorf("vaekit: parameter %q = %q: expected one of %v", ParamReconstruction, kind, Reconstructions))
	}
	return kind
}
