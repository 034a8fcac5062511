// Package vqvae is the vector-quantised VAE (van den Oord, Vinyals and Kavukcuoglu 2017,
// "Neural Discrete Representation Learning", https://arxiv.org/abs/1711.00937).
//
// The encoder maps an image to a grid of vectors (7x7xd for 28x28 images); Quantize replaces
// each by its nearest code in a learned codebook of K vectors; the decoder rebuilds the image
// from the quantised grid. Gradients pass the quantisation unchanged (straight-through). Loss
// terms, per image:
//
//	loss           = w * reconstruction + codebook + beta * commitment (no codebook under "ema")
//	reconstruction = under vaekit.ParamReconstruction (Bernoulli NLL or squared error)
//	w              = ParamReconstructionWeight (default 1)
//	codebook       = ||sg[z] - e||^2, summed over the grid (moves the codes towards the encoder)
//	commitment     = ||z - sg[e]||^2, summed over the grid (keeps the encoder near its codes)
package vqvae

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Parameter keys of the VQ-VAE (the convolution filters come from vaekit.ParamConvFilters).
const (
	// ParamNumCodes is the number of codebook vectors K (default 128).
	ParamNumCodes = "vq_num_codes"
	// ParamCodeDim is the size d of each code and of the encoder's output vectors (default 16).
	ParamCodeDim = "vq_code_dim"
	// ParamBeta weighs the commitment term (default 0.25).
	ParamBeta = "vq_beta"
	// ParamCodebookUpdate is how the codes learn: "loss" (default: the codebook term of the loss,
	// through the optimizer) or "ema" (exponential moving averages of the encoder vectors
	// assigned to each code, van den Oord et al. 2017, appendix A.1; the codebook term is then
	// still reported but left out of the loss).
	ParamCodebookUpdate = "vq_codebook_update"
	// ParamEMADecay is the decay gamma of the moving averages (default 0.99).
	ParamEMADecay = "vq_ema_decay"
	// ParamReseedAfter, if > 0, re-seeds every code that was nobody's nearest code for that many
	// training steps with an encoder vector of the current batch (needs "ema": with "loss" the
	// optimizer owns the codebook). Default 0: never.
	ParamReseedAfter = "vq_reseed_after"
	// ParamReconstructionWeight weighs the reconstruction term in the loss (default 1; the
	// reported reconstruction term is not weighted). keras-io's vq_vae divides its mean squared
	// error by the training set's pixel variance, and averages the codebook and commitment terms
	// over its 7x7x16 = 784 latent values, as many as the pixels: its loss is this one with w =
	// 1/variance, divided by 784.
	ParamReconstructionWeight = "vq_reconstruction_weight"
	// ParamCodebookInitScale, if > 0, initializes the codebook uniformly in [-s, s] (keras-io's
	// vq_vae: tf.random_uniform_initializer(), s = 0.05) instead of with the store's initializer
	// (training.ParamInitializer). Default 0.
	ParamCodebookInitScale = "vq_codebook_init_scale"
)

// Codebook update modes.
const (
	UpdateLoss = "loss"
	UpdateEMA  = "ema"
)

// Model is the VQ-VAE. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "vqvae" }

func sizes(scope *model.Scope) (numCodes, codeDim int) {
	numCodes = vaekit.Param[int](scope, ParamNumCodes)
	codeDim = vaekit.Param[int](scope, ParamCodeDim)
	if numCodes <= 0 || codeDim <= 0 {
		panic(fmt.Errorf("vqvae: parameters %q = %d and %q = %d: expected positive sizes", ParamNumCodes, numCodes, ParamCodeDim, codeDim))
	}
	return numCodes, codeDim
}

