// Package posterior diagnoses posterior collapse: a VAE whose encoder's posterior
// q(z|x) = N(mu(x), diag(exp(logvar(x)))) stops depending on x in some (or all) latent
// dimensions, which then carry no information about the image and cost no KL. It works on the
// posterior parameters of a set of images (the test images, say), one row per image, and knows
// nothing of models or graphs:
//
//   - KL per latent dimension, KL(q(z_j|x) || p(z_j)) averaged over the images, in nats: a
//     collapsed dimension's is near 0. The prior is N(0, 1) per dimension, or N(m_j(x), 1) with a
//     per-image prior mean (the class-prior CVAE's shifted prior).
//   - Active units (Burda et al. 2016, "Importance Weighted Autoencoders", section 5.2): a
//     dimension is active when the variance over the images of its posterior mean,
//     Var_x(E_q[z_j|x]) (unbiased, n-1), exceeds 0.01 (ActiveThreshold).
//   - The mutual information I(x; z) between an image and its code under the aggregate
//     posterior q(z) = mean over the images of q(z|x) (Hoffman and Johnson 2016; estimated as in
//     He et al. 2019, "Lagging Inference Networks"): E_x[E_q(z|x) log q(z|x)] - E_q(z)[log q(z)],
//     the first term exact, the second with one draw of z per image and log q(z) a log-mean-exp
//     over every image's posterior. The quantity lies between 0 (collapse: q(z|x) is the same for
//     every x) and ln n (each image's code tells it apart from the other n - 1), in nats; the
//     estimate, with one draw of z per image, can fall slightly outside.
package posterior

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ActiveThreshold is Burda et al.'s threshold on the variance of a posterior mean.
const ActiveThreshold = 0.01

// Params are the posterior parameters of n images: Mean and LogVar are [n][d]. PriorMean, if
// not nil, is the prior's mean for each image ([n][d]; nil: N(0, I)).
type Params struct {
	Mean, LogVar, PriorMean [][]float64
}

// check returns an error unless p holds at least min images of one latent dimension d > 0,
// with finite values.
func (p Params) check(min int) error {
	n := len(p.Mean)
	if n < min {
		return fmt.Errorf("posterior: %d images, expected at least %d", n, min)
	}
	if len(p.LogVar) != n || (p.PriorMean != nil && len(p.PriorMean) != n) {
		return fmt.Errorf("posterior: %d means, %d log-variances and %d prior means, expected %d of each (prior means: or none)", n, len(p.LogVar), len(p.PriorMean), n)
	}
	d := len(p.Mean[0])
	if d == 0 {
		return fmt.Errorf("posterior: latent dimension 0, expected at least 1")
	}
	for name, rows := range map[string][][]float64{"mean": p.Mean, "log-variance": p.LogVar, "prior mean": p.PriorMean} {
		for i, r := range rows {
			if len(r) != d {
				return fmt.Errorf("posterior: image %d has a %s of %d dimensions, expected %d", i, name, len(r), d)
			}
			for j, v := range r {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("posterior: image %d, dimension %d: %s %v, expected a finite number", i, j, name, v)
				}
			}
		}
	}
	return nil
}

// Dim is the latent dimension (0 for no images).
func (p Params) Dim() int {
	if len(p.Mean) == 0 {
		return 0
	}
	return len(p.Mean[0])
}

// KLPerDim returns, for each latent dimension j, the mean over the images of
// KL(N(mu_j, exp(logvar_j)) || N(m_j, 1)) = ((mu_j - m_j)^2 + exp(logvar_j) - 1 - logvar_j) / 2,
// in nats. Their sum is the model's KL term averaged over the images (when the model sums the KL
// over the dimensions; vae_kl_reduction "mean" divides it by their number).
func KLPerDim(p Params) ([]float64, error) {
	if err := p.check(1); err != nil {
		return nil, err
	}
	n := float64(len(p.Mean))
	kl := make([]float64, p.Dim())
	for i, mu := range p.Mean {
		for j, m := range mu {
			if p.PriorMean != nil {
				m -= p.PriorMean[i][j]
			}
			lv := p.LogVar[i][j]
			kl[j] += (m*m + math.Exp(lv) - 1 - lv) / 2 / n
		}
	}
	return kl, nil
}

// ActiveUnits returns the variance over the images of each dimension's posterior mean
// (unbiased, n-1) and the number of dimensions whose variance exceeds ActiveThreshold.
func ActiveUnits(p Params) (active int, variances []float64, err error) {
	if err := p.check(2); err != nil {
		return 0, nil, err
	}
	n := float64(len(p.Mean))
	d := p.Dim()
	mean := make([]float64, d)
	for _, mu := range p.Mean {
		for j, v := range mu {
			mean[j] += v / n
		}
	}
	variances = make([]float64, d)
	for _, mu := range p.Mean {
		for j, v := range mu {
			variances[j] += (v - mean[j]) * (v - mean[j]) / (n - 1)
		}
	}
	for _, v := range variances {
		if v > ActiveThreshold {
			active++
		}
	}
	return active, variances, nil
}

// MutualInformation estimates I(x; z) under the aggregate posterior of the n images, in nats,
// with one draw of z per image from a generator seeded by seed. It costs n^2 d terms of a
// Gaussian density: 80 million for 2,000 images of 20 dimensions.
func MutualInformation(p Params, seed uint64) (float64, error) {
	if err := p.check(2); err != nil {
		return 0, err
	}
	n, d := len(p.Mean), p.Dim()
	rng := rand.New(rand.NewPCG(seed, 0x6d69))
	log2pi := math.Log(2 * math.Pi)
	// E_x E_q(z|x) log q(z|x) = -(d log 2 pi + sum_j (1 + logvar_j)) / 2, exactly.
	var negEntropy float64
	for _, lv := range p.LogVar {
		h := float64(d) * log2pi
		for _, v := range lv {
			h += 1 + v
		}
		negEntropy -= h / 2 / float64(n)
	}
	invVar := make([][]float64, n)
	logNorm := make([]float64, n) // -(d log 2 pi + sum logvar) / 2
	for i, lv := range p.LogVar {
		invVar[i] = make([]float64, d)
		logNorm[i] = float64(d) * log2pi
		for j, v := range lv {
			invVar[i][j] = math.Exp(-v)
			logNorm[i] += v
		}
		logNorm[i] /= -2
	}
	z := make([]float64, d)
	logs := make([]float64, n)
	var logAggregate float64
	for i := range n {
		for j := range d {
			z[j] = p.Mean[i][j] + math.Exp(p.LogVar[i][j]/2)*rng.NormFloat64()
		}
		best := math.Inf(-1)
		for k := range n {
			s := 0.0
			for j := range d {
				diff := z[j] - p.Mean[k][j]
				s += diff * diff * invVar[k][j]
			}
			logs[k] = logNorm[k] - s/2
			best = max(best, logs[k])
		}
		sum := 0.0
		for _, l := range logs {
			sum += math.Exp(l - best)
		}
		logAggregate += (best + math.Log(sum) - math.Log(float64(n))) / float64(n)
	}
	return negEntropy - logAggregate, nil
}
