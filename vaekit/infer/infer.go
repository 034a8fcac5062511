// Package infer runs a trained model of any family on data, releasing every tensor as it goes
// (Encode and Infer in batches, the others in one call): encodings, decodings and reconstructions, prior and tempered samples,
// latent traversals, interpolations and manifolds, class samples, VQ-VAE code grids, and
// Infer for a graph of one's own. Workbench runs a model's pieces on a batch the way the
// notebooks build them on screen, with the store a run would use.
package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/training"
)

// These helpers run a trained model on the host's data, for figures and evaluation. They
// build a graph per call (cheap next to training) in inference mode.

// split turns a [n, ...] float32 tensor into n flat images.
func split(t *tensors.Tensor, n int) [][]float32 {
	flat := tensors.MustCopyFlatData[float32](t)
	size := len(flat) / n
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*size : (i+1)*size]
	}
	return out
}

// Infer runs graph over every example of set, batchSize examples at a time, and returns each
// example's output as a flat row, with the dimensions of one row. It is the one batched
// inference loop of vaekit (encoding, reconstruction errors, classifying, code grids): the graph
// is compiled once (every batch has the same shape, the last one padded), each output copied
// to the host, the padding dropped, and every batch and output released at once (see Release).
func Infer[T float32 | int32](backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int,
	graph func(scope *model.Scope, images, labels *Node) *Node) (rows [][]T, rowDims []int, err error) {
	exec, err := model.NewExec(backend, store, graph)
	if err != nil {
		return nil, nil, err
	}
	rows = make([][]T, 0, set.N)
	err = training.ForEachBatch(set, batchSize, func(images, labels *tensors.Tensor, n int) error {
		res, err := exec.Exec(images, labels)
		if err != nil {
			return err
		}
		defer training.Release(res...)
		rowDims = res[0].Shape().Dimensions[1:]
		flat := tensors.MustCopyFlatData[T](res[0])
		size := len(flat) / batchSize
		for i := range n {
			rows = append(rows, flat[i*size:(i+1)*size:(i+1)*size])
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, rowDims, nil
}

// CodeSet encodes every image of set into its grid of code indices (a Quantizer's), batchSize
// images at a time, and returns the grids as a data set of their own: one "image" of gh x gw
// values per input image, each value a code index stored as a float32 (exact below 2^24), with
// the input's labels and class names. A code prior trains on it through the same loop as every
// model.
func CodeSet(backend compute.Backend, store *model.Store, q vaekit.Quantizer, set *datasets.Set, batchSize int) (*datasets.Set, error) {
	grids, dims, err := Infer[float32](backend, store, set, batchSize, func(scope *model.Scope, images, _ *Node) *Node {
		return ConvertDType(q.CodeGrid(scope, images), images.DType())
	})
	if err != nil {
		return nil, err
	}
	if len(grids) == 0 {
		return nil, fmt.Errorf("code set: the set %s/%s is empty", set.Name, set.Split)
	}
	out := &datasets.Set{Name: set.Name + "-codes", Split: set.Split, Labels: set.Labels, N: set.N,
		ClassNames: set.ClassNames, Source: set.Source, Height: dims[0], Width: dims[1]}
	out.Images = make([]float32, 0, set.N*dims[0]*dims[1])
	for _, g := range grids {
		out.Images = append(out.Images, g...)
	}
	return out, nil
}

// DecodeCodes decodes n code grids of gh x gw code indices (grid after grid, row-major) of a
// Quantizer into images (probabilities in [0, 1]).
func DecodeCodes(backend compute.Backend, store *model.Store, q vaekit.Quantizer, codes []int32, n, gh, gw int) ([][]float32, error) {
	if n <= 0 || len(codes) != n*gh*gw {
		return nil, fmt.Errorf("decode codes: %d values for %d grids of %dx%d: expected %d", len(codes), n, gh, gw, n*gh*gw)
	}
	k := q.NumCodes(store)
	for i, c := range codes {
		if c < 0 || int(c) >= k {
			return nil, fmt.Errorf("decode codes: value %d at %d is not a code index in [0, %d)", c, i, k)
		}
	}
	out, err := model.CallOnce(backend, store, q.DecodeGrid, tensors.FromFlatDataAndDimensions(codes, n, gh, gw))
	if err != nil {
		return nil, err
	}
	return split(out, n), nil
}

// CodeCounts returns how often each of a Quantizer's codes is the nearest code over every grid
// position of every image of set.
func CodeCounts(backend compute.Backend, store *model.Store, q vaekit.Quantizer, set *datasets.Set, batchSize int) ([]int, error) {
	codes, err := CodeSet(backend, store, q, set, batchSize)
	if err != nil {
		return nil, err
	}
	counts := make([]int, q.NumCodes(store))
	for _, c := range codes.Images {
		counts[int(c)]++
	}
	return counts, nil
}

// Reconstruct returns the first n images of set and their reconstructions.
func Reconstruct(backend compute.Backend, store *model.Store, m vaekit.Model, set *datasets.Set, n int) (originals, reconstructions [][]float32, err error) {
	r, ok := m.(vaekit.Reconstructor)
	if !ok {
		return nil, nil, fmt.Errorf("model %q does not reconstruct images", m.Name())
	}
	set = set.Subset(n)
	images, labels, err := FirstImages(set, set.N)
	if err != nil {
		return nil, nil, err
	}
	out, err := model.CallOnce(backend, store, func(scope *model.Scope, images, labels *Node) *Node {
		return r.Reconstruct(scope, images, labels)
	}, images, labels)
	if err != nil {
		return nil, nil, err
	}
	originals = make([][]float32, set.N)
	for i := range originals {
		originals[i] = set.Image(i)
	}
	return originals, split(out, set.N), nil
}

// Encode returns the latent point of every image of set (the posterior mean for a VAE),
// computed in batches of batchSize.
func Encode(backend compute.Backend, store *model.Store, m vaekit.Model, set *datasets.Set, batchSize int) ([][]float32, error) {
	enc, ok := m.(vaekit.Encoder)
	if !ok {
		return nil, fmt.Errorf("model %q has no encoder", m.Name())
	}
	codes, _, err := Infer[float32](backend, store, set, batchSize, func(scope *model.Scope, images, labels *Node) *Node {
		return enc.Encode(scope, images, labels)
	})
	return codes, err
}

// Decode decodes latent points z (each of the model's latent size) into images; labels are
// the classes for conditional models (nil otherwise).
func Decode(backend compute.Backend, store *model.Store, m vaekit.Model, z [][]float32, labels []int32) ([][]float32, error) {
	gen, ok := m.(vaekit.Generator)
	if !ok {
		return nil, fmt.Errorf("model %q does not decode latent points", m.Name())
	}
	d := gen.LatentDim(store)
	flat := make([]float32, 0, len(z)*d)
	for i, p := range z {
		if len(p) != d {
			return nil, fmt.Errorf("latent point %d has %d values, the model's latent size is %d", i, len(p), d)
		}
		flat = append(flat, p...)
	}
	if labels == nil {
		labels = make([]int32, len(z))
	}
	out, err := model.CallOnce(backend, store, func(scope *model.Scope, z, labels *Node) *Node {
		return gen.Decode(vaekit.SamplingScope(scope), z, labels)
	}, tensors.FromFlatDataAndDimensions(flat, len(z), d), tensors.FromFlatDataAndDimensions(labels, len(labels)))
	if err != nil {
		return nil, err
	}
	return split(out, len(z)), nil
}

// PriorSamples draws n latent points from N(0, I) with the given random seed and decodes them.
func PriorSamples(backend compute.Backend, store *model.Store, m vaekit.Model, n int, seed uint64) ([][]float32, error) {
	return TemperedSamples(backend, store, m, n, seed, 1)
}

// TemperedSamples draws n latent points from N(0, t^2 I), the prior with its standard deviation
// scaled by the temperature t, and decodes them. The same random seed gives the same directions at
// every temperature (z = t * eps), so a row of temperatures shows the same draws pulled towards
// the prior's mean (t < 1: fainter, blurrier images) or pushed out (t > 1: bolder, rarer ones).
func TemperedSamples(backend compute.Backend, store *model.Store, m vaekit.Model, n int, seed uint64, t float64) ([][]float32, error) {
	gen, ok := m.(vaekit.Generator)
	if !ok {
		return nil, fmt.Errorf("model %q does not decode latent points", m.Name())
	}
	if !(t >= 0) || math.IsInf(t, 0) {
		return nil, fmt.Errorf("samples: temperature %g: expected a finite number >= 0", t)
	}
	d := gen.LatentDim(store)
	rng := rand.New(rand.NewPCG(seed, 0x5a3b1e))
	z := make([][]float32, n)
	for i := range z {
		z[i] = make([]float32, d)
		for j := range z[i] {
			z[i][j] = float32(t * rng.NormFloat64())
		}
	}
	return Decode(backend, store, m, z, nil)
}

// LatentTraversal encodes image i of set and, for each latent dimension in dims, decodes the
// code with that one coordinate set to each of values (the others kept): one row of
// len(values) images per dimension, rows in the order of dims. It shows what each dimension of
// a code controls (the beta-VAE's traversals, Higgins et al. 2017).
func LatentTraversal(backend compute.Backend, store *model.Store, m vaekit.Model, set *datasets.Set, i int, dims []int, values []float64) ([][]float32, error) {
	gen, ok := m.(vaekit.Generator)
	if !ok {
		return nil, fmt.Errorf("model %q does not decode latent points", m.Name())
	}
	if len(dims) == 0 || len(values) == 0 {
		return nil, fmt.Errorf("traversal: %d dimensions and %d values: expected at least one of each", len(dims), len(values))
	}
	d := gen.LatentDim(store)
	for _, k := range dims {
		if k < 0 || k >= d {
			return nil, fmt.Errorf("traversal: dimension %d: expected one in [0, %d) (the latent size)", k, d)
		}
	}
	one, err := set.Pick(i)
	if err != nil {
		return nil, fmt.Errorf("traversal: %w", err)
	}
	code, err := Encode(backend, store, m, one, 1)
	if err != nil {
		return nil, err
	}
	var z [][]float32
	var labels []int32
	for _, k := range dims {
		for _, v := range values {
			p := slices.Clone(code[0])
			p[k] = float32(v)
			z = append(z, p)
			labels = append(labels, set.Labels[i])
		}
	}
	return Decode(backend, store, m, z, labels)
}

// ClassSamples draws perClass latent points for each class in [0, numClasses) from the model's
// prior for that class (N(mean_c, I) for a ConditionalPrior, N(0, I) otherwise) and decodes them
// with the class. Images come class after class; the random seed fixes the draw.
func ClassSamples(backend compute.Backend, store *model.Store, m vaekit.Model, numClasses, perClass int, seed uint64) ([][]float32, error) {
	gen, ok := m.(vaekit.Generator)
	if !ok {
		return nil, fmt.Errorf("model %q does not decode latent points", m.Name())
	}
	if numClasses <= 0 || perClass <= 0 {
		return nil, fmt.Errorf("class samples: %d classes of %d samples: expected positive counts", numClasses, perClass)
	}
	d := gen.LatentDim(store)
	n := numClasses * perClass
	rng := rand.New(rand.NewPCG(seed, 0xc1a55))
	eps := make([]float32, n*d)
	for i := range eps {
		eps[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i / perClass)
	}
	prior, _ := m.(vaekit.ConditionalPrior)
	out, err := model.CallOnce(backend, store, func(scope *model.Scope, eps, labels *Node) *Node {
		z := eps
		if prior != nil {
			z = Add(eps, prior.PriorMeans(scope, labels))
		}
		return gen.Decode(vaekit.SamplingScope(scope), z, labels)
	}, tensors.FromFlatDataAndDimensions(eps, n, d), tensors.FromFlatDataAndDimensions(labels, n))
	if err != nil {
		return nil, err
	}
	return split(out, n), nil
}

// ManifoldGrid decodes the n x n grid of 2-D latent points with both coordinates evenly spaced
// over [-scale, scale]. It returns the images (top row first: largest z[1]) and the coordinates.
func ManifoldGrid(backend compute.Backend, store *model.Store, m vaekit.Model, n int, scale float64) (images [][]float32, z0, z1 []float64, err error) {
	if n < 2 || !(scale > 0) {
		return nil, nil, nil, fmt.Errorf("latent manifold: grid size %d and scale %g: expected n >= 2 and scale > 0", n, scale)
	}
	coords := make([]float64, n)
	for i := range coords {
		coords[i] = -scale + 2*scale*float64(i)/float64(n-1)
	}
	images, err = ManifoldGridAt(backend, store, m, coords)
	return images, coords, coords, err
}

// NormalQuantiles returns the n quantiles of N(0, 1) at the probabilities (i + 0.5) / n: grid
// coordinates that cover the prior with equal mass per cell (Kingma and Welling's manifold
// figures), denser near 0.
func NormalQuantiles(n int) []float64 {
	q := make([]float64, n)
	for i := range q {
		q[i] = math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/float64(n)-1)
	}
	return q
}

// ManifoldGridAt decodes the grid of 2-D latent points (coords[j], coords[i]) for increasing
// coords, top row first (the largest z[1]).
func ManifoldGridAt(backend compute.Backend, store *model.Store, m vaekit.Model, coords []float64) ([][]float32, error) {
	gen, ok := m.(vaekit.Generator)
	if !ok {
		return nil, fmt.Errorf("model %q does not decode latent points", m.Name())
	}
	if d := gen.LatentDim(store); d != 2 {
		return nil, fmt.Errorf("latent manifold needs a 2-D latent space, model has %d dimensions (%q)", d, vaekit.ParamLatentDim)
	}
	n := len(coords)
	if n < 2 || !slices.IsSorted(coords) {
		return nil, fmt.Errorf("latent manifold: %d coordinates %v: expected at least 2, increasing", n, coords)
	}
	z := make([][]float32, 0, n*n)
	for i := n - 1; i >= 0; i-- {
		for j := range n {
			z = append(z, []float32{float32(coords[j]), float32(coords[i])})
		}
	}
	return Decode(backend, store, m, z, nil)
}

// LatentInterpolation encodes images i and j of set, decodes steps latent points evenly spaced on the
// segment between their codes (both ends included) and returns the decoded images in order. A
// conditional model decodes every point with the class of image i.
func LatentInterpolation(backend compute.Backend, store *model.Store, m vaekit.Model, set *datasets.Set, i, j, steps int) ([][]float32, error) {
	if i < 0 || j < 0 || i >= set.N || j >= set.N {
		return nil, fmt.Errorf("interpolate: images %d and %d of a set of %d: expected indices in [0, %d)", i, j, set.N, set.N)
	}
	if steps < 2 {
		return nil, fmt.Errorf("interpolate: %d steps: expected at least 2 (the two ends)", steps)
	}
	pair, err := set.Pick(i, j)
	if err != nil {
		return nil, fmt.Errorf("interpolate: %w", err)
	}
	ends, err := Encode(backend, store, m, pair, 2)
	if err != nil {
		return nil, err
	}
	z := make([][]float32, steps)
	labels := make([]int32, steps)
	for s := range z {
		t := float32(s) / float32(steps-1)
		z[s] = make([]float32, len(ends[0]))
		for k := range z[s] {
			z[s][k] = (1-t)*ends[0][k] + t*ends[1][k]
		}
		labels[s] = set.Labels[i]
	}
	return Decode(backend, store, m, z, labels)
}

// ReconstructionErrors returns the mean over the images of set of two reconstruction errors per
// image, whatever loss the model was trained with: the binary cross-entropy of the image under
// the reconstruction's pixel probabilities, in nats (probabilities clipped to [1e-7, 1 - 1e-7]),
// and the squared error, both summed over pixels. Sums are taken in float64.
func ReconstructionErrors(backend compute.Backend, store *model.Store, m vaekit.Model, set *datasets.Set, batchSize int) (bce, sse float64, err error) {
	r, ok := m.(vaekit.Reconstructor)
	if !ok {
		return 0, 0, fmt.Errorf("model %q does not reconstruct images", m.Name())
	}
	if set.N == 0 {
		return 0, 0, fmt.Errorf("reconstruction errors: the set %s/%s is empty", set.Name, set.Split)
	}
	recons, _, err := Infer[float32](backend, store, set, batchSize, func(scope *model.Scope, images, labels *Node) *Node {
		return r.Reconstruct(scope, images, labels)
	})
	if err != nil {
		return 0, 0, err
	}
	for i, probs := range recons {
		for j, v := range set.Image(i) {
			p := min(max(float64(probs[j]), 1e-7), 1-1e-7)
			bce -= float64(v)*math.Log(p) + (1-float64(v))*math.Log(1-p)
			d := float64(probs[j]) - float64(v)
			sse += d * d
		}
	}
	return bce / float64(set.N), sse / float64(set.N), nil
}