// Encode maps images [batch, h, w, c] to the grid of encoder vectors [batch, h/2^n, w/2^n, d]:
// n stride-2 3x3 convolutions with ReLU, then a 1x1 convolution to d channels.
func Encode(scope *model.Scope, images *Node) *Node {
	scope = scope.In("encoder")
	x := images
	for i, filters := range vaekit.Param[[]int](scope, vaekit.ParamConvFilters) {
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
	filters := vaekit.Param[[]int](scope, vaekit.ParamConvFilters)
	x := grid
	for i := len(filters) - 1; i >= 0; i-- {
		x = activation.Relu(vaekit.ConvTranspose2D(scope.In("deconv_%d", i), x, filters[i], 3, 2))
	}
	return vaekit.Conv2D(scope.In("output"), x, c, 3, 1)
}

// Codebook returns the codebook variable's value [K, d]. The quantizer's scope is entered with
// At, since the loss, the quantization and the moving-average update all reach it in one graph.
func Codebook(scope *model.Scope, g *Graph) *Node {
	return codebookVariable(scope).NodeValue(g)
}

// codebookVariable is the codebook [K, d], created as ParamCodebookInitScale says.
func codebookVariable(scope *model.Scope) *model.Variable {
	k, d := sizes(scope)
	q := scope.At("quantizer")
	if s := vaekit.Param[float64](scope, ParamCodebookInitScale); s > 0 {
		q = q.WithInitializer(initializer.RandomUniformFn(q, -s, s))
	} else if s < 0 || math.IsNaN(s) {
		panic(fmt.Errorf("vqvae: parameter %q = %g: expected 0 (the store's initializer) or a positive scale", ParamCodebookInitScale, s))
	}
	return q.VariableWithShape("codebook", shapes.Make(dtypes.Float32, k, d))
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

// updateMode reads ParamCodebookUpdate and checks ParamReseedAfter against it.
func updateMode(scope *model.Scope) (mode string, reseedAfter int) {
	mode = vaekit.Param[string](scope, ParamCodebookUpdate)
	reseedAfter = vaekit.Param[int](scope, ParamReseedAfter)
	if mode != UpdateLoss && mode != UpdateEMA {
		panic(fmt.Errorf("vqvae: parameter %q = %q: expected %q or %q", ParamCodebookUpdate, mode, UpdateLoss, UpdateEMA))
	}
	if reseedAfter < 0 || (reseedAfter > 0 && mode != UpdateEMA) {
		panic(fmt.Errorf("vqvae: parameter %q = %d: expected 0, or a positive number of steps with %q = %q", ParamReseedAfter, reseedAfter, ParamCodebookUpdate, UpdateEMA))
	}
	return mode, reseedAfter
}

// emaUpdate sets the new values of the codebook and its statistics after a training batch:
// z [n, d] the encoder vectors (no gradient), codes [n] their nearest codes. For each code k
// with n_k assigned vectors summing to s_k, with the moving count N_k (starting at 1) and sum
// M_k = N_k e_k:
//
//	N_k <- gamma N_k + (1 - gamma) n_k,   M_k <- gamma M_k + (1 - gamma) s_k,   e_k <- M_k / N_k
//
// A code assigned nothing keeps its value (M_k / N_k is unchanged). With reseedAfter > 0, a code
// unassigned for that many steps takes the value of one of the batch's vectors and N_k = 1.
func emaUpdate(scope *model.Scope, z, codes *Node, reseedAfter int) {
	g := z.Graph()
	q := scope.At("quantizer")
	k, d := sizes(scope)
	gamma := vaekit.Param[float64](scope, ParamEMADecay)
	if !(gamma > 0 && gamma < 1) {
		panic(fmt.Errorf("vqvae: parameter %q = %g: expected a decay in (0, 1)", ParamEMADecay, gamma))
	}
	codebookVar := codebookVariable(scope)
	countVar := q.VariableWithValue("ema_count", ones(k)).SetTrainable(false)
	e, count := codebookVar.NodeValue(g), countVar.NodeValue(g)
	oneHot := OneHot(codes, k, dtypes.Float32)               // [n, K]
	assigned := ReduceSum(oneHot, 0)                         // n_k [K]
	sums := MatMul(Transpose(oneHot, 0, 1), StopGradient(z)) // s_k [K, d]
	newCount := Add(MulScalar(count, gamma), MulScalar(assigned, 1-gamma))
	moments := Add(MulScalar(Mul(e, InsertAxes(count, -1)), gamma), MulScalar(sums, 1-gamma))
	used := GreaterThan(assigned, ZerosLike(assigned))
	usedRows := BroadcastToDims(InsertAxes(used, -1), k, d)
	// Divide only where a code was used: elsewhere M_k / N_k is e_k, and N_k may underflow.
	safeCount := Where(used, newCount, OnesLike(newCount))
	newE := Where(usedRows, Div(moments, InsertAxes(safeCount, -1)), e)
	if reseedAfter > 0 {
		idleVar := q.VariableWithValue("idle_steps", make([]float32, k)).SetTrainable(false)
		idle := Where(used, ZerosLike(assigned), AddScalar(idleVar.NodeValue(g), 1))
		dead := GreaterOrEqual(idle, Scalar(g, dtypes.Float32, float64(reseedAfter)))
		n := z.Shape().Dim(0)
		picks := make([]int32, k) // spread over the batch, which is reshuffled every step
		for i := range picks {
			picks[i] = int32((i * 7919) % n)
		}
		fresh := Gather(StopGradient(z), InsertAxes(Const(g, picks), -1)) // [K, d]
		newE = Where(BroadcastToDims(InsertAxes(dead, -1), k, d), fresh, newE)
		newCount = Where(dead, OnesLike(newCount), newCount)
		idleVar.SetNodeValue(Where(dead, ZerosLike(idle), idle))
	}
	codebookVar.SetNodeValue(newE)
	countVar.SetNodeValue(newCount)
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// Loss implements vaekit.Model.
func (Model) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	mode, reseedAfter := updateMode(scope)
	if mode == UpdateEMA {
		// The moving averages own the codebook: the optimizer must not update it.
		codebookVariable(scope).SetTrainable(false)
	}
	z := Encode(scope, images)
	q := Quantize(scope, z)
	reconstruction := vaekit.ReconstructionLoss(scope, DecodeLogits(scope, q.Values), images)
	codebook, commitment := Losses(z, q.Nearest)
	beta := vaekit.Param[float64](scope, ParamBeta)
	weight := vaekit.Param[float64](scope, ParamReconstructionWeight)
	if !(weight > 0) || math.IsInf(weight, 1) {
		panic(fmt.Errorf("vqvae: parameter %q = %g: expected a positive finite weight", ParamReconstructionWeight, weight))
	}
	loss := MulScalar(reconstruction, weight)
	if mode == UpdateLoss {
		loss = Add(loss, codebook)
	}
	loss = Add(loss, MulScalar(commitment, beta))
	if mode == UpdateEMA && scope.IsTraining(z.Graph()) {
		d := z.Shape().Dim(-1)
		emaUpdate(scope, Reshape(z, -1, d), Reshape(q.Codes, -1), reseedAfter)
	}
	return vaekit.Terms{
		{Name: "loss", Value: loss},
		{Name: "reconstruction", Value: reconstruction},
		{Name: "codebook", Value: codebook},
		{Name: "commitment", Value: commitment},
	}
}

// Reconstruct implements vaekit.Reconstructor: the decoded quantised grid.
func (Model) Reconstruct(scope *model.Scope, images, _ *Node) *Node {
	q := Quantize(scope, Encode(scope, images))
	return vaekit.DecodedImages(scope, DecodeLogits(scope, q.Values))
}

func init() {
	vq := []string{"vqvae"}
	paramtable.Declare(
		paramtable.Spec{Name: ParamNumCodes, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Families: []string{"vqvae", "pixelcnn"}, Default: 128,
			Doc: "codebook size K"},
		paramtable.Spec{Name: ParamCodeDim, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Families: vq, Default: 16, Doc: "size of each code"},
		paramtable.Spec{Name: ParamBeta, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: vq, Default: 0.25, Doc: "weight of the commitment term"},
		paramtable.Spec{Name: ParamCodebookUpdate, Kind: paramtable.KindChoice, Choices: []string{UpdateLoss, UpdateEMA}, Families: vq, Default: UpdateLoss,
			Doc: "how the codes learn: loss (the codebook term) or ema (moving averages)"},
		paramtable.Spec{Name: ParamEMADecay, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0).Below(1), Families: vq, Default: 0.99, Doc: "decay of the ema codebook update"},
		paramtable.Spec{Name: ParamReseedAfter, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Families: vq, Default: 0,
			Doc: "re-seed a code unused for that many steps (0: never; needs ema)"},
		paramtable.Spec{Name: ParamReconstructionWeight, Kind: paramtable.KindFloat, Range: paramtable.Above(0), Families: vq, Default: 1.0,
			Doc: "weight of the reconstruction term in the loss (keras-io: 1 / pixel variance)"},
		paramtable.Spec{Name: ParamCodebookInitScale, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: vq, Default: 0.0,
			Doc: "initialize the codebook uniformly in [-s, s] (0: the store's initializer)"},
	)
	paramtable.DeclareRule(func(p paramtable.Values, family string) error {
		if !paramtable.Reads(family, ParamReseedAfter) {
			return nil
		}
		mode, _ := p.Get(ParamCodebookUpdate, family)
		after, _ := p.Get(ParamReseedAfter, family)
		if after.(int) > 0 && mode != UpdateEMA {
			return fmt.Errorf("parameter %s = %d needs %s = %s (with %q the optimizer owns the codebook)", ParamReseedAfter, after, ParamCodebookUpdate, UpdateEMA, mode)
		}
		return nil
	})
	vaekit.RegisterFamily(vaekit.Family{Model: Model{}, Reads: []string{vaekit.ParamConvFilters, vaekit.ParamActivation,
		vaekit.ParamLeakyReluAlpha, vaekit.ParamConvBatchNorm, vaekit.ParamReconstruction}})
}

// CodeGrid implements vaekit.Quantizer: the nearest code of every encoder output vector.
func (Model) CodeGrid(scope *model.Scope, images *Node) *Node {
	return Quantize(scope, Encode(scope, images)).Codes
}

// DecodeGrid implements vaekit.Quantizer: the decoded images of grids of code indices.
func (Model) DecodeGrid(scope *model.Scope, codes *Node) *Node {
	e := Gather(Codebook(scope, codes.Graph()), InsertAxes(codes, -1))
	return vaekit.DecodedImages(scope, DecodeLogits(scope, e))
}

// NumCodes implements vaekit.Quantizer.
func (Model) NumCodes(store *model.Store) int { return numCodes(store) }

// Units implements vaekit.Documented.
func (Model) Units(store *model.Store) string {
	weight := ""
	if w := vaekit.Param[float64](store.RootScope(), ParamReconstructionWeight); w != 1 {
		weight = fmt.Sprintf(" (weighed by %.6g in the loss)", w)
	}
	return "per image: reconstruction is " + vaekit.ReconstructionUnits(store) + weight + "; codebook and commitment are squared distances summed over the code grid"
}

// TermAxes implements vaekit.Described. The terms fall by decades over the first epochs, so
// every axis is logarithmic; codebook and commitment are the same distance.
func (Model) TermAxes(store *model.Store) map[string]history.Axis {
	reconstruction := vaekit.ReconstructionAxis(store)
	reconstruction.Log = true
	return map[string]history.Axis{
		"loss":           {Unit: "per image (weighted sum)", Log: true},
		"reconstruction": reconstruction,
		"codebook":       {Unit: "squared distance per code grid", Log: true},
		"commitment": {Unit: "squared distance per code grid", Log: true, SameAs: "codebook",
			Why: "both are ||z - e||² summed over the grid; they differ only in where the gradient goes"},
	}
}

// Size implements vaekit.Sized: the encoder's convolutions and its 1 x 1 layer to the codes, the
// codebook, and the decoder's transposed convolutions and output layer.
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	filters, k, d := p.Ints(vaekit.ParamConvFilters, family), p.Int(ParamNumCodes, family), p.Int(ParamCodeDim, family)
	s, _ := vaekit.ConvStackSize(shape, filters, false)
	gh, gw := shape[0]>>len(filters), shape[1]>>len(filters)
	s = s.Add(vaekit.ConvSize(1, filters[len(filters)-1], d, gh, gw))
	s.Weights += int64(k) * int64(d)
	cin := d
	for i := len(filters) - 1; i >= 0; i-- {
		gh, gw = 2*gh, 2*gw
		s = s.Add(vaekit.ConvSize(3, cin, filters[i], gh, gw))
		cin = filters[i]
	}
	return s.Add(vaekit.ConvSize(3, cin, shape[2], shape[0], shape[1]))
}
