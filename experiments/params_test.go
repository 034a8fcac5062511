package experiments

import (
	"maps"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// Every recipe of the registry passes the parameter checks at full settings and in quick mode:
// a recipe cannot carry a typo, a value of the wrong type or a parameter its family ignores.
func TestEveryRecipePassesTheChecks(t *testing.T) {
	for _, exp := range Registry {
		m, err := vaekit.FamilyByName(exp.Model)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{}, QuickOptions(t.TempDir())} {
			if _, err := preflight(exp, m.Name(), opts); err != nil {
				t.Errorf("%s (quick: %v): %v", exp.Name, opts.MaxSteps > 0, err)
			}
		}
	}
}

func TestWriteParamTable(t *testing.T) {
	var all, vq strings.Builder
	if err := WriteParamTable(&all, ""); err != nil {
		t.Fatal(err)
	}
	if err := WriteParamTable(&vq, "vqvae"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"latent_dim", "20 (dcgan: 100; gan: 2)", "vq_num_codes", "one of adam, rmsprop, sgd", "512,256"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("the table of every parameter lacks %q:\n%s", want, all.String())
		}
	}
	if strings.Contains(vq.String(), "latent_dim") || !strings.Contains(vq.String(), "vq_beta") {
		t.Errorf("the VQ-VAE's table should list vq_beta and not latent_dim:\n%s", vq.String())
	}
	if strings.Contains(all.String(), "image_shape") {
		t.Errorf("the table lists the internal image_shape")
	}
}

// A recipe's parameters keyed by their store paths: a root parameter gets its slash, a scoped
// one ("/discriminator/activation", as the GAN's recipe writes it) keeps its path.
func TestStorePaths(t *testing.T) {
	got := storePaths(map[string]any{"latent_dim": 2, "/discriminator/activation": "leaky_relu"})
	want := map[string]any{"/latent_dim": 2, "/discriminator/activation": "leaky_relu"}
	if !maps.Equal(got, want) {
		t.Errorf("storePaths: %v, want %v", got, want)
	}
}
