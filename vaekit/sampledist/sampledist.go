// Package sampledist measures how far a generator's samples are from the data, in a feature
// space: the features of a fixed network (vaekit uses the penultimate layer of each data set's
// recorded judge classifier), one row per image. It knows nothing of images or models, so any
// two sets of feature rows can be compared, and a number is comparable with another only when
// both were computed on the same features.
//
// Three measures, each answering another question:
//
//   - Fréchet distance (Heusel et al. 2017, "FID" when the features are Inception's): the
//     squared 2-Wasserstein distance between Gaussians fitted to the two sets,
//     |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Biased upwards for small sets: compare
//     numbers only at the same set sizes.
//   - Kernel distance (Bińkowski et al. 2018, "KID"): the unbiased estimate of the squared
//     maximum mean discrepancy with the cubic polynomial kernel k(x, y) = (x.y/d + 1)^3, averaged
//     over random subsets; its expectation does not depend on the set sizes, and it is zero (up
//     to noise, and can be slightly negative) when the two sets come from one distribution.
//   - Precision and recall (Kynkäänniemi et al. 2019): the share of samples that fall inside the
//     data's manifold (balls around each data point reaching its k-th nearest data neighbour),
//     and the share of data points inside the samples' manifold. Precision tells whether samples
//     look real, recall whether they cover the data: a generator that repeats one good sample has
//     high precision and a recall near zero.
//
// Summarize gives the spread of a measure over independent sample sets; the floor a perfect
// generator reaches is the same measure between two sets of real images (the training and test
// images), which the caller computes the same way.
package sampledist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Features are n feature vectors of dimension d, one row each.
type Features struct {
	Rows [][]float64
}

// FromFloat32 converts feature rows as the backends return them.
func FromFloat32(rows [][]float32) Features {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = float64(v)
		}
	}
	return Features{Rows: out}
}

// Len is the number of feature rows.
func (f Features) Len() int { return len(f.Rows) }

// Dim is the dimension of the rows (0 for no rows).
func (f Features) Dim() int {
	if len(f.Rows) == 0 {
		return 0
	}
	return len(f.Rows[0])
}

// check returns an error unless f has at least min rows, all of one dimension d > 0 and finite.
func (f Features) check(what string, min int) error {
	if len(f.Rows) < min {
		return fmt.Errorf("%s: %d feature rows, expected at least %d", what, len(f.Rows), min)
	}
	d := f.Dim()
	if d == 0 {
		return fmt.Errorf("%s: feature rows of dimension 0, expected at least 1", what)
	}
	for i, r := range f.Rows {
		if len(r) != d {
			return fmt.Errorf("%s: row %d has %d features, expected %d as row 0", what, i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: row %d feature %d is %v, expected a finite number", what, i, j, v)
			}
		}
	}
	return nil
}

// matrix returns f as an n x d matrix.
func (f Features) matrix() *mat.Dense {
	n, d := f.Len(), f.Dim()
	data := make([]float64, 0, n*d)
	for _, r := range f.Rows {
		data = append(data, r...)
	}
	return mat.NewDense(n, d, data)
}

// Gaussian is a mean and a covariance.
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense
}

// Fit returns the mean and the unbiased (n-1) covariance of f's rows, as the reference FID code
// computes them (numpy.cov).
func Fit(f Features) (Gaussian, error) {
	if err := f.check("Gaussian fit", 2); err != nil {
		return Gaussian{}, err
	}
	n, d := f.Len(), f.Dim()
	mean := make([]float64, d)
	for _, r := range f.Rows {
		for j, v := range r {
			mean[j] += v / float64(n)
		}
	}
	centred := f.matrix()
	for i := range n {
		for j := range d {
			centred.Set(i, j, centred.At(i, j)-mean[j])
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n-1), centred.T())
	return Gaussian{Mean: mean, Cov: cov}, nil
}

// Frechet returns the Fréchet distance between the Gaussians fitted to a and b (Fit).
func Frechet(a, b Features) (float64, error) {
	ga, err := Fit(a)
	if err != nil {
		return 0, fmt.Errorf("Fréchet distance, first set: %w", err)
	}
	gb, err := Fit(b)
	if err != nil {
		return 0, fmt.Errorf("Fréchet distance, second set: %w", err)
	}
	return FrechetGaussians(ga, gb)
}

