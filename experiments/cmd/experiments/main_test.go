package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/testutil"
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
		{"negative epochs", []string{"run", "-epochs", "-1", "mnist-mlp-vae"}, "-epochs -1, -max-steps 0, -nll-samples 0: expected zero or more"},
		{"setting without =", []string{"run", "-set", "latent_dim", "mnist-mlp-vae"}, `parameter setting "latent_dim": expected key=value`},
		{"bad list", []string{"run", "-set", "mlp_hidden=512,x", "mnist-mlp-vae"}, `parameter mlp_hidden="512,x": expected a comma-separated list of integers, each >= 1`},
		{"unknown parameter", []string{"run", "-runs", runs, "-set", "latnet_dim=2", "mnist-mlp-vae"}, `unknown parameter "latnet_dim": did you mean "latent_dim"?`},
		{"learning rate not a number", []string{"run", "-runs", runs, "-set", "learning_rate=abc", "mnist-mlp-vae"}, `parameter learning_rate="abc": expected a number > 0`},
		{"negative learning rate", []string{"run", "-runs", runs, "-set", "learning_rate=-0.1", "mnist-mlp-vae"}, `parameter learning_rate="-0.1": expected a number > 0`},
		{"fractional latent size", []string{"run", "-runs", runs, "-set", "latent_dim=1.5", "mnist-mlp-vae"}, `parameter latent_dim="1.5": expected an integer >= 1`},
		{"latent size the figures cannot draw", []string{"run", "-runs", runs, "-set", "latent_dim=1", "mnist-mlp-vae"}, `parameter latent_dim = 1: the figures of a run need a latent size of at least 2`},
		{"internal parameter", []string{"run", "-runs", runs, "-set", "image_shape=28,28,1", "mnist-mlp-vae"}, `parameter "image_shape" is set by vaekit itself`},
		{"parameter of another family", []string{"run", "-runs", runs, "-set", "vae_beta=4", "mnist-vqvae"}, `parameter "vae_beta" is read by cvae, vae, not by the vqvae model`},
		{"batch larger than the data", []string{"run", "-runs", runs, "-set", "batch_size=60001", "mnist-mlp-vae"}, `parameter batch_size = 60001: larger than the 60000 training images`},
		{"batch larger than a quick subset", []string{"run", "-runs", runs, "-quick", "-set", "batch_size=600", "mnist-mlp-vae"}, `parameter batch_size = 600: larger than the 512 training images`},
		{"unknown optimizer", []string{"run", "-runs", runs, "-quick", "-set", "optimizer=adagrad", "mnist-mlp-vae"}, `parameter optimizer="adagrad": expected one of adam, rmsprop, sgd`},
		{"zero batch", []string{"run", "-runs", runs, "-quick", "-set", "batch_size=0", "mnist-mlp-vae"}, `parameter batch_size="0": expected an integer >= 1`},
		{"custom without model", []string{"run", "-runs", runs, "-dataset", "mnist", "custom"}, `unknown model "": expected one of [ae `},
		{"custom with unknown data", []string{"run", "-runs", runs, "-model", "vae", "-dataset", "cifar", "custom"}, `unknown data set "cifar": expected one of [fashion-mnist mnist`},
		{"conv layers the image cannot halve", []string{"run", "-runs", runs, "-set", "architecture=conv", "-set", "conv_filters=8,16,32", "mnist-mlp-vae"},
			`data set mnist: images 28x28: the 3 stride-2 convolutions of conv_filters = [8 16 32] need a height and width divisible by 8`},
		// 784*512+512 + 512*256+256 (encoder) + 2*(256*1e8+1e8) (mean, log-variance) +
		// 1e8*256+256 + 256*512+512 + 512*784+784 (decoder) = 77,001,067,280 weights.
		{"a latent the machine cannot hold", []string{"run", "-runs", runs, "-set", "latent_dim=100000000", "mnist-mlp-vae"},
			`GiB to train (77001067280 weights, with their gradients`},
		{"a codebook the machine cannot hold", []string{"run", "-runs", runs, "-set", "vq_num_codes=2000000000", "mnist-vqvae"},
			`GiB to train (32000`},
		{"a folder without images", []string{"run", "-runs", runs, "-data-dir", runs, "-model", "vae", "custom"}, `holds no PNG files`},
		{"a folder for a named experiment", []string{"run", "-runs", runs, "-data-dir", runs, "mnist-mlp-vae"}, `expected the experiment named custom`},
		{"missing data folder", []string{"run", "-runs", runs, "-data", "/no/such/folder", "mnist-mlp-vae"}, `data directory "/no/such/folder" does not exist`},
		{"zero latent size", []string{"run", "-runs", runs, "-quick", "-set", "latent_dim=0", "mnist-mlp-vae"}, `parameter latent_dim="0": expected an integer >= 1`},
		{"zero hidden width", []string{"run", "-runs", runs, "-quick", "-set", "mlp_hidden=0,5", "mnist-mlp-ae"}, `parameter mlp_hidden="0,5": expected a comma-separated list of integers, each >= 1`},
		{"negative codebook", []string{"run", "-runs", runs, "-quick", "-set", "vq_num_codes=-3", "mnist-vqvae"}, `parameter vq_num_codes="-3": expected an integer >= 1`},
		{"unknown architecture", []string{"run", "-runs", runs, "-quick", "-set", "architecture=cnn", "mnist-mlp-vae"}, `parameter architecture="cnn": expected one of mlp, conv`},
		{"unknown reconstruction", []string{"run", "-runs", runs, "-quick", "-set", "reconstruction=l1", "mnist-mlp-vae"}, `parameter reconstruction="l1": expected one of bernoulli, mse, mse_linear`},
		{"unknown cvae form", []string{"run", "-runs", runs, "-quick", "-set", "cvae_form=both", "mnist-prior-cvae"}, `parameter cvae_form="both": expected one of concat, prior`},
		{"re-seeding without ema", []string{"run", "-runs", runs, "-quick", "-set", "vq_reseed_after=5", "mnist-vqvae"}, `parameter vq_reseed_after = 5 needs vq_codebook_update = ema`},
		{"unknown NaN policy", []string{"run", "-runs", runs, "-quick", "-on-nan", "ignore", "mnist-mlp-vae"}, `parameter on_nan = "ignore": expected one of stop, skip`},
		{"runs folder cannot be made", []string{"run", "-check", "-runs", filepath.Join(notAFolder, "runs"), "mnist-mlp-vae"}, "is not a directory"},
		{"runs folder cannot be made (run)", []string{"run", "-runs", filepath.Join(notAFolder, "runs"), "mnist-mlp-vae"}, "not a directory"},
		{"unknown family's parameters", []string{"params", "svm"}, `unknown model "svm"`},
		{"report too narrow", []string{"report", "-width", "2", "-o", filepath.Join(runs, "report"), runs}, "figure width 2 cm: expected 5 to 60"},
		{"gallery without runs", []string{"gallery", "-o", filepath.Join(runs, "g.md")}, "usage:"},
		{"report at 10 dpi", []string{"report", "-dpi", "10", "-o", filepath.Join(runs, "report"), runs}, "figure resolution 10 dpi: expected 50 to 1200"},
		{"samples table flag on a report", []string{"report", "-samples", "-o", filepath.Join(runs, "report"), runs}, "-samples is a flag of `experiments table`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("VAEKIT_DATA_DIR", "/no/such/data") // no case may need data: each fails before
			err := run(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

// What the three defects of issue 17 asked for works, with -check, which stops before the data.
func TestSettingsParsedByType(t *testing.T) {
	runs := t.TempDir()
	t.Setenv("VAEKIT_DATA_DIR", "/no/such/data")
	for _, args := range [][]string{
		{"run", "-check", "-runs", runs, "-set", "mlp_hidden=400", "mnist-mlp-vae"},  // a list of one
		{"run", "-check", "-runs", runs, "-set", "mlp_hidden=400,", "mnist-mlp-vae"}, // the same
		{"run", "-check", "-runs", runs, "-set", "learning_rate=1", "mnist-mlp-vae"}, // a float
		{"run", "-check", "-runs", runs, "-set", "/discriminator/activation=relu", "mnist-dcgan"},
		{"params"}, {"params", "vqvae"}, {"list"},
	} {
		if err := run(args); err != nil {
			t.Errorf("run(%q): %v", args, err)
		}
	}
	if entries, _ := os.ReadDir(runs); len(entries) != 0 {
		t.Errorf("-check wrote %d entries into the runs folder", len(entries))
	}
}

// FuzzArguments drives the command line with random commands, flags, names and values: every
// input ends in success or in an error, never in a panic (main turns an error into exit status
// 1). Runs stop after their checks (checkOnlyForTests), so nothing trains. make test runs it for
// a bounded time; the seeds below are its corpus.
func FuzzArguments(f *testing.F) {
	for _, seed := range []string{
		"list", "params", "params vae", "params svm", "table", "table /no/such/run",
		"run mnist-mlp-vae", "run -quick fashion-conv-vae", "run -set latent_dim=1.5 mnist-mlp-vae",
		"run -set learning_rate=abc mnist-mlp-vae", "run -set mlp_hidden=400 mnist-mlp-vae",
		"run -set mlp_hidden=400, mnist-mlp-vae", "run -set /discriminator/activation=leaky_relu mnist-dcgan",
		"run -model vae -dataset mnist -set architecture=conv -set conv_filters=16,32 custom",
		"run -epochs -3 -max-steps x mnist-vqvae", "run -set vq_reseed_after=5 -set vq_codebook_update=ema mnist-vqvae",
		"run -set =3 mnist-mlp-vae", "run -set batch_size=1e9 mnist-mlp-vae", "run -set initializer_seed=-9223372036854775808 mnist-mlp-vae",
		"run -set conv_filters=,,, mnist-vqvae", "run -on-nan skip -set vae_beta=NaN mnist-mlp-vae", "run -set adam_beta1=1 mnist-dcgan",
	} {
		f.Add(seed)
	}
	checkOnlyForTests = true
	f.Cleanup(func() { checkOnlyForTests = false })
	runs := f.TempDir()
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) > 0 {
			switch args[0] {
			case "reproduce", "results", "report", "html": // they write files by design
				return
			case "run":
				args = append([]string{"run", "-runs", runs}, args[1:]...)
			}
		}
		t.Setenv("VAEKIT_DATA_DIR", "/no/such/data")
		_ = run(args) // an error is a fine answer; a panic fails the fuzz test
	})
}

