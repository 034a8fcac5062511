package vqvae

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// CodeSet encodes every image of set into its grid of nearest-code indices, batchSize images
// at a time, and returns the grids as a data set of their own: one "image" of gh x gw values per
// input image, each value a code index in [0, K) stored as a float32 (exact for any K below
// 2^24), with the input's labels and class names. It is what a code prior (package pixelcnn)
// trains on, through the same training loop as every model.
func CodeSet(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) (*datasets.Set, error) {
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *Node) *Node {
		return ConvertDType(Quantize(scope, Encode(scope, images)).Codes, images.DType())
	})
	if err != nil {
		return nil, err
	}
	out := &datasets.Set{Name: set.Name + "-codes", Split: set.Split, Labels: set.Labels, N: set.N,
		ClassNames: set.ClassNames, Source: set.Source}
	out.Images = make([]float32, 0, set.N)
	err = vaekit.ForEachBatch(set, batchSize, func(images, _ *tensors.Tensor, n int) error {
		res, err := exec.Exec(images)
		if err != nil {
			return err
		}
		shape := res[0].Shape()
		out.Height, out.Width = shape.Dim(1), shape.Dim(2)
		codes := tensors.MustCopyFlatData[float32](res[0])
		vaekit.Release(res...)
		out.Images = append(out.Images, codes[:n*out.Height*out.Width]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeCodes decodes code grids (n grids of gh x gw code indices, grid after grid, row-major)
// into images (probabilities in [0, 1]).
func DecodeCodes(backend compute.Backend, store *model.Store, codes []int32, n, gh, gw int) ([][]float32, error) {
	if n <= 0 || len(codes) != n*gh*gw {
		return nil, fmt.Errorf("decode codes: %d values for %d grids of %dx%d: expected %d", len(codes), n, gh, gw, n*gh*gw)
	}
	k := numCodes(store)
	for i, c := range codes {
		if c < 0 || int(c) >= k {
			return nil, fmt.Errorf("decode codes: value %d at %d is not a code index in [0, %d)", c, i, k)
		}
	}
	out, err := model.CallOnce(backend, store, func(scope *model.Scope, codes *Node) *Node {
		e := Gather(Codebook(scope, codes.Graph()), InsertAxes(codes, -1))
		return vaekit.DecodedImages(scope, DecodeLogits(scope, e))
	}, tensors.FromFlatDataAndDimensions(codes, n, gh, gw))
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](out)
	size := len(flat) / n
	images := make([][]float32, n)
	for i := range images {
		images[i] = flat[i*size : (i+1)*size]
	}
	return images, nil
}

// CodeCounts returns how often each of the K codes is the nearest code over every grid position
// of every image of set, encoding batchSize images at a time.
func CodeCounts(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([]int, error) {
	codes, err := CodeSet(backend, store, set, batchSize)
	if err != nil {
		return nil, err
	}
	return Counts(codes, numCodes(store)), nil
}

func numCodes(store *model.Store) int {
	k, _ := sizes(store.RootScope())
	return k
}

// Counts returns how often each of the k codes occurs in a code set (as made by CodeSet).
func Counts(codes *datasets.Set, k int) []int {
	counts := make([]int, k)
	for _, c := range codes.Images {
		counts[int(c)]++
	}
	return counts
}

// Perplexity is exp(entropy) of the code distribution given by counts: K when every code is
// used equally, 1 when a single code is used.
func Perplexity(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	var entropy float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			entropy -= p * math.Log(p)
		}
	}
	return math.Exp(entropy)
}

// InUse is the fraction of codes that are the nearest code at least once.
func InUse(counts []int) float64 {
	used := 0
	for _, c := range counts {
		if c > 0 {
			used++
		}
	}
	return float64(used) / float64(len(counts))
}
