package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/vae"
)

func main() {
	b, desc, err := vaekit.NewBackend()
	if err != nil {
		panic(err)
	}
	fmt.Println(desc)
	tr, err := datasets.Load(datasets.FashionMNIST, datasets.Train, datasets.Options{})
	if err != nil {
		panic(err)
	}
	te, _ := datasets.Load(datasets.FashionMNIST, datasets.Test, datasets.Options{})
	store := model.NewStore()
	arch := os.Args[1]
	store.SetParams(map[string]any{vaekit.ParamArchitecture: arch, vaekit.ParamBatchSize: 64, vaekit.ParamOptimizer: "rmsprop", vaekit.ParamEpochs: 1, vaekit.ParamSeed: int64(1), vaekit.ParamLatentDim: 2})
	if arch == "mlp" {
		store.SetParams(map[string]any{vaekit.ParamBatchSize: 128, vaekit.ParamOptimizer: "adam", vaekit.ParamLatentDim: 20})
	}
	t, err := vaekit.NewTrainer(b, store, vae.Model{})
	if err != nil {
		panic(err)
	}
	start := time.Now()
	h, err := t.Fit(context.Background(), tr, te.Subset(1000), vaekit.FitOptions{Progress: os.Stderr, MaxSteps: 200})
	fmt.Println(time.Since(start), err, h.Terms)
}