// The command line does not link GoNB (package notebook holds everything notebooks need of it).
func TestCommandLineDoesNotLinkGoNB(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "janpfeifer/gonb") {
			t.Errorf("the command line links %s", dep)
		}
	}
}

// `report -width -dpi` redraws a run's figures at that size into the report, and leaves the
// run's own figures as they were.
func TestReportRedrawsAtTheSizeAsked(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a quick run")
	}
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist"); err != nil && os.Getenv("VAEKIT_REQUIRE_DATA") != "1" {
		t.Skip("data not installed (run `make data`)")
	}
	runs := t.TempDir()
	if err := run([]string{"run", "-quick", "-runs", runs, "mnist-mlp-vae"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(runs, "mnist-mlp-vae")
	own, err := os.ReadFile(filepath.Join(dir, "figures", "samples.png"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	if err := run([]string{"report", "-width", "10", "-dpi", "72", "-o", out, dir}); err != nil {
		t.Fatal(err)
	}
	got := testutil.PNGWidth(t, filepath.Join(out, "figures", "mnist-mlp-vae", "loss_curves.png"))
	width, dpi := 10.0, 72.0
	if want := int(width / 2.54 * dpi); got < want-1 || got > want+1 {
		t.Errorf("redrawn loss curves %d pixels wide, want %d (10 cm at 72 dpi)", got, want)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "figures", "samples.png")); !bytes.Equal(after, own) {
		t.Error("the report changed the run's own figures")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(out, ".redraw-*")); len(leftovers) > 0 {
		t.Errorf("scratch folders left in the report: %v", leftovers)
	}
	// The gallery: one section per figure kind the run draws, each pointing at a drawn file.
	page := filepath.Join(t.TempDir(), "figures.md")
	if err := run([]string{"gallery", "-o", page, dir}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"loss_curves", "reconstructions", "samples", "label_clusters", "interpolation"} {
		rel := "figures/mnist-mlp-vae-" + kind + ".png"
		if !strings.Contains(string(text), "("+rel+")") {
			t.Errorf("the gallery does not show %s", kind)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(page), rel)); err != nil {
			t.Errorf("gallery figure: %v", err)
		}
	}
	if !strings.Contains(string(text), "Not drawn by these runs: ") {
		t.Error("the gallery does not say which kinds no run drew")
	}
}
