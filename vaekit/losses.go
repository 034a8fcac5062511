package vaekit

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/backends"
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
// overflows (GoMLX's graph.Softplus goes through LogAddExp, whose IsFinite ONNX Runtime's
// backend does not have). Its gradient is sigmoid(x), given directly rather than taken through
// the steps of the value.
func StableSoftplus(x *Node) *Node {
	value := StopGradient(x)
	value = Add(Max(value, ZerosLike(value)), log1pUnit(Exp(Neg(Abs(value)))))
	// A zero (c - c, c an identity of x) whose gradient with respect to x is sigmoid(x) times
	// the gradient reaching it: the value is untouched, and the backward pass is one Logistic
	// and one product where autodiff would take the Max, Abs, Exp and Log1p apart.
	c := IdentityWithCustomGradient(x, func(x, v *Node) *Node { return Mul(v, Sigmoid(x)) })
	return Add(value, Sub(c, StopGradient(c)))
}

// log1pUnit is log(1 + u) for u in [0, 1].
//
// On the pure-Go backend it is the series log(1 + u) = 2 atanh(s) = 2 (s + s^3/3 + ... +
// s^13/13) with s = u/(2 + u) <= 1/3, whose first term left out (s^15/15 <= 9^-7/15 of s) is
// below 1.4e-8 of the sum: a dozen multiplications and additions, each of which that backend
// runs in SIMD, where its Log1p calls math.Log1p one float at a time. That call was 13% of the
// MLP VAE's training step (pprof, docs/bench.md's notes); the series takes a fraction of it
// (BenchmarkLog1pUnit). Other backends have a vectorised Log1p of their own.
func log1pUnit(u *Node) *Node {
	if !backends.IsGo(u.Graph().Backend()) || u.DType() != dtypes.Float32 {
		return Log1P(u)
	}
	s := Div(u, AddScalar(u, 2))
	s2 := Square(s)
	// Horner over the odd powers' coefficients 1/3, ..., 1/13, highest first.
	p := AddScalar(MulScalar(s2, 1.0/13), 1.0/11)
	for _, c := range []float64{1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1} {
		p = AddScalar(Mul(p, s2), c)
	}
	return Mul(MulScalar(s, 2), p)
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
