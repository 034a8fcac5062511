package vaekit_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/betatcvae"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/dcgan"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// benchCases are the models at their default shapes and batch sizes.
var benchCases = []struct {
	name   string
	model  vaekit.Model
	params map[string]any
	codes  bool // the model trains on 7x7 grids of code indices (the PixelCNN prior)
}{
	{"conv-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, training.ParamOptimizer: "rmsprop", training.ParamBatchSize: 64}, false},
	{"mlp-vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 20, training.ParamOptimizer: "adam", training.ParamBatchSize: 128}, false},
	{"mlp-ae", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 20, training.ParamOptimizer: "adam", training.ParamBatchSize: 128}, false},
	{"conv-dae", ae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, ae.ParamCorruption: "gaussian", training.ParamOptimizer: "rmsprop", training.ParamBatchSize: 64}, false},
	{"conv-cvae", cvae.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, vaekit.ParamConvBatchNorm: true, vaekit.ParamActivation: "leaky_relu", training.ParamBatchSize: 128}, false},
	{"mlp-cvae-prior", cvae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 2, cvae.ParamForm: cvae.FormPrior, training.ParamBatchSize: 128}, false},
	{"vqvae", vqvae.Model{}, map[string]any{vaekit.ParamReconstruction: "mse", training.ParamBatchSize: 128}, false},
	{"pixelcnn-prior", pixelcnn.Model{}, map[string]any{vaekit.ParamImageShape: []int{7, 7, 1}, pixelcnn.ParamConditional: true, training.ParamBatchSize: 128}, true},
	{"classifier", classifier.Model{}, map[string]any{training.ParamBatchSize: 128}, false},
	// The families added after the table's first models, at their recipes' settings: the
	// beta-TC-VAE of mnist-mlp-tcvae, the GAN of mnist-dcgan (the conv VAE's decoder against its
	// encoder) and the TensorFlow tutorial's DCGAN (mnist-tf-dcgan, full width, batch 256).
	{"mlp-tcvae", betatcvae.Model{}, map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamLatentDim: 10, vaekit.ParamTrainingImages: 60000,
		training.ParamOptimizer: "adam", training.ParamBatchSize: 128}, false},
	{"conv-gan", gan.Model{}, map[string]any{vaekit.ParamArchitecture: "conv", vaekit.ParamLatentDim: 2, training.ParamOptimizer: "adam",
		training.ParamAdamBeta1: 0.5, training.ParamLearningRate: 2e-4, training.ParamBatchSize: 128,
		"/" + gan.DiscriminatorScope + "/" + vaekit.ParamActivation: "leaky_relu", "/" + gan.DiscriminatorScope + "/" + vaekit.ParamLeakyReluAlpha: 0.2}, false},
	{"dcgan", dcgan.Model{}, map[string]any{vaekit.ParamLatentDim: 100, dcgan.ParamGeneratorFilters: []int{256, 128, 64},
		dcgan.ParamDiscriminatorFilters: []int{64, 128}, dcgan.ParamKernel: 5, dcgan.ParamDropout: 0.3, vaekit.ParamLeakyReluAlpha: 0.3,
		training.ParamOptimizer: "adam", training.ParamLearningRate: 1e-4, training.ParamBatchSize: 256}, false},
}

// randomBatch is a fixed batch of random 28x28 images in [0, 1), or of random 7x7 grids of code
// indices below 128, with random labels below classes.
func randomBatch(batch int, codes bool, classes int) (*tensors.Tensor, *tensors.Tensor) {
	rng := rand.New(rand.NewPCG(1, 1))
	side := 28
	if codes {
		side = 7
	}
	img := make([]float32, batch*side*side)
	for i := range img {
		img[i] = rng.Float32()
		if codes {
			img[i] = float32(rng.IntN(128))
		}
	}
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(rng.IntN(classes))
	}
	return tensors.FromFlatDataAndDimensions(img, batch, side, side, 1), tensors.FromFlatDataAndDimensions(labels, batch)
}

// BenchmarkTrainStep measures one warm training step of each model at its default batch size,
// and the first step (graph building and compilation) once; `make bench` (bench/run.sh) runs
// each case in a process of its own, so that the reported peak resident memory is the model's,
// and tabulates samples/s, ms/step, first-step-ms and peak-MB beside the PyTorch twin in
// bench/pytorch_bench.py. The backend is GOMLX_BACKEND's (backends.New).
func BenchmarkTrainStep(b *testing.B) {
	backend := benchBackend(b)
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) { benchTrainStep(b, backend, bc.model, bc.params, bc.codes, 0) })
	}
}

// scalingBatches are the batch sizes of BenchmarkTrainStepScaling.
var scalingBatches = []int{32, 64, 128, 256, 512}

// BenchmarkTrainStepScaling measures the MLP and the convolutional VAE at batch sizes 32 to 512:
// how throughput grows with the batch on this backend.
func BenchmarkTrainStepScaling(b *testing.B) {
	backend := benchBackend(b)
	for _, bc := range benchCases {
		if bc.name != "mlp-vae" && bc.name != "conv-vae" {
			continue
		}
		for _, batch := range scalingBatches {
			b.Run(fmt.Sprintf("%s/batch=%d", bc.name, batch), func(b *testing.B) {
				benchTrainStep(b, backend, bc.model, bc.params, bc.codes, batch)
			})
		}
	}
}

func benchBackend(b *testing.B) compute.Backend {
	backend, description, err := backends.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Log(description)
	return backend
}

// benchTrainStep times warm training steps of m at the store's batch size, or at batch if > 0.
func benchTrainStep(b *testing.B, backend compute.Backend, m vaekit.Model, params map[string]any, codes bool, batch int) {
	store := model.NewStore()
	store.SetParams(params)
	if batch > 0 {
		store.SetParam(training.ParamBatchSize, batch)
	}
	tr, err := training.NewTrainer(backend, store, m)
	if err != nil {
		b.Fatal(err)
	}
	batch = tr.Params().BatchSize
	images, labels := randomBatch(batch, codes, 10)
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
	if mb, ok := peakResidentMB(); ok {
		b.ReportMetric(mb, "peak-MB")
	}
}

// peakResidentMB is the process's peak resident memory so far (VmHWM of /proc/self/status), in
// MiB; false where there is no /proc.
func peakResidentMB() (float64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err == nil {
				return kb / 1024, true
			}
		}
	}
	return 0, false
}
