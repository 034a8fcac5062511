package vqvae

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/infer"
)

// CodeSet encodes every image of set into its grid of nearest-code indices (infer.CodeSet of
// the VQ-VAE): what a code prior (package pixelcnn) trains on.
func CodeSet(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) (*datasets.Set, error) {
	return infer.CodeSet(backend, store, Model{}, set, batchSize)
}

// DecodeCodes decodes code grids (n grids of gh x gw code indices, grid after grid, row-major)
// into images (probabilities in [0, 1]): infer.DecodeCodes of the VQ-VAE.
func DecodeCodes(backend compute.Backend, store *model.Store, codes []int32, n, gh, gw int) ([][]float32, error) {
	return infer.DecodeCodes(backend, store, Model{}, codes, n, gh, gw)
}

// CodeCounts returns how often each of the K codes is the nearest code over every grid position
// of every image of set (infer.CodeCounts of the VQ-VAE).
func CodeCounts(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([]int, error) {
	return infer.CodeCounts(backend, store, Model{}, set, batchSize)
}

func numCodes(store *model.Store) int {
	k, _ := sizes(store.RootScope())
	return k
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
