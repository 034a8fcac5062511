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

// WriteTable puts the measures of runs side by side, a row per measure with its unit and the
// images it is measured on, as `experiments table` prints them and a report tabulates them.
func ExampleWriteTable() {
	runs := []*experiments.Finished{
		{Metrics: experiments.Metrics{Experiment: "mnist-mlp-vae", Epochs: 20, Test: map[string]float64{"loss": 101.4, "kl": 24.4}, SecondsPerEpoch: 27.8, Backend: "Go Backend"}},
		{Metrics: experiments.Metrics{Experiment: "mnist-mlp-ae", Epochs: 20, Test: map[string]float64{"loss": 70.1}, SecondsPerEpoch: 25.1, Backend: "Go Backend"}},
	}
	if err := experiments.WriteTable(os.Stdout, runs); err != nil {
		panic(err)
	}
	// Output:
	// measure                  unit       on    mnist-mlp-vae  mnist-mlp-ae
	// epochs trained                            20             20
	// loss                     per image  test  101.40         70.1
	// kl                       per image  test  24.4
	// training time per epoch  seconds          27.8           25.1
	// backend                                   Go Backend     Go Backend
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

// WriteSampleMeasures sets the judge's view of two recorded models' samples beside their
// distances to the test images; the keras-io VAE trained on the test split (†), so its
// distances are to images it trained on.
func ExampleWriteSampleMeasures() {
	var runs []*experiments.Finished
	for _, name := range []string{"mnist-mlp-vae", "mnist-keras-vae"} {
		f, err := experiments.ReadFinished("../docs/records/" + name)
		if err != nil {
			panic(err)
		}
		runs = append(runs, f)
	}
	if err := experiments.WriteSampleMeasures(os.Stdout, runs...); err != nil {
		panic(err)
	}
	// Output:
	// run                        epochs  confidence  class entropy (nats)  score  Fréchet  kernel  precision  recall
	// mnist-mlp-vae (record)     20      0.867       2.284                 6.87   61.9     12.23   0.847      0.608
	// mnist-keras-vae† (record)  30      0.900       2.050                 5.87   219.5    33.14   0.977      0.009
	// 2,000 training images      -       -           -                     -      24.0     2.66    0.842      0.851
	// † trained on the test split's images too (mnist-keras-vae): distances to its test images are to images it trained on, not held out.
}
