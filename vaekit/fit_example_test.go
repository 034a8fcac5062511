package vaekit_test

import (
	"context"
	"fmt"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/training"
)

// barsSet is n 28x28 images of one bright bar, horizontal (class 0) or vertical (class 1), at
// one of 20 places: a data set small enough for an example to learn in a second.
func barsSet(n int) *datasets.Set {
	s := &datasets.Set{Name: "bars", N: n, Height: 28, Width: 28, Images: make([]float32, n*784),
		Labels: make([]int32, n), ClassNames: []string{"horizontal", "vertical"}}
	for i := range n {
		s.Labels[i] = int32(i % 2)
		at := 4 + (i/2)%20
		for j := range 28 {
			if s.Labels[i] == 0 {
				s.Image(i)[at*28+j] = 1
			} else {
				s.Image(i)[j*28+at] = 1
			}
		}
	}
	return s
}

// Every family trains through the one loop: a model (here the conditional VAE; vae.Model{},
// ae.Model{} and vqvae.Model{} train the same way), its hyperparameters in a store, and Fit,
// which evaluates every loss term on both sets after each epoch. With FitOptions.Dir it also
// saves a checkpoint and history.csv there, and resumes from them.
func ExampleTrainer_Fit() {
	store := model.NewStore()
	store.SetParams(map[string]any{
		vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{64}, vaekit.ParamLatentDim: 2,
		cvae.ParamNumClasses:    2,
		training.ParamOptimizer: "adam", training.ParamLearningRate: 3e-3,
		training.ParamBatchSize: 20, training.ParamEpochs: 8, training.ParamSeed: int64(1),
	})
	trainer, err := training.NewTrainer(backends.Go(), store, cvae.Model{})
	if err != nil {
		fmt.Println(err)
		return
	}
	train, test := barsSet(200), barsSet(40)
	history, err := trainer.Fit(context.Background(), train, test, training.FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	first, last := history.Rows[1], history.Rows[len(history.Rows)-1] // test rows of epochs 1 and 8
	fmt.Println("terms:", history.Terms)
	fmt.Println("epochs:", history.Epochs())
	fmt.Println("test loss fell by more than half:", history.Value(last, "loss") < history.Value(first, "loss")/2)
	// Output:
	// terms: [loss reconstruction kl]
	// epochs: 8
	// test loss fell by more than half: true
}
