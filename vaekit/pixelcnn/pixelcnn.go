// Package pixelcnn is a learned prior over the code grids of a VQ-VAE: an autoregressive
// PixelCNN (van den Oord, Kalchbrenner and Kavukcuoglu 2016, "Pixel Recurrent Neural Networks",
// https://arxiv.org/abs/1601.06759) that models p(codes) = prod_i p(code_i | codes before i) in
// raster order, optionally conditioned on the class (van den Oord et al. 2016, "Conditional
// Image Generation with PixelCNN Decoders": a learned per-class bias on every layer).
//
// The model trains through vaekit's one training loop on a code set (vqvae.CodeSet): its
// "images" are gh x gw grids of code indices. Loss terms, per grid:
//
//	loss = -log p(codes) in nats, the sum over the grid of the cross-entropy of each position
//
// Causality comes from masked convolutions: the first layer (mask "A") sees only the positions
// strictly before the current one, the later layers (mask "B") also the current position of
// their input, which itself only saw earlier codes. Sample draws grids position by position.
package pixelcnn

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// Parameter keys of the code prior (the number of codes is vqvae.ParamNumCodes, the number of
// classes vaekit.ParamNumClasses, the grid size vaekit.ParamImageShape).
const (
	// ParamFilters is the width of the network (default 64).
	ParamFilters = "pixelcnn_filters"
	// ParamFirstKernel is the kernel size of the first, mask-A convolution (default 7, odd).
	ParamFirstKernel = "pixelcnn_first_kernel"
	// ParamResidualBlocks is the number of residual blocks with a 3x3 mask-B convolution (default 2).
	ParamResidualBlocks = "pixelcnn_residual_blocks"
	// ParamConditional makes the prior class-conditional (default false).
	ParamConditional = "pixelcnn_conditional"
)

// Model is the PixelCNN code prior. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "pixelcnn" }

// PriorOverCodes implements vaekit.CodePrior: the PixelCNN trains on code grids.
func (Model) PriorOverCodes() {}

// Mask kinds of a masked convolution.
const (
	MaskA = "A" // sees the positions strictly before the centre
	MaskB = "B" // also sees the centre
)

// KernelMask returns the k x k mask of a masked convolution in raster order: 1 on the rows
// above the centre and, on the centre row, left of the centre (and at the centre for mask B).
func KernelMask(k int, kind string) [][]float32 {
	c := k / 2
	mask := make([][]float32, k)
	for i := range mask {
		mask[i] = make([]float32, k)
		for j := range mask[i] {
			if i < c || (i == c && (j < c || (j == c && kind == MaskB))) {
				mask[i][j] = 1
			}
		}
	}
	return mask
}

// MaskedConv2D is a stride-1 "same" convolution layer whose k x k kernel is multiplied by the
// mask of KernelMask, with a bias; its variables are "weights" and "biases" in scope. The rows
// below the centre, all zero in the mask, are never stored: the weights are the top k/2+1 rows
// [k/2+1, k, in, filters], and the input is padded by k/2 rows above and none below. Of those
// rows only the taps the mask keeps are computed (vaekit.Conv2DTapsPadded), so a layer costs
// (k*k/2 rounded down, plus 1 for mask B) taps of a full k x k convolution's k*k, and its
// output rows depend only on the input rows at or above them.
func MaskedConv2D(scope *model.Scope, x *Node, filters, kernelSize int, kind string) *Node {
	if kernelSize <= 0 || kernelSize%2 == 0 {
		panic(fmt.Errorf("pixelcnn: masked convolution of size %d: expected a positive odd size", kernelSize))
	}
	g := x.Graph()
	in := x.Shape().Dim(-1)
	c := kernelSize / 2
	weights := scope.VariableWithShape("weights", shapes.Make(x.DType(), c+1, kernelSize, in, filters)).NodeValue(g)
	bias := scope.VariableWithShape("biases", shapes.Make(x.DType(), filters)).NodeValue(g)
	var taps [][2]int // the taps the mask keeps: only those are computed
	for i, row := range KernelMask(kernelSize, kind)[:c+1] {
		for j, keep := range row {
			if keep != 0 {
				taps = append(taps, [2]int{i, j})
			}
		}
	}
	y := vaekit.Conv2DTapsPadded(x, weights, taps, 1, c, 0, c, c)
	return Add(y, Reshape(bias, 1, 1, 1, filters))
}

type config struct {
	numCodes, filters, firstKernel, blocks, numClasses int
	conditional                                        bool
}

