// Package vqvae is the vector-quantised VAE (van den Oord, Vinyals and Kavukcuoglu 2017,
// "Neural Discrete Representation Learning", https://arxiv.org/abs/1711.00937).
//
// The encoder maps an image to a grid of vectors (7x7xd for 28x28 images); Quantize replaces
// each by its nearest code in a learned codebook of K vectors; the decoder rebuilds the image
// from the quantised grid. Gradients pass the quantisation unchanged (straight-through). Loss
// terms, per image:
//
//	loss           = reconstruction + codebook + beta * commitment
//	reconstruction = under vaekit.ParamReconstruction (Bernoulli NLL or squared error)
//	codebook       = ||sg[z] - e||^2, summed over the grid (moves the codes towards the encoder)
//	commitment     = ||z - sg[e]||^2, summed over the grid (keeps the encoder near its codes)
package vqvae

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
)

// Parameter keys of the VQ-VAE (the convolution filters come from vaekit.ParamConvFilters).
const (
	// ParamNumCodes is the number of codebook vectors K (default 128).
	ParamNumCodes = "vq_num_codes"
	// ParamCodeDim is the size d of each code and of the encoder's output vectors (default 16).
	ParamCodeDim = "vq_code_dim"
	// ParamBeta weighs the commitment term (default 0.25).
	ParamBeta = "vq_beta"
)

// Model is the VQ-VAE. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "vqvae" }

func sizes(scope *model.Scope) (numCodes, codeDim int) {
	numCodes = model.GetParamOr(scope, ParamNumCodes, 128)
	codeDim = model.GetParamOr(scope, ParamCodeDim, 16)
	if numCodes <= 0 || codeDim <= 0 {
		panic(fmt.Sprintf("vqvae: parameters %q = %d and %q = %d: expected positive sizes", ParamNumCodes, numCodes, ParamCodeDim, codeDim))
	}
	return numCodes, codeDim
}

// Encode maps images [batch, h, w, c] to the grid of encoder vectors [batch, h/2^n, w/2^n, d]:
// n stride-2 3x3 convolutions with ReLU, then a 1x1 convolution to d channels.
func Encode(scope *model.Scope, images *Node) *Node {
	scope = scope.In("encoder")
	x := images
	for i, filters := range model.GetParamOr(scope, vaekit.ParamConvFilters, []int{32, 64}) {
		x = activation.Relu(vaekit.Conv2D(scope.In("conv_%d", i), x, filters, 3, 2))
	}
	_, d := sizes(scope)
	return vaekit.Conv2D(scope.In("to_code"), x, d, 1, 1)
}

// DecodeLogits maps a quantised grid [batch, gh, gw, d] to pixel logits [batch, h, w, c]: the
// encoder's convolutions mirrored as stride-2 transposed convolutions, then a 3x3 convolution.
func DecodeLogits(scope *model.Scope, grid *Node) *Node {
	scope = scope.In("decoder")
	_, _, c := vaekit.ImageShape(scope)
	filters := model.GetParamOr(scope, vaekit.ParamConvFilters, []int{32, 64})
	x := grid
	for i := len(filters) - 1; i >= 0; i-- {
		x = activation.Relu(vaekit.ConvTranspose2D(scope.In("deconv_%d", i), x, filters[i], 3, 2))
	}
	return vaekit.Conv2D(scope.In("output"), x, c, 3, 1)
}

// Codebook returns the codebook variable's value [K, d].
func Codebook(scope *model.Scope, g *Graph) *Node {
	k, d := sizes(scope)
	return scope.In("quantizer").VariableWithShape("codebook", shapes.Make(dtypes.Float32, k, d)).NodeValue(g)
}

// Nearest returns, for every vector of z [..., d], the index of the nearest row of codebook
// [K, d] by squared Euclidean distance, computed as ||z||^2 + ||e||^2 - 2 z.e with one matrix
// product; the result has z's shape without its last axis (int32).
func Nearest(z, codebook *Node) *Node {
	d := z.Shape().Dim(-1)
	outer := z.Shape().Dimensions[:z.Rank()-1]
	flat := Reshape(z, -1, d)
	zz := InsertAxes(ReduceSum(Square(flat), -1), -1)    // [n, 1]
	ee := InsertAxes(ReduceSum(Square(codebook), -1), 0) // [1, K]
	dist := Sub(Add(zz, ee), MulScalar(MatMul(flat, Transpose(codebook, 0, 1)), 2))
	return Reshape(ArgMin(dist, -1), outer...)
}

// Quantized is what Quantize computes.
type Quantized struct {
	Codes   *Node // nearest code index per grid position, int32 [batch, gh, gw]
	Nearest *Node // the nearest codes themselves, e [batch, gh, gw, d]
	Values  *Node // the quantised grid with the straight-through gradient: z + sg(e - z)
}

// Quantize replaces every vector of the encoder grid z [batch, gh, gw, d] by its nearest code.
// The forward value is the code e; the gradient reaches z as if quantisation were the identity
// (straight-through estimator), since sg(e - z) has no gradient.
func Quantize(scope *model.Scope, z *Node) Quantized {
	codebook := Codebook(scope, z.Graph())
	codes := Nearest(z, codebook)
	e := Gather(codebook, InsertAxes(codes, -1))
	return Quantized{Codes: codes, Nearest: e, Values: Add(z, StopGradient(Sub(e, z)))}
}

// Losses returns, per image, the codebook term ||sg[z] - e||^2 and the commitment term
// ||z - sg[e]||^2, each summed over the grid and the code dimensions.
func Losses(z, e *Node) (codebook, commitment *Node) {
	perImage := func(x *Node) *Node { return ReduceSum(Square(x), 1, 2, 3) }
	return perImage(Sub(StopGradient(z), e)), perImage(Sub(z, StopGradient(e)))
}

// Loss implements vaekit.Model.
func (Model) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	z := Encode(scope, images)
	q := Quantize(scope, z)
	reconstruction := vaekit.ReconstructionLoss(scope, DecodeLogits(scope, q.Values), images)
	codebook, commitment := Losses(z, q.Nearest)
	beta := model.GetParamOr(scope, ParamBeta, 0.25)
	return vaekit.Terms{
		{Name: "loss", Value: Add(Add(reconstruction, codebook), MulScalar(commitment, beta))},
		{Name: "reconstruction", Value: reconstruction},
		{Name: "codebook", Value: codebook},
		{Name: "commitment", Value: commitment},
	}
}

// Reconstruct implements vaekit.Reconstructor: the decoded quantised grid.
func (Model) Reconstruct(scope *model.Scope, images, _ *Node) *Node {
	q := Quantize(scope, Encode(scope, images))
	return Sigmoid(DecodeLogits(scope, q.Values))
}
