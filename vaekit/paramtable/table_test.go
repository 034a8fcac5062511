package paramtable_test

import (
	"reflect"
	"strings"
	"testing"

	_ "github.com/vaekit/vaekit/vaekit/ae" // the families register what they read
	_ "github.com/vaekit/vaekit/vaekit/cvae"
	_ "github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	_ "github.com/vaekit/vaekit/vaekit/vqvae"
)

func TestParse(t *testing.T) {
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
			got, err := paramtable.Parse(tt.key, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q, %q) = %v, %v; want an error containing %q", tt.key, tt.raw, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q, %q) = %#v, %v; want %#v", tt.key, tt.raw, got, err, tt.want)
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
		got, err := paramtable.Check(tt.key, tt.value)
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

func TestCheckAllFamiliesAndRules(t *testing.T) {
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
		_, err := paramtable.CheckAll(tt.family, tt.params)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckAll(%q, %v) = %v, want %q", tt.family, tt.params, err, tt.wantErr)
		}
	}
}

func TestRangeString(t *testing.T) {
	tests := map[string]paramtable.Range{
		"any": {}, "> 0": paramtable.Above(0), ">= 1": paramtable.AtLeast(1), "[0, 1)": paramtable.AtLeast(0).Below(1), "(0, 2.5]": paramtable.Above(0).AtMost(2.5),
	}
	for want, r := range tests {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", r, got, want)
		}
	}
}

// FuzzParse: any name and text give a value or an error, never a panic; a value accepted
// is accepted again as it comes out (what the store holds is what the check allows).
func FuzzParse(f *testing.F) {
	for _, s := range [][2]string{{"mlp_hidden", "400,"}, {"learning_rate", "abc"}, {"latent_dim", "1.5"}, {"/a/b/optimizer", "sgd"},
		{"initializer_seed", "9223372036854775807"}, {"conv_filters", ",,"}, {"vq_ema_decay", "0.999999"}, {"", ""}, {"/", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, raw string) {
		v, err := paramtable.Parse(key, raw)
		if err != nil {
			return
		}
		again, err := paramtable.Check(key, v)
		if err != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("Parse(%q, %q) = %#v, but Check of it gives %#v, %v", key, raw, v, again, err)
		}
	})
}

// A family that lists a parameter every family reads (an image shape, an optimizer setting) in
// its registration does not make the parameter its own: the other families still read it.
func TestRegisteringAReaderOfAParameterEveryFamilyReads(t *testing.T) {
	paramtable.Declare(paramtable.Spec{Name: "test_read_by_every_family", Kind: paramtable.KindInt, Default: 1})
	if err := paramtable.RegisterReader("test_family_listing_it", []string{"test_read_by_every_family"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, family := range []string{"test_family_listing_it", "vae", "classifier"} {
		if !paramtable.Reads(family, "test_read_by_every_family") {
			t.Errorf("%s does not read a parameter every family reads, after another family registered it", family)
		}
	}
}
