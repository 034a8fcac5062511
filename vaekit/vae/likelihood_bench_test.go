package vae_test

import (
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// BenchmarkImportanceWeightedNLL times the k = 5000 estimate of the MNIST MLP VAE
// (784-512-256-20, as mnist-mlp-vae) on the backend backends.New chooses, over BENCH images per
// iteration (100), and reports the minutes the 10,000 MNIST test images would take. The
// weights are a fresh initialization: the cost does not depend on their values.
func BenchmarkImportanceWeightedNLL(b *testing.B) {
	backend, _, err := backends.New()
	if err != nil {
		b.Fatal(err)
	}
	store := model.NewStore()
	store.SetParams(map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{512, 256}, vaekit.ParamLatentDim: 20,
		training.ParamBatchSize: 100, training.ParamSeed: int64(1)})
	tr, err := training.NewTrainer(backend, store, vae.Model{})
	if err != nil {
		b.Fatal(err)
	}
	const n, k = 100, 5000
	pixels := make([]float32, n*28*28)
	for i := range pixels {
		pixels[i] = float32(i % 2)
	}
	images, labels := tensors.FromFlatDataAndDimensions(pixels, n, 28, 28, 1), tensors.FromValue(make([]int32, n))
	if _, err := tr.TrainStep(images, labels); err != nil { // creates the variables
		b.Fatal(err)
	}
	set := &datasets.Set{Name: datasets.MNIST, Split: datasets.Test, N: n, Height: 28, Width: 28, Images: pixels, Labels: make([]int32, n)}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := vae.ImportanceWeightedNLL(backend, store, set, nil, vae.NLLOptions{K: k, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	perImage := time.Since(start).Seconds() / float64(b.N*n)
	b.ReportMetric(perImage*10000/60, "min-per-10k-images")
	b.ReportMetric(1/perImage, "images/s")
}
