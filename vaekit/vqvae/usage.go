package vqvae

import (
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
)

// CodeCounts returns how often each of the K codes is the nearest code over every grid position
// of every image of set, encoding batchSize images at a time.
func CodeCounts(backend compute.Backend, store *model.Store, set *datasets.Set, batchSize int) ([]int, error) {
	k, _ := sizes(store.RootScope())
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *Node) *Node {
		return Quantize(scope, Encode(scope, images)).Codes
	})
	if err != nil {
		return nil, err
	}
	counts := make([]int, k)
	size := set.ImageSize()
	for start := 0; start < set.N; start += batchSize {
		n := min(batchSize, set.N-start)
		images := tensors.FromFlatDataAndDimensions(set.Images[start*size:(start+n)*size], n, set.Height, set.Width, 1)
		out, err := exec.Exec(images)
		if err != nil {
			return nil, err
		}
		for _, c := range tensors.MustCopyFlatData[int32](out[0]) {
			counts[c]++
		}
	}
	return counts, nil
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
