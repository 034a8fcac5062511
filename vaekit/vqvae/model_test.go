package vqvae_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

func TestVQVAETermsAndReconstruction(t *testing.T) {
	tr, store := briefly.Trainer(t, vqvae.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16}, vqvae.ParamNumCodes: 16, vqvae.ParamCodeDim: 4})
	set := testutil.SquaresSet(6, 16)
	if _, err := tr.Evaluate(set, 4); err != nil {
		t.Fatal(err)
	}
	if want := []string{"loss", "reconstruction", "codebook", "commitment"}; !slices.Equal(tr.Terms(), want) {
		t.Errorf("terms = %v, want %v", tr.Terms(), want)
	}
	originals, recons, err := infer.Reconstruct(backends.Go(), store, vqvae.Model{}, set, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(recons) != 3 || len(recons[0]) != len(originals[0]) {
		t.Errorf("Reconstruct gave %d images of %d values", len(recons), len(recons[0]))
	}
}

// The VQ-VAE's loss is w * reconstruction + codebook + beta * commitment, with the reported
// reconstruction unweighted, for any ParamReconstruction; a weight that is not positive is an
// error naming it.
func TestVQVAEReconstructionWeight(t *testing.T) {
	set := testutil.SquaresSet(6, 16)
	for _, tt := range []struct {
		kind   string
		weight float64
	}{{"mse_linear", 10.5}, {"mse", 1}, {"bernoulli", 0.5}} {
		t.Run(fmt.Sprintf("%s-%g", tt.kind, tt.weight), func(t *testing.T) {
			tr, _ := briefly.Trainer(t, vqvae.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16}, vqvae.ParamNumCodes: 16,
				vqvae.ParamCodeDim: 4, vaekit.ParamReconstruction: tt.kind, vqvae.ParamReconstructionWeight: tt.weight})
			v, err := tr.Evaluate(set, 6)
			if err != nil {
				t.Fatal(err)
			}
			loss, recon, codebook, commitment := v[0], v[1], v[2], v[3]
			if want := tt.weight*recon + codebook + 0.25*commitment; math.Abs(loss-want) > 1e-5*math.Abs(want) {
				t.Errorf("loss %v, want %v*%v + %v + 0.25*%v = %v", loss, tt.weight, recon, codebook, commitment, want)
			}
		})
	}
	tr, _ := briefly.Trainer(t, vqvae.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16}, vqvae.ParamReconstructionWeight: -1.0})
	if _, err := tr.Evaluate(set, 6); err == nil || !strings.Contains(err.Error(), `"vq_reconstruction_weight" = -1: expected a positive finite weight`) {
		t.Errorf("negative weight: error %v", err)
	}
}
