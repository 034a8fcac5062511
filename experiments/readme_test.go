package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's table of experiments is ExperimentsTable, as `make results` writes it: a recipe
// changed or added without the table rewritten fails here (the binarized VAE's row once said
// batch 128, 50 epochs, after the recipe became the IWAE paper's batch 20, 1,093 epochs).
func TestReadmeTableIsTheRegistry(t *testing.T) {
	text, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	table, err := ExperimentsTable()
	if err != nil {
		t.Fatal(err)
	}
	want, err := spliceReadmeTable(text, table)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(text) {
		t.Errorf("the README's table of experiments is not the registry's: run `make results` (or `go run ./experiments/cmd/experiments list -readme README.md`)")
	}
}

// The table's cells come from the recipes: rows worked out by hand from recipes.go.
func TestExperimentsTableRows(t *testing.T) {
	table, err := ExperimentsTable()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		"| `mnist-mlp-vae` | MLP VAE 784-512-256-20 on MNIST (the reference tutorial) | MNIST, 60,000 train / 10,000 test | Adam 1e-3, batch 128, 20 epochs; test NLL with k = 1,000 |",
		"| `fashion-conv-vae` | convolutional VAE, latent 2, on Fashion-MNIST (the reference tutorial) | Fashion-MNIST, all 70,000 images (no test images held out) | RMSprop 1e-3, batch 64, 100 epochs |",
		"| `mnist-dcgan` | DCGAN-style GAN whose generator is the conv VAE decoder (latent 2), on all 70,000 MNIST images | MNIST, all 70,000 images (no test images held out) | Adam 2e-4 (beta1 0.5), batch 128, 30 epochs |",
		"| `mnist-binarized-vae` | MLP VAE 784-200-200-50 (tanh) on dynamically binarized MNIST, the likelihood benchmark (IWAE paper) | MNIST, dynamically binarized, 60,000 train / 10,000 test | Adam 1e-3 (epsilon 1e-4), schedule iwae (7 stages), batch 20, 1,093 epochs; test NLL with k = 5,000 |",
		"| `mnist-vqvae` | VQ-VAE, 7x7 grid of 16-d codes from 128, on MNIST (keras-io) | MNIST, 60,000 train / 10,000 test | Adam 1e-3, batch 128, 30 epochs; PixelCNN code prior: Adam 3e-4, batch 128, 20 epochs |",
	} {
		if !strings.Contains(table, row+"\n") {
			t.Errorf("the table lacks the row\n%s\nit is:\n%s", row, table)
		}
	}
	if n := strings.Count(table, "\n| `"); n != len(Registry) {
		t.Errorf("the table has %d rows of experiments, the registry %d", n, len(Registry))
	}
}

// A README without the markers is refused and left as it was.
func TestWriteReadmeTableRefusesReadmeWithoutMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	orig := "# a README\n\nno table here\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteReadmeTable(path)
	if err == nil || !strings.Contains(err.Error(), "no experiments table: expected the line") {
		t.Fatalf("WriteReadmeTable without markers: %v, expected the refusal naming the markers", err)
	}
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Errorf("the refused README was changed to %q", got)
	}
}
