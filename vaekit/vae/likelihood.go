package vae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/training"
)

// Conditioning gives, for labels [batch], the condition appended to the encoder's and the
// decoder's inputs (nil for none) and the prior mean of z [batch, latent] (nil for N(0, I)).
type Conditioning func(scope *model.Scope, labels *Node) (cond, priorMean *Node)

// BernoulliLogLikelihoods is log p(x | z_i) for s samples z_i of each of b images: logits
// [b*s, h, w, c] (the s samples of an image together), images [b, h, w, c]; the result is
// [b, s]. It is -vaekit.BernoulliNLL of the logits and the images repeated s times, written for
// k = 5000 samples per image, where that graph is most of the estimate's time:
//
//	log p(x|z) = sum_p x_p l_p - sum_p softplus(l_p),  softplus(l) = max(l, 0) + log(1 + exp(-|l|))
//
// The first sum is one batched product with the images (not a copy of them per sample), and
// the logarithms of the second are taken of products of up to 64 factors 1 + exp(-|l|), each
// in (1, 2], so each product stays below 2^64: one logarithm per group of pixels instead of one
// Log1p per pixel (the pure-Go backend's Log1p is a scalar float64 loop; it was 58% of the
// estimate). Float32 rounding of the factors and products moves the result by less than 1e-4
// nats per image (TestBernoulliLogLikelihoods).
func BernoulliLogLikelihoods(logits, images *Node) *Node {
	b := images.Shape().Dim(0)
	pixels := images.Shape().Size() / b
	s := logits.Shape().Dim(0) / b
	l := Reshape(logits, b, s, pixels)
	data := Reshape(images, b, pixels)
	dot := Einsum("bsp,bp->bs", l, data)
	positive := ReduceSum(Max(l, ZerosLike(l)), -1)
	// Products of up to 64 factors in (1, 2] (below 2^64): pixels p, p + stride, p + 2*stride, ...
	// multiplied along the middle axis.
	group := 1
	for g := 64; g > 1; g-- {
		if pixels%g == 0 {
			group = g
			break
		}
	}
	factors := Reshape(OnePlus(Exp(Neg(Abs(l)))), b, s, group, pixels/group)
	logs := ReduceSum(Log(ReduceMultiply(factors, 2)), -1)
	return Sub(dot, Add(positive, logs))
}

// NLLOptions are the settings of ImportanceWeightedNLL (vaekit.NLLOptions).
type NLLOptions = vaekit.NLLOptions

