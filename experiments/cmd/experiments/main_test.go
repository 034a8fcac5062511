package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every wrong argument gets one error that names what was wrong and what is allowed, before any
// training starts.
func TestBadArguments(t *testing.T) {
	runs := t.TempDir()
	// A runs folder that cannot be created: its parent is a file (fails for root too, unlike a
	// read-only folder).
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no command", nil, "usage:"},
		{"unknown command", []string{"train"}, "usage:"},
		{"no experiment", []string{"run"}, "usage:"},
		{"unknown experiment", []string{"run", "-runs", runs, "mnist-gan"}, `unknown experiment "mnist-gan": expected one of fashion-conv-vae`},
		{"negative epochs", []string{"run", "-epochs", "-1", "mnist-mlp-vae"}, "-epochs -1, -max-steps 0: expected zero or more"},
		{"setting without =", []string{"run", "-set", "latent_dim", "mnist-mlp-vae"}, `parameter setting "latent_dim": expected key=value`},
		{"bad list", []string{"run", "-set", "mlp_hidden=512,x", "mnist-mlp-vae"}, `a list must hold integers, "x" is not one`},
		{"unknown parameter", []string{"run", "-runs", runs, "-set", "latnet_dim=2", "mnist-mlp-vae"}, `unknown parameter "latnet_dim": expected one of`},
		{"unknown optimizer", []string{"run", "-runs", runs, "-quick", "-set", "optimizer=adagrad", "mnist-mlp-vae"}, `"optimizer" = "adagrad": expected one of [adam rmsprop sgd]`},
		{"zero batch", []string{"run", "-runs", runs, "-quick", "-set", "batch_size=0", "mnist-mlp-vae"}, `"batch_size" = 0: expected a positive batch size`},
		{"custom without model", []string{"run", "-runs", runs, "-dataset", "mnist", "custom"}, `unknown model "": expected one of [ae classifier cvae gan vae vqvae]`},
		{"custom with unknown data", []string{"run", "-runs", runs, "-model", "vae", "-dataset", "cifar", "custom"}, `unknown data set "cifar": expected one of [mnist fashion-mnist]`},
		{"missing data folder", []string{"run", "-runs", runs, "-data", "/no/such/folder", "mnist-mlp-vae"}, `data directory "/no/such/folder" does not exist`},
		{"zero latent size", []string{"run", "-runs", runs, "-quick", "-set", "latent_dim=0", "mnist-mlp-vae"}, `epoch 1 step 1: building the model: vaekit: parameter "latent_dim" = 0: expected a positive size`},
		{"zero hidden width", []string{"run", "-runs", runs, "-quick", "-set", "mlp_hidden=0,5", "mnist-mlp-ae"}, `building the model: vaekit: parameter "mlp_hidden" = 0: expected a positive size`},
		{"negative codebook", []string{"run", "-runs", runs, "-quick", "-set", "vq_num_codes=-3", "mnist-vqvae"}, `building the model: vqvae: parameters "vq_num_codes" = -3 and "vq_code_dim" = 16: expected positive sizes`},
		{"unknown architecture", []string{"run", "-runs", runs, "-quick", "-set", "architecture=cnn", "mnist-mlp-vae"}, `parameter "architecture" = "cnn": expected "mlp" or "conv"`},
		{"unknown reconstruction", []string{"run", "-runs", runs, "-quick", "-set", "reconstruction=l1", "mnist-mlp-vae"}, `parameter "reconstruction" = "l1": expected one of [bernoulli mse mse_linear]`},
		{"unknown cvae form", []string{"run", "-runs", runs, "-quick", "-set", "cvae_form=both", "mnist-prior-cvae"}, `parameter "cvae_form" = "both": expected "concat" or "prior"`},
		{"re-seeding without ema", []string{"run", "-runs", runs, "-quick", "-set", "vq_reseed_after=5", "mnist-vqvae"}, `parameter "vq_reseed_after" = 5: expected 0, or a positive number of steps with "vq_codebook_update" = "ema"`},
		{"unknown NaN policy", []string{"run", "-runs", runs, "-quick", "-on-nan", "ignore", "mnist-mlp-vae"}, `parameter "on_nan" = "ignore": expected one of [stop skip]`},
		{"runs folder cannot be made", []string{"run", "-runs", filepath.Join(notAFolder, "runs"), "mnist-mlp-vae"}, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