// FrechetGaussians returns |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^(1/2)).
//
// S_a S_b is not symmetric, but it is similar to S_a^(1/2) S_b S_a^(1/2), which is symmetric and
// positive semi-definite, so Tr((S_a S_b)^(1/2)) is the sum of the square roots of that matrix's
// eigenvalues: two symmetric eigendecompositions, no complex square root (which the reference
// code needs and then discards the imaginary part of). Eigenvalues below zero are rounding of
// zero (the covariances are positive semi-definite) and count as zero.
func FrechetGaussians(a, b Gaussian) (float64, error) {
	d := len(a.Mean)
	if len(b.Mean) != d || a.Cov.SymmetricDim() != d || b.Cov.SymmetricDim() != d {
		return 0, fmt.Errorf("Fréchet distance: dimensions %d and %d, expected one dimension", d, len(b.Mean))
	}
	var dist float64
	for j := range d {
		dist += (a.Mean[j] - b.Mean[j]) * (a.Mean[j] - b.Mean[j])
	}
	rootA, err := sqrtSym(a.Cov)
	if err != nil {
		return 0, err
	}
	var m mat.Dense
	m.Mul(rootA, b.Cov)
	m.Mul(&m, rootA)
	sym := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	vals, err := eigenvalues(sym)
	if err != nil {
		return 0, err
	}
	var traceRoot float64
	for _, v := range vals {
		traceRoot += math.Sqrt(max(v, 0))
	}
	return dist + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*traceRoot, nil
}

// sqrtSym returns the symmetric square root of a positive semi-definite matrix.
func sqrtSym(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, errors.New("Fréchet distance: the eigendecomposition of a covariance did not converge")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	vals := eig.Values(nil)
	d := len(vals)
	scaled := mat.NewDense(d, d, nil)
	for i := range d {
		for j := range d {
			scaled.Set(i, j, vecs.At(i, j)*math.Sqrt(max(vals[j], 0)))
		}
	}
	var root mat.Dense
	root.Mul(scaled, vecs.T())
	return &root, nil
}

func eigenvalues(s *mat.SymDense) ([]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil, errors.New("Fréchet distance: an eigendecomposition did not converge")
	}
	return eig.Values(nil), nil
}

// KIDOptions set the subsets KID averages over.
type KIDOptions struct {
	// Subsets is the number of random subset pairs (default 10); SubsetSize the rows drawn
	// without replacement from each set for one pair (default 1000, capped by the smaller set).
	Subsets, SubsetSize int
	// Seed seeds the subset draws, so a distance can be computed again exactly.
	Seed uint64
}

// KID returns the kernel distance between a and b: the unbiased squared MMD with the cubic
// polynomial kernel, its mean over opts.Subsets random subset pairs (SubsetSize rows of each set,
// or all of a set's rows where it has fewer), and the standard deviation of those estimates.
// With SubsetSize >= both sets and Subsets 1 it is the exact unbiased estimate on the whole sets,
// of equal sizes or not, with a deviation of 0.
func KID(a, b Features, opts KIDOptions) (mean, std float64, err error) {
	if err := a.check("kernel distance, first set", 2); err != nil {
		return 0, 0, err
	}
	if err := b.check("kernel distance, second set", 2); err != nil {
		return 0, 0, err
	}
	if a.Dim() != b.Dim() {
		return 0, 0, fmt.Errorf("kernel distance: features of dimension %d and %d, expected one dimension", a.Dim(), b.Dim())
	}
	subsets, size := opts.Subsets, opts.SubsetSize
	if subsets == 0 {
		subsets = 10
	}
	if size == 0 {
		size = 1000
	}
	if subsets < 1 || size < 2 {
		return 0, 0, fmt.Errorf("kernel distance: %d subsets of %d rows, expected at least 1 subset of at least 2 rows", subsets, size)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6b6964))
	estimates := make([]float64, subsets)
	for s := range estimates {
		x := subset(a, min(size, a.Len()), rng)
		y := subset(b, min(size, b.Len()), rng)
		estimates[s] = mmd2(x, y)
	}
	mean, std = Summarize(estimates)
	return mean, std, nil
}

// subset draws size rows of f without replacement (all rows, in order, when size is f.Len()).
func subset(f Features, size int, rng *rand.Rand) Features {
	if size == f.Len() {
		return f
	}
	idx := rng.Perm(f.Len())[:size]
	rows := make([][]float64, size)
	for i, j := range idx {
		rows[i] = f.Rows[j]
	}
	return Features{Rows: rows}
}

