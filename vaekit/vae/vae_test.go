package vae_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
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
	tr, err := vaekit.NewTrainer(vaekit.GoBackend(), store, vae.Model{})
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

// The "mean" reduction is the summed KL over the latent size (seed 003 trains and prints it so);
// the reconstruction is unchanged and the loss is their sum.
func TestKLReduction(t *testing.T) {
	const latent = 3
	base := model.NewStore()
	base.SetParams(map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{16}, vaekit.ParamLatentDim: latent,
		vaekit.ParamSeed: int64(2), vaekit.ParamBatchSize: 4})
	tr, err := vaekit.NewTrainer(vaekit.GoBackend(), base, vae.Model{})
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