// ImportanceWeightedNLL estimates the test negative log-likelihood -log p(x), in nats per image,
// with k importance samples per image (Burda, Grosse and Salakhutdinov 2016):
//
//	-log p(x) ~= -log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x),   z_i ~ q(z | x)
//
// With k = 1 it is a one-sample estimate of the negative ELBO; it can only decrease (in
// expectation) as k grows, towards -log p(x). Images go opts.Batch images at a time, samples
// opts.Chunk at a time (memory is Batch*Chunk decoded images); the log-mean-exp is accumulated
// in float64. The draw is fixed by opts.Seed. The reconstruction term is the model's
// (vaekit.ParamReconstruction must be "bernoulli" for this to be a likelihood). cond says how
// the model uses the labels of set (nil for the plain VAE; cvae.Conditioning for the
// conditional VAEs), and the estimate is then of -log p(x | y).
//
// The cost is k decoder passes per image: with k = 5000 on the 10,000 MNIST test images and
// the 784-512-256-20 MLP, about 54 TFLOP, minutes on two cores; opts.Progress shows them.
func ImportanceWeightedNLL(backend compute.Backend, store *model.Store, set *datasets.Set, cond Conditioning, opts NLLOptions) (float64, error) {
	k, batch, chunk := opts.K, opts.Batch, opts.Chunk
	if batch == 0 {
		batch = 100
	}
	if chunk == 0 {
		chunk = min(k, 100)
	}
	if k <= 0 || batch <= 0 || chunk <= 0 {
		return 0, fmt.Errorf("importance-weighted NLL: k=%d, batch=%d, chunk=%d: expected positive values", k, batch, chunk)
	}
	if kind := vaekit.Param[string](store.RootScope(), vaekit.ParamReconstruction); kind != "bernoulli" {
		return 0, fmt.Errorf("importance-weighted NLL needs %q = \"bernoulli\", the model has %q", vaekit.ParamReconstruction, kind)
	}
	d := vaekit.LatentDim(store.RootScope(), DefaultLatentDim)
	exec, err := model.NewExec(backend, store, logWeights(cond, d))
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x1aa))
	size := set.ImageSize()
	var total float64
	phase := training.NewPhase(opts.Progress, fmt.Sprintf("NLL k=%d", k), set.N, "images")
	defer phase.End("")
	for start := 0; start < set.N; start += batch {
		if opts.Context != nil && opts.Context.Err() != nil {
			return 0, fmt.Errorf("importance-weighted NLL stopped after %d of %d images: %w", start, set.N, opts.Context.Err())
		}
		n := min(batch, set.N-start)
		maxLog := make([]float64, n)
		sumExp := make([]float64, n)
		for i := range maxLog {
			maxLog[i] = math.Inf(-1)
		}
		for done := 0; done < k; done += chunk {
			s := min(chunk, k-done)
			eps := make([]float32, n*s*d)
			for i := range eps {
				eps[i] = float32(rng.NormFloat64())
			}
			images := tensors.FromFlatDataAndDimensions(set.Images[start*size:(start+n)*size], n, set.Height, set.Width, set.Depth())
			labels := tensors.FromFlatDataAndDimensions(set.Labels[start:start+n], n)
			epsT := tensors.FromFlatDataAndDimensions(eps, n, s, d)
			out, err := exec.Exec(images, labels, epsT)
			training.Release(images, labels, epsT)
			if err != nil {
				return 0, err
			}
			logW := tensors.MustCopyFlatData[float32](out[0])
			training.Release(out...)
			for i := range n {
				for j := range s {
					lw := float64(logW[i*s+j])
					// Running log-sum-exp, rescaled when a larger weight appears.
					if lw > maxLog[i] {
						sumExp[i] = sumExp[i]*math.Exp(maxLog[i]-lw) + 1
						maxLog[i] = lw
					} else {
						sumExp[i] += math.Exp(lw - maxLog[i])
					}
				}
			}
		}
		for i := range n {
			total += -(maxLog[i] + math.Log(sumExp[i]) - math.Log(float64(k)))
		}
		phase.Add(n)
	}
	return total / float64(set.N), nil
}

// logWeights is the graph of the log importance weights: images [b, h, w, 1], labels [b] and
// eps [b, s, d] give log p(x|z) + log p(z) - log q(z|x) of the s samples of each image, [b, s]
// (the constants of the two Gaussian densities cancel).
func logWeights(cond Conditioning, d int) func(scope *model.Scope, images, labels, eps *Node) *Node {
	return func(scope *model.Scope, images, labels, eps *Node) *Node {
		b, s := eps.Shape().Dim(0), eps.Shape().Dim(1)
		var condition, priorMean *Node
		if cond != nil {
			condition, priorMean = cond(scope, labels)
		}
		mean, logVar := Posterior(scope, images, condition)
		std := Exp(MulScalar(logVar, 0.5))
		z := Add(InsertAxes(mean, 1), Mul(InsertAxes(std, 1), eps)) // [b, s, d]
		var decoderCond *Node
		if condition != nil { // every sample of an image decodes with its condition
			c := condition.Shape().Dim(-1)
			decoderCond = Reshape(BroadcastToDims(InsertAxes(condition, 1), b, s, c), b*s, c)
		}
		logits := vaekit.DecoderLogits(scope, Reshape(z, b*s, d), decoderCond)
		logPx := BernoulliLogLikelihoods(logits, images)
		fromPrior := z
		if priorMean != nil {
			fromPrior = Sub(z, InsertAxes(priorMean, 1))
		}
		logPz := MulScalar(ReduceSum(Square(fromPrior), -1), -0.5)                                                      // + const
		logQz := Sub(MulScalar(ReduceSum(Square(eps), -1), -0.5), InsertAxes(MulScalar(ReduceSum(logVar, -1), 0.5), 1)) // + same const
		return Add(logPx, Sub(logPz, logQz))
	}
}

// ImportanceWeightedNLL implements vaekit.Likelihood: -log p(x).
func (Model) ImportanceWeightedNLL(backend compute.Backend, store *model.Store, set *datasets.Set, opts vaekit.NLLOptions) (float64, error) {
	return ImportanceWeightedNLL(backend, store, set, nil, opts)
}

// Prior implements vaekit.Sampler.
func (Model) Prior() string { return "N(0, I)" }
