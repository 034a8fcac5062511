package experiments_test

import (
	"fmt"
	"os"

	"github.com/vaekit/vaekit/experiments"
)

func ExampleLookup() {
	exp, err := experiments.Lookup("mnist-mlp-vae")
	if err != nil {
		panic(err)
	}
	fmt.Println(exp.Model, exp.Data, exp.Params["latent_dim"])
	// Output: vae mnist 20
}

// WriteTable puts the test metrics of runs side by side, as `experiments table` prints them.
func ExampleWriteTable() {
	runs := []*experiments.Finished{
		{Metrics: experiments.Metrics{Experiment: "mnist-mlp-vae", Epochs: 20, Test: map[string]float64{"loss": 101.4, "kl": 24.4}, SecondsPerEpoch: 27.8, Backend: "Go Backend"}},
		{Metrics: experiments.Metrics{Experiment: "mnist-mlp-ae", Epochs: 20, Test: map[string]float64{"loss": 70.1}, SecondsPerEpoch: 25.1, Backend: "Go Backend"}},
	}
	if err := experiments.WriteTable(os.Stdout, runs); err != nil {
		panic(err)
	}
	// Output:
	// run            epochs  test loss  test kl  s/epoch  backend
	// mnist-mlp-vae  20      101.40     24.4     27.8     Go Backend
	// mnist-mlp-ae   20      70.1                25.1     Go Backend
}

// A recorded model opened from its committed weights, without training: here the MLP VAE of
// docs/RESULTS.md, whose samples a notebook can draw at once.
func ExampleOpenRecord() {
	t, err := experiments.OpenRecord("mnist-mlp-vae", experiments.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	samples, err := t.Samples(4, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s after %d epochs: %d samples of %d pixels\n", t.Experiment.Name, t.History.Epochs(), len(samples), len(samples[0]))
	_, err = experiments.OpenRecord("no-such-run", experiments.Options{})
	fmt.Println(err)
	// Output:
	// mnist-mlp-vae after 20 epochs: 4 samples of 784 pixels
	// no record "no-such-run" in docs/records of this folder or any above it
}
