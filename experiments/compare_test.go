package experiments

import (
	"context"
	"os"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// heavierKL is the VAE with its KL term counted 1.01 times: a model that is not the recipe.
type heavierKL struct{ vae.Model }

func (heavierKL) Loss(scope *model.Scope, images, labels *Node) vaekit.Terms {
	terms := vae.Model{}.Loss(scope, images, labels)
	terms[0].Value = Add(terms.Get("reconstruction"), MulScalar(terms.Get("kl"), 1.01))
	return terms
}

// renamed is the VAE under another family's name.
type renamed struct{ vae.Model }

func (renamed) Name() string { return "ae" }

// CompareWithRecipe accepts the recipe's own family, and finds a model whose loss differs by a
// hundredth of its KL term, and one of another family.
func TestCompareWithRecipeFindsADifferentModel(t *testing.T) {
	requireData(t, datasets.MNIST)
	exp, err := Lookup("mnist-mlp-vae")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Overrides: map[string]any{vaekit.ParamMLPHidden: []int{32}, training.ParamBatchSize: 16}}
	same, err := CompareWithRecipe(exp, vae.Model{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := same.Err(); err != nil || same.MaxRelativeDifference() != 0 {
		t.Errorf("the recipe's own family: difference %g, %v; expected 0 and no error", same.MaxRelativeDifference(), err)
	}
	if len(same.Model) != 2 || len(same.Terms) != 3 {
		t.Errorf("compared %d steps of terms %v: expected 2 steps of loss, reconstruction and kl", len(same.Model), same.Terms)
	}
	other, err := CompareWithRecipe(exp, heavierKL{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Err(); err == nil || !strings.Contains(err.Error(), "mnist-mlp-vae") {
		t.Errorf("KL weighted 1.01: got %v (difference %g), expected an error naming the recipe", err, other.MaxRelativeDifference())
	}
	if _, err := CompareWithRecipe(exp, renamed{}, opts); err == nil || !strings.Contains(err.Error(), `named "ae"`) {
		t.Errorf("a model named ae against a vae recipe: got %v", err)
	}
}

// A model value of another family, or a code prior that is not a PixelCNN, is refused before
// anything is read or written.
func TestRunRefusesAModelOfAnotherFamily(t *testing.T) {
	vq, err := Lookup("mnist-vqvae")
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := Lookup("mnist-mlp-vae")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		exp  Experiment
		want string
	}{
		"model":      {mlp.WithModel(renamed{}), `named "ae": expected "vae"`},
		"code prior": {vq.WithCodePrior(vae.Model{}), `named "vae": expected "pixelcnn"`},
	} {
		dir := t.TempDir()
		_, err := Run(context.Background(), c.exp, quick(dir))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, expected an error with %q", name, err, c.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: %d entries written into the runs folder", name, len(entries))
		}
	}
}

// Variant names its run after the changes, applies them, and leaves the recipe alone.
func TestVariant(t *testing.T) {
	exp, err := Lookup("mnist-mlp-vae")
	if err != nil {
		t.Fatal(err)
	}
	v := exp.Variant(map[string]any{vaekit.ParamLatentDim: 2, vae.ParamBeta: 0.5})
	if v.Name != "mnist-mlp-vae[latent_dim=2,vae_beta=0.5]" || v.Params[vaekit.ParamLatentDim] != 2 {
		t.Errorf("variant %q with latent %v", v.Name, v.Params[vaekit.ParamLatentDim])
	}
	if exp.Params[vaekit.ParamLatentDim] == 2 {
		t.Error("Variant changed the recipe's own parameters")
	}
	if same := exp.Variant(nil); same.Name != exp.Name {
		t.Errorf("no changes: name %q, expected %q", same.Name, exp.Name)
	}
}
