package vaekit_test

import (
	"slices"
	"testing"

	_ "github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/training"
	_ "github.com/vaekit/vaekit/vaekit/vae"
)

// A parameter a saved run lacks is its declared default: asking for another value is a change
// (a ReLU run is not a finished tanh run), asking for the default is not.
func TestRecipeChangesCountAMissingParameterAsItsDefault(t *testing.T) {
	// The discriminator's scoped parameters of a GAN run, as params.json lists them.
	gan := map[string]any{"/model": "gan", "/activation": "relu", "/discriminator/activation": "leaky_relu"}
	if got := training.RecipeChanges(gan, map[string]any{"/model": "gan", "/discriminator/activation": "leaky_relu", "/discriminator/leaky_relu_alpha": 0.2}); !slices.Equal(got, []string{"discriminator/leaky_relu_alpha = 0.3, not 0.2"}) {
		t.Errorf("a GAN run without the discriminator's alpha (Keras' default 0.3) against alpha 0.2: %q", got)
	}
	saved := map[string]any{"/model": "vae", "/latent_dim": 50}
	for _, c := range []struct {
		requested map[string]any
		want      []string
	}{
		{map[string]any{"/model": "vae", "/activation": "tanh"}, []string{`activation = "relu", not "tanh"`}},
		{map[string]any{"/model": "vae", "/activation": "relu"}, nil},
		{map[string]any{"/model": "vae", "/no_such_parameter": 3}, nil},
		// A scoped parameter the run did not set was read from the scopes above it, else it
		// had its default.
		{map[string]any{"/model": "vae", "/encoder/latent_dim": 50}, nil},
		{map[string]any{"/model": "vae", "/encoder/latent_dim": 8}, []string{"encoder/latent_dim = 50, not 8"}},
		{map[string]any{"/model": "vae", "/encoder/activation": "tanh"}, []string{`encoder/activation = "relu", not "tanh"`}},
		{map[string]any{"/model": "vae", "/encoder/block/activation": "relu"}, nil},
	} {
		if got := training.RecipeChanges(saved, c.requested); !slices.Equal(got, c.want) {
			t.Errorf("RecipeChanges(%v): %q, want %q", c.requested, got, c.want)
		}
	}
}