// mmd2 is the unbiased squared MMD of x and y with k(u, v) = (u.v/d + 1)^3:
// mean of k over pairs i != j within x, plus the same within y, minus twice the mean over x by y.
func mmd2(x, y Features) float64 {
	d := float64(x.Dim())
	kernel := func(p, q *mat.Dense) *mat.Dense {
		var g mat.Dense
		g.Mul(p, q.T())
		g.Apply(func(_, _ int, v float64) float64 { v = v/d + 1; return v * v * v }, &g)
		return &g
	}
	mx, my := x.matrix(), y.matrix()
	offDiagonalMean := func(k *mat.Dense) float64 {
		n, _ := k.Dims()
		var sum float64
		for i := range n {
			for j := range n {
				if i != j {
					sum += k.At(i, j)
				}
			}
		}
		return sum / float64(n*(n-1))
	}
	kxy := kernel(mx, my)
	m, n := kxy.Dims()
	return offDiagonalMean(kernel(mx, mx)) + offDiagonalMean(kernel(my, my)) - 2*mat.Sum(kxy)/float64(m*n)
}

// PrecisionRecall returns the precision of samples against data and their recall of it, with
// manifolds of k nearest neighbours (Kynkäänniemi et al. use k = 3): a point lies in a set's
// manifold when it is within the k-th-neighbour distance of at least one of the set's points.
func PrecisionRecall(data, samples Features, k int) (precision, recall float64, err error) {
	if k < 1 {
		return 0, 0, fmt.Errorf("precision and recall: k = %d neighbours, expected at least 1", k)
	}
	if err := data.check("precision and recall, data", k+1); err != nil {
		return 0, 0, err
	}
	if err := samples.check("precision and recall, samples", k+1); err != nil {
		return 0, 0, err
	}
	if data.Dim() != samples.Dim() {
		return 0, 0, fmt.Errorf("precision and recall: features of dimension %d and %d, expected one dimension", data.Dim(), samples.Dim())
	}
	dataRadii := kthNeighbour(data, k)
	sampleRadii := kthNeighbour(samples, k)
	precision = coverage(data, dataRadii, samples)
	recall = coverage(samples, sampleRadii, data)
	return precision, recall, nil
}

// squaredDistances returns the squared Euclidean distances between every row of p and of q,
// |u|^2 + |v|^2 - 2 u.v, through one matrix product.
func squaredDistances(p, q Features) *mat.Dense {
	var g mat.Dense
	g.Mul(p.matrix(), q.matrix().T())
	norms := func(f Features) []float64 {
		out := make([]float64, f.Len())
		for i, r := range f.Rows {
			for _, v := range r {
				out[i] += v * v
			}
		}
		return out
	}
	np, nq := norms(p), norms(q)
	g.Apply(func(i, j int, v float64) float64 { return max(np[i]+nq[j]-2*v, 0) }, &g)
	return &g
}

// kthNeighbour returns, for every row of f, the squared distance to its k-th nearest other row.
func kthNeighbour(f Features, k int) []float64 {
	dist := squaredDistances(f, f)
	n := f.Len()
	radii := make([]float64, n)
	row := make([]float64, 0, n-1)
	for i := range n {
		row = row[:0]
		for j := range n {
			if j != i {
				row = append(row, dist.At(i, j))
			}
		}
		sort.Float64s(row)
		radii[i] = row[k-1]
	}
	return radii
}

// coverage returns the share of points within the squared radius of at least one row of set.
func coverage(set Features, radii []float64, points Features) float64 {
	dist := squaredDistances(points, set)
	inside := 0
	for i := range points.Len() {
		for j := range set.Len() {
			if dist.At(i, j) <= radii[j] {
				inside++
				break
			}
		}
	}
	return float64(inside) / float64(points.Len())
}

// Summarize returns the mean and the sample standard deviation (n-1; 0 for one value) of
// estimates of a measure, for example over independent sample sets.
func Summarize(values []float64) (mean, std float64) {
	if len(values) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range values {
		mean += v / float64(len(values))
	}
	if len(values) == 1 {
		return mean, 0
	}
	var ss float64
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(values)-1))
}
