package vaekit_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
	_ "github.com/vaekit/vaekit/vaekit/vqvae" // declares the VQ-VAE's parameters
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		key, raw string
		want     any
		wantErr  string
	}{
		{"mlp_hidden", "400", []int{400}, ""},
		{"mlp_hidden", "400,", []int{400}, ""},
		{"mlp_hidden", " 512, 256 ", []int{512, 256}, ""},
		{"mlp_hidden", "512,,256", nil, `parameter mlp_hidden="512,,256": expected a comma-separated list of integers, each >= 1`},
		{"mlp_hidden", "", nil, "expected a comma-separated list"},
		{"learning_rate", "1", 1.0, ""},
		{"learning_rate", "3e-4", 3e-4, ""},
		{"learning_rate", "abc", nil, `parameter learning_rate="abc": expected a number > 0`},
		{"learning_rate", "0", nil, "expected a number > 0"},
		{"learning_rate", "NaN", nil, "expected a number > 0"},
		{"learning_rate", "Inf", nil, "expected a number > 0"},
		{"latent_dim", "2", 2, ""},
		{"latent_dim", "1.5", nil, `parameter latent_dim="1.5": expected an integer >= 1`},
		{"adam_beta1", "1", nil, `parameter adam_beta1="1": expected a number [0, 1)`},
		{"adam_beta1", "0.5", 0.5, ""},
		{"initializer_seed", "-7", int64(-7), ""},
		{"conv_batchnorm", "true", true, ""},
		{"conv_batchnorm", "yes", nil, `expected true or false`},
		{"optimizer", "rmsprop", "rmsprop", ""},
		{"optimizer", "adagrad", nil, `parameter optimizer="adagrad": expected one of adam, rmsprop, sgd`},
		{"/discriminator/activation", "leaky_relu", "leaky_relu", ""},
		{"vq_num_codes", "-3", nil, "expected an integer >= 1"},
		{"latnet_dim", "2", nil, `unknown parameter "latnet_dim": did you mean "latent_dim"?`},
		{"zzzzzzzzzzzz", "2", nil, `unknown parameter "zzzzzzzzzzzz" (`},
		{"image_shape", "28,28,1", nil, `parameter "image_shape" is set by vaekit itself`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.raw, func(t *testing.T) {
			got, err := vaekit.ParseParam(tt.key, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseParam(%q, %q) = %v, %v; want an error containing %q", tt.key, tt.raw, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseParam(%q, %q) = %#v, %v; want %#v", tt.key, tt.raw, got, err, tt.want)
			}
		})
	}
}

// Values from Go code and from JSON (float64 numbers, []any lists) come out as the store's types.
func TestCheckParam(t *testing.T) {
	tests := []struct {
		key     string
		value   any
		want    any
		wantErr string
	}{
		{"latent_dim", 2.0, 2, ""}, // JSON
		{"latent_dim", 1.5, nil, "parameter latent_dim = 1.5: expected an integer >= 1"},
		{"latent_dim", "2", nil, `parameter latent_dim = "2": expected an integer`},
		{"mlp_hidden", []any{512.0, 256.0}, []int{512, 256}, ""},
		{"mlp_hidden", 400, []int{400}, ""},
		{"mlp_hidden", []any{}, nil, "expected a comma-separated list"},
		{"learning_rate", 1, 1.0, ""},
		{"initializer_seed", 3.0, int64(3), ""},
		{"vaekit_frozen_variables", []any{"/a", "/b"}, []string{"/a", "/b"}, ""},
		{"image_shape", []any{28.0, 28.0, 1.0}, []int{28, 28, 1}, ""},
	}
	for _, tt := range tests {
		got, err := vaekit.CheckParam(tt.key, tt.value)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckParam(%q, %#v) = %v, %v; want an error containing %q", tt.key, tt.value, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CheckParam(%q, %#v) = %#v, %v; want %#v", tt.key, tt.value, got, err, tt.want)
		}
	}
}

func TestCheckParamsFamiliesAndRules(t *testing.T) {
	tests := []struct {
		family  string
		params  map[string]any
		wantErr string
	}{
		{"vqvae", map[string]any{"vq_reseed_after": 5, "vq_codebook_update": "ema"}, ""},
		{"vqvae", map[string]any{"vq_reseed_after": 5}, "parameter vq_reseed_after = 5 needs vq_codebook_update = ema"},
		{"vqvae", map[string]any{"latent_dim": 2}, `parameter "latent_dim" is read by ae, cvae, gan, vae, not by the vqvae model`},
		{"vae", map[string]any{"vq_num_codes": 3}, `parameter "vq_num_codes" is read by pixelcnn, vqvae, not by the vae model`},
		{"", map[string]any{"vq_num_codes": 3, "latent_dim": 2}, ""}, // no family: values only
	}
	for _, tt := range tests {
		_, err := vaekit.CheckParams(tt.family, tt.params)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckParams(%q, %v) = %v, want %q", tt.family, tt.params, err, tt.wantErr)
		}
	}
}

func TestRangeString(t *testing.T) {
	tests := map[string]vaekit.Range{
		"any": {}, "> 0": vaekit.Above(0), ">= 1": vaekit.AtLeast(1), "[0, 1)": vaekit.AtLeast(0).Below(1), "(0, 2.5]": vaekit.Above(0).AtMost(2.5),
	}
	for want, r := range tests {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", r, got, want)
		}
	}
}

// FuzzParseParam: any name and text give a value or an error, never a panic; a value accepted
// is accepted again as it comes out (what the store holds is what the check allows).
func FuzzParseParam(f *testing.F) {
	for _, s := range [][2]string{{"mlp_hidden", "400,"}, {"learning_rate", "abc"}, {"latent_dim", "1.5"}, {"/a/b/optimizer", "sgd"},
		{"initializer_seed", "9223372036854775807"}, {"conv_filters", ",,"}, {"vq_ema_decay", "0.999999"}, {"", ""}, {"/", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, raw string) {
		v, err := vaekit.ParseParam(key, raw)
		if err != nil {
			return
		}
		again, err := vaekit.CheckParam(key, v)
		if err != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("ParseParam(%q, %q) = %#v, but CheckParam of it gives %#v, %v", key, raw, v, again, err)
		}
	})
}

// A parameter a saved run lacks is its declared default: asking for another value is a change
// (a ReLU run is not a finished tanh run), asking for the default is not.
func TestRecipeChangesCountAMissingParameterAsItsDefault(t *testing.T) {
	// The discriminator's scoped parameters of a GAN run, as params.json lists them.
	gan := map[string]any{"/model": "gan", "/activation": "relu", "/discriminator/activation": "leaky_relu"}
	if got := vaekit.RecipeChanges(gan, map[string]any{"/model": "gan", "/discriminator/activation": "leaky_relu", "/discriminator/leaky_relu_alpha": 0.2}); !slices.Equal(got, []string{"discriminator/leaky_relu_alpha = 0.3, not 0.2"}) {
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
		if got := vaekit.RecipeChanges(saved, c.requested); !slices.Equal(got, c.want) {
			t.Errorf("RecipeChanges(%v): %q, want %q", c.requested, got, c.want)
		}
	}
}
