package vaekit

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
)

// Losses are per example: each reduces every axis but the first (batch) by a sum, so a
// reconstruction loss is in nats per image and the training loop takes the mean over the batch.

// sumPerExample sums every axis of x but the first.
func sumPerExample(x *Node) *Node {
	if x.Rank() == 1 {
		return x
	}
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceSum(x, axes...)
}

// BernoulliNLL is the binary cross-entropy of targets in [0, 1] under Bernoulli distributions
// given by their logits, summed over pixels: the negative log-likelihood in nats per image.
// It is computed from logits as max(l, 0) - l*t + log(1 + exp(-|l|)), which never overflows.
func BernoulliNLL(logits, targets *Node) *Node {
	return sumPerExample(Sub(StableSoftplus(logits), Mul(logits, targets)))
}

// StableSoftplus is log(1 + exp(x)) computed as max(x, 0) + log(1 + exp(-|x|)), which never
// overflows. GoMLX's graph.Softplus goes through LogAddExp, whose IsFinite ONNX Runtime's
// backend does not have.
func StableSoftplus(x *Node) *Node {
	return Add(Max(x, ZerosLike(x)), Log1P(Exp(Neg(Abs(x)))))
}

// SquaredError is the squared difference summed over pixels, per example.
func SquaredError(predictions, targets *Node) *Node {
	return sumPerExample(Square(Sub(predictions, targets)))
}

// GaussianKL is KL(N(mean, exp(logVar)) || N(0, I)) summed over latent dimensions, per example:
// 0.5 * sum(exp(logVar) + mean^2 - 1 - logVar).
func GaussianKL(mean, logVar *Node) *Node {
	return GaussianKLToMean(mean, logVar, nil)
}

// GaussianKLToMean is KL(N(mean, exp(logVar)) || N(priorMean, I)) per example; a nil priorMean
// is the standard normal prior.
func GaussianKLToMean(mean, logVar, priorMean *Node) *Node {
	return MulScalar(sumPerExample(twiceKLPerDimension(mean, logVar, priorMean)), 0.5)
}

// GaussianKLPerDimension is KL(N(mean, exp(logVar)) || N(priorMean, I)) of every latent
// dimension, [batch, latent] (nil priorMean: N(0, I)); GaussianKLToMean is its sum.
func GaussianKLPerDimension(mean, logVar, priorMean *Node) *Node {
	return MulScalar(twiceKLPerDimension(mean, logVar, priorMean), 0.5)
}

// twiceKLPerDimension is exp(logVar) + (mean - priorMean)^2 - 1 - logVar per dimension.
func twiceKLPerDimension(mean, logVar, priorMean *Node) *Node {
	diff := mean
	if priorMean != nil {
		diff = Sub(mean, priorMean)
	}
	return Sub(Add(Exp(logVar), Square(diff)), OnePlus(logVar))
}

// Reparameterize draws z = mean + exp(logVar/2) * eps with eps ~ N(0, I), using the store's
// random state (checkpointed, so a resumed run draws the same numbers).
func Reparameterize(scope *model.Scope, mean, logVar *Node) *Node {
	eps := scope.RandomNormal(mean.Graph(), mean.Shape())
	return Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
}
