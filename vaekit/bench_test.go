package vaekit_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// benchCases are the models at their default shapes and batch sizes.
var benchCases = []struct {
	name   string
	model  vaekit.Model
	params map[string]any
}{
	{"conv-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, vaekit.ParamOptimizer: "rmsprop", vaekit.ParamBatchSize: 64}},
	{"mlp-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 20, vaekit.ParamOptimizer: "adam", vaekit.ParamBatchSize: 128}},
	{"mlp-ae", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 20, vaekit.ParamOptimizer: "adam", vaekit.ParamBatchSize: 128}},
	{"conv-dae", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, ae.ParamCorruption: "gaussian", vaekit.ParamOptimizer: "rmsprop", vaekit.ParamBatchSize: 64}},
}

func randomBatch(batch int) (*tensors.Tensor, *tensors.Tensor) {
	rng := rand.New(rand.NewPCG(1, 1))
	img := make([]float32, batch*784)
	for i := range img {
		img[i] = rng.Float32()
	}
	return tensors.FromFlatDataAndDimensions(img, batch, 28, 28, 1), tensors.FromFlatDataAndDimensions(make([]int32, batch), batch)
}

// BenchmarkTrainStep measures one warm training step of each model at its default batch size,
// and the first step (graph building and compilation) once; `make bench` tabulates samples/s,
// ms/step and first-step-ms beside the PyTorch twin in bench/pytorch_bench.py.
func BenchmarkTrainStep(b *testing.B) {
	backend := vaekit.GoBackend()
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			store := model.NewStore()
			store.SetParams(bc.params)
			tr, err := vaekit.NewTrainer(backend, store, bc.model)
			if err != nil {
				b.Fatal(err)
			}
			batch := tr.Params().BatchSize
			images, labels := randomBatch(batch)
			start := time.Now()
			if _, err := tr.TrainStep(images, labels); err != nil { // graph build and compilation
				b.Fatal(err)
			}
			firstStep := time.Since(start)
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.TrainStep(images, labels); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64(batch), "batch")
			b.ReportMetric(float64(firstStep.Milliseconds()), "first-step-ms")
		})
	}
}
