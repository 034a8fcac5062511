package vae_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// terms evaluates the VAE's loss terms on one fixed batch from the weights of base (cloned, so
// every call starts from the same weights and random state) with the given KL reduction.
func terms(t *testing.T, base *model.Store, reduction string) ([]float64, error) {
	t.Helper()
	store, err := base.Clone()
	if err != nil {
		t.Fatal(err)
	}
	store.SetParam("/"+vae.ParamKLReduction, reduction)
	tr, err := training.NewTrainer(backends.Go(), store, vae.Model{})
	if err != nil {
		t.Fatal(err)
	}
	images, labels := batch()
	return tr.EvalStep(images, labels, tensors.FromValue([]float32{1, 1, 1, 1}))
}

// batch is a fixed batch of 4 images and labels.
func batch() (images, labels *tensors.Tensor) {
	pixels := make([]float32, 4*28*28)
	for i := range pixels {
		pixels[i] = float32(i%7) / 6
	}
	return tensors.FromFlatDataAndDimensions(pixels, 4, 28, 28, 1), tensors.FromValue([]int32{0, 1, 2, 3})
}

// The "mean" reduction is the summed KL over the latent size (the Fashion-MNIST tutorial trains and prints it so);
// the reconstruction is unchanged and the loss is their sum.
func TestKLReduction(t *testing.T) {
	const latent = 3
	base := model.NewStore()
	base.SetParams(map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{16}, vaekit.ParamLatentDim: latent,
		training.ParamSeed: int64(2), training.ParamBatchSize: 4})
	tr, err := training.NewTrainer(backends.Go(), base, vae.Model{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TrainStep(batch()); err != nil { // creates the variables
		t.Fatal(err)
	}
	sum, err := terms(t, base, "sum")
	if err != nil {
		t.Fatal(err)
	}
	mean, err := terms(t, base, "mean")
	if err != nil {
		t.Fatal(err)
	}
	// terms: loss, reconstruction, kl.
	if sum[1] != mean[1] {
		t.Errorf("reconstruction %g with the summed KL, %g with the mean: want equal", sum[1], mean[1])
	}
	if want := sum[2] / latent; math.Abs(mean[2]-want) > 1e-5*want {
		t.Errorf("mean KL %g, want summed KL %g / %d = %g", mean[2], sum[2], latent, want)
	}
	if want := mean[1] + mean[2]; math.Abs(mean[0]-want) > 1e-5*want {
		t.Errorf("loss %g, want reconstruction + mean KL = %g", mean[0], want)
	}
	if slices.Equal(sum, mean) {
		t.Errorf("terms %v identical under both reductions", sum)
	}
	if _, err := terms(t, base, "median"); err == nil || !strings.Contains(err.Error(), `"vae_kl_reduction" = "median": expected one of [sum mean]`) {
		t.Errorf("KL reduction \"median\": error %v, want one naming the parameter, the value and the choices", err)
	}
}

// The grouped form of log p(x|z) agrees with -BernoulliNLL of the repeated images to 1e-4 nats
// per image plus float32 rounding of the sum (4e-7 of it), for binary and grey targets and logits from -40 to 40.
func TestBernoulliLogLikelihoods(t *testing.T) {
	const b, s, h, w = 3, 4, 28, 28
	rng := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, b*s*h*w)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64() * 12)
		if i%97 == 0 {
			logits[i] = 40 * float32(1-2*(i/97%2))
		}
	}
	images := make([]float32, b*h*w)
	for i := range images {
		if i < h*w {
			images[i] = rng.Float32() // grey
		} else {
			images[i] = float32(rng.IntN(2))
		}
	}
	repeated := make([]float32, 0, b*s*h*w)
	for i := range b {
		for range s {
			repeated = append(repeated, images[i*h*w:(i+1)*h*w]...)
		}
	}
	lt := tensors.FromFlatDataAndDimensions(logits, b*s, h, w, 1)
	it := tensors.FromFlatDataAndDimensions(images, b, h, w, 1)
	rt := tensors.FromFlatDataAndDimensions(repeated, b*s, h, w, 1)
	backend := backends.Go()
	got := tensors.MustCopyFlatData[float32](graph.MustExecOnce(backend, vae.BernoulliLogLikelihoods, lt, it))
	want := tensors.MustCopyFlatData[float32](graph.MustExecOnce(backend, vaekit.BernoulliNLL, lt, rt))
	if len(got) != b*s {
		t.Fatalf("%d values, want %d", len(got), b*s)
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) + float64(want[i])); d > 1e-4+4e-7*math.Abs(float64(want[i])) || math.IsNaN(d) {
			t.Errorf("image %d sample %d: log p(x|z) %g, -BernoulliNLL %g (difference %g)", i/s, i%s, got[i], -want[i], d)
		}
	}
}

// The KL per dimension sums to the model's mean KL term over the same images (which the
// evaluation computes through the loss), and each is >= 0.
func TestKLPerDimensionSumsToTheKL(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{vaekit.ParamMLPHidden: []int{16}, vaekit.ParamLatentDim: 3, training.ParamBatchSize: 4})
	tr, err := training.NewTrainer(backends.Go(), store, vae.Model{})
	if err != nil {
		t.Fatal(err)
	}
	images, labels := batch()
	for range 3 {
		if _, err := tr.TrainStep(images, labels); err != nil {
			t.Fatal(err)
		}
	}
	set := &datasets.Set{N: 4, Height: 28, Width: 28, Images: tensors.MustCopyFlatData[float32](images), Labels: []int32{0, 1, 2, 3}}
	perDim, err := vae.KLPerDimension(backends.Go(), store, set, 4)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := tr.Evaluate(set, 4)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, k := range perDim {
		if k < 0 {
			t.Errorf("KL of a dimension %g < 0", k)
		}
		total += k
	}
	if kl := sums[slices.Index(tr.Terms(), "kl")]; len(perDim) != 3 || math.Abs(total-kl) > 1e-4*kl {
		t.Errorf("KL per dimension %v sums to %g: expected %d dimensions summing to the KL term %g", perDim, total, 3, kl)
	}
}