func readConfig(scope *model.Scope) config {
	c := config{
		numCodes:    vaekit.Param[int](scope, vqvae.ParamNumCodes),
		filters:     vaekit.Param[int](scope, ParamFilters),
		firstKernel: vaekit.Param[int](scope, ParamFirstKernel),
		blocks:      vaekit.Param[int](scope, ParamResidualBlocks),
		numClasses:  vaekit.NumClasses(scope),
		conditional: vaekit.Param[bool](scope, ParamConditional),
	}
	for _, p := range []struct {
		key string
		v   int
	}{{vqvae.ParamNumCodes, c.numCodes}, {ParamFilters, c.filters}, {ParamFirstKernel, c.firstKernel}} {
		if p.v <= 0 {
			panic(fmt.Errorf("pixelcnn: parameter %q = %d: expected a positive size", p.key, p.v))
		}
	}
	if c.blocks < 0 {
		panic(fmt.Errorf("pixelcnn: parameter %q = %d: expected 0 or more blocks", ParamResidualBlocks, c.blocks))
	}
	return c
}

// Logits returns, for code grids codes [batch, gh, gw] (int32) and labels [batch] (ignored unless
// the prior is conditional), the logits [batch, gh, gw, K] of every position's code given the
// codes before it in raster order.
func Logits(scope *model.Scope, codes, labels *Node) *Node {
	c := readConfig(scope)
	g := codes.Graph()
	f := c.filters
	embedding := scope.In("embedding").VariableWithShape("codes", shapes.Make(dtypes.Float32, c.numCodes, f)).NodeValue(g)
	x := Gather(embedding, InsertAxes(codes, -1)) // [batch, gh, gw, f]
	// The class bias, added after every masked convolution: constant over the grid, so it
	// leaves the masks' causality intact.
	classBias := func(scope *model.Scope, width int) *Node {
		if !c.conditional {
			return nil
		}
		table := scope.VariableWithShape("class_bias", shapes.Make(dtypes.Float32, c.numClasses, width)).NodeValue(g)
		return Reshape(Gather(table, InsertAxes(labels, -1)), -1, 1, 1, width)
	}
	withClass := func(scope *model.Scope, x *Node) *Node {
		if b := classBias(scope, x.Shape().Dim(-1)); b != nil {
			return Add(x, b)
		}
		return x
	}
	s := scope.In("first")
	x = activation.Relu(withClass(s, MaskedConv2D(s, x, f, c.firstKernel, MaskA)))
	for i := range c.blocks {
		s := scope.In("block_%d", i)
		y := activation.Relu(vaekit.Conv2D(s.In("reduce"), x, f/2, 1, 1))
		y = activation.Relu(withClass(s, MaskedConv2D(s.In("masked"), y, max(f/2, 1), 3, MaskB)))
		y = vaekit.Conv2D(s.In("expand"), y, f, 1, 1)
		x = activation.Relu(Add(x, y))
	}
	x = activation.Relu(vaekit.Conv2D(scope.In("head"), x, f, 1, 1))
	return vaekit.Conv2D(scope.In("logits"), x, c.numCodes, 1, 1)
}

// gridCodes turns a batch of code "images" [batch, gh, gw, 1] (float32 code indices) into int32
// codes [batch, gh, gw].
func gridCodes(images *Node) *Node {
	dims := images.Shape().Dimensions
	return ConvertDType(Reshape(images, dims[0], dims[1], dims[2]), dtypes.Int32)
}

// NLL returns -log p(codes) per grid in nats for logits [batch, gh, gw, K] and codes [batch, gh, gw].
func NLL(logits, codes *Node) *Node {
	logp := LogSoftmax(logits, -1)
	picked := ReduceSum(Mul(logp, OneHot(codes, logits.Shape().Dim(-1), logp.DType())), -1) // log p(code_i | before)
	return Neg(ReduceSum(picked, 1, 2))
}

// Loss implements vaekit.Model: images are code grids (see vqvae.CodeSet).
func (Model) Loss(scope *model.Scope, images, labels *Node) vaekit.Terms {
	codes := gridCodes(images)
	nll := NLL(Logits(scope, codes, labels), codes)
	return vaekit.Terms{{Name: "loss", Value: nll}}
}

// TermAxes implements vaekit.Described: the negative log-likelihood of a code grid.
func (Model) TermAxes(*model.Store) map[string]history.Axis {
	return map[string]history.Axis{"loss": {Unit: "nats per code grid"}}
}

func init() {
	p := []string{"pixelcnn"}
	paramtable.Declare(
		paramtable.Spec{Name: ParamFilters, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Families: p, Default: 64, Doc: "width of the network"},
		paramtable.Spec{Name: ParamFirstKernel, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Families: p, Default: 7, Doc: "kernel size of the first, mask-A convolution (odd)"},
		paramtable.Spec{Name: ParamResidualBlocks, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Families: p, Default: 2, Doc: "residual blocks with a 3x3 mask-B convolution"},
		paramtable.Spec{Name: ParamConditional, Kind: paramtable.KindBool, Families: p, Default: false, Doc: "a class-conditional prior"},
	)
	paramtable.DeclareRule(func(params paramtable.Values, family string) error {
		if k, ok := params.Get(ParamFirstKernel, family); ok && family == "pixelcnn" && k.(int)%2 == 0 {
			return fmt.Errorf("parameter %s = %d: expected an odd kernel size", ParamFirstKernel, k)
		}
		return nil
	})
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: []string{vaekit.ParamNumClasses}})
}
