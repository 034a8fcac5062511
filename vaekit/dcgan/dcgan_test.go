package dcgan_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/dcgan"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

func images(n int) *tensors.Tensor {
	return testutil.RandomTensor(rand.New(rand.NewPCG(1, 2)), n, 28, 28, 1)
}

// The DCGAN is a sampler with a noise prior, documented units, convolutional whatever its
// parameters, and two players.
func TestCapabilities(t *testing.T) {
	m, err := vaekit.FamilyByName("dcgan")
	if err != nil {
		t.Fatal(err)
	}
	_, sampler := m.(vaekit.Sampler)
	_, documented := m.(vaekit.Documented)
	_, conv := m.(vaekit.ConvolutionalOnly)
	_, encoder := m.(vaekit.Encoder)
	_, likelihood := m.(vaekit.Likelihood)
	adv, adversarial := m.(vaekit.Adversarial)
	if !sampler || !documented || !conv || !adversarial || encoder || likelihood {
		t.Errorf("dcgan: sampler %v, documented %v, convolutional %v, adversarial %v, encoder %v, likelihood %v; want the first four only",
			sampler, documented, conv, adversarial, encoder, likelihood)
	}
	if adversarial && len(adv.Players()) != 2 {
		t.Errorf("players %v, want the discriminator and the generator", adv.Players())
	}
}

// The tutorial's model summaries, worked out layer by layer: generator Dense 100 -> 7*7*256
// without bias (1,254,400), BatchNorm scale and offset (25,088), ConvTranspose 5x5 256 -> 128
// (819,200) with BatchNorm (256), 5x5 128 -> 64 (204,800) with BatchNorm (128), 5x5 64 -> 1
// (1,600): 2,305,472 trainable. Discriminator Conv 5x5 1 -> 64 with bias (1,664), 5x5 64 ->
// 128 (204,928), Dense 7*7*128 -> 1 (6,273): 212,865. Size counts the same before any weight
// exists, and one training step moves every trainable variable, each under one player.
func TestTheTutorialsWeights(t *testing.T) {
	params := map[string]any{vaekit.ParamLatentDim: 100, training.ParamBatchSize: 2, training.ParamSeed: int64(1)}
	store := model.NewStore()
	store.SetParams(params)
	tr, err := training.NewTrainer(backends.Go(), store, dcgan.Model{})
	if err != nil {
		t.Fatal(err)
	}
	labels := tensors.FromFlatDataAndDimensions(make([]int32, 2), 2)
	if _, err := tr.TrainStep(images(2), labels); err != nil {
		t.Fatal(err)
	}
	before := map[string][]float32{}
	counts := map[string]int{}
	for v := range store.IterVariables() {
		if v.Trainable {
			before[v.Path()] = tensors.MustCopyFlatData[float32](v.MustValue())
		}
	}
	if _, err := tr.TrainStep(images(2), labels); err != nil {
		t.Fatal(err)
	}
	for v := range store.IterVariables() {
		if !v.Trainable {
			continue
		}
		player, _, _ := strings.Cut(strings.TrimPrefix(v.Path(), "/"), "/")
		counts[player] += v.Shape().Size()
		after := tensors.MustCopyFlatData[float32](v.MustValue())
		moved := false
		for i := range after {
			moved = moved || after[i] != before[v.Path()][i]
		}
		if !moved {
			t.Errorf("a training step left %s unchanged", v.Path())
		}
	}
	want := map[string]int{"generator": 2_305_472, "discriminator": 212_865}
	for player, n := range want {
		if counts[player] != n {
			t.Errorf("%s: %d trainable values, want %d", player, counts[player], n)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("trainable values by scope %v: want only the two players", counts)
	}
	p, err := paramtable.CheckAll("dcgan", params)
	if err != nil {
		t.Fatal(err)
	}
	if got := (dcgan.Model{}).Size(p, "dcgan", []int{28, 28, 1}).Weights; got != 2_305_472+212_865 {
		t.Errorf("Size: %d weights, want %d", got, 2_305_472+212_865)
	}
}

// Generate draws on [-1, 1] (tanh) and Decode maps it to [0, 1]: Decode = (Generate + 1) / 2.
func TestDecodeIsTheGeneratorOnZeroToOne(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{vaekit.ParamLatentDim: 4, dcgan.ParamGeneratorFilters: []int{8, 4, 2},
		dcgan.ParamDiscriminatorFilters: []int{2, 4}, training.ParamSeed: int64(1)})
	z := tensors.FromFlatDataAndDimensions([]float32{3, -2, 1, 0.5, -1, 2, 0, 4}, 2, 4)
	var res []*tensors.Tensor
	for _, f := range []func(*model.Scope, *Node) *Node{dcgan.Generate, func(scope *model.Scope, z *Node) *Node {
		return dcgan.Model{}.Decode(scope, z, nil)
	}} {
		exec, err := model.NewExec(backends.Go(), store, f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(z)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, out[0])
	}
	if dims := res[0].Shape().Dimensions; len(dims) != 4 || dims[0] != 2 || dims[1] != 28 || dims[2] != 28 || dims[3] != 1 {
		t.Fatalf("generated shape %v, want [2 28 28 1]", dims)
	}
	g, d := tensors.MustCopyFlatData[float32](res[0]), tensors.MustCopyFlatData[float32](res[1])
	if slices.Min(g) >= 0 {
		t.Errorf("generated pixels all >= 0 (min %g): want tanh's range, negative below the mean", slices.Min(g))
	}
	for i := range g {
		if g[i] < -1 || g[i] > 1 || d[i] < 0 || d[i] > 1 || abs(d[i]-(g[i]+1)/2) > 1e-6 {
			t.Fatalf("pixel %d: generated %g, decoded %g: want generated on [-1, 1] and decoded (generated + 1) / 2", i, g[i], d[i])
		}
	}
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// Filters that do not halve the image evenly are refused with the parameter's name.
func TestRefusesAGridTheImageDoesNotHalveTo(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{dcgan.ParamGeneratorFilters: []int{8, 8, 8, 8}, training.ParamSeed: int64(1)})
	exec, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, z *Node) *Node { return dcgan.Generate(scope, z) })
	if err == nil {
		_, err = exec.Exec(tensors.FromFlatDataAndDimensions(make([]float32, 200), 2, 100))
	}
	if err == nil || !strings.Contains(err.Error(), "not divisible by 2^3") || !strings.Contains(err.Error(), dcgan.ParamGeneratorFilters) {
		t.Errorf("error %v: want it to name %q and the 2^3 that 28 does not divide", err, dcgan.ParamGeneratorFilters)
	}
}

// A generator list without a transposed convolution is refused before any work, with its name.
func TestRefusesAGeneratorWithoutTransposedConvolutions(t *testing.T) {
	_, err := paramtable.CheckAll("dcgan", map[string]any{dcgan.ParamGeneratorFilters: []int{64}})
	if err == nil || !strings.Contains(err.Error(), dcgan.ParamGeneratorFilters) || !strings.Contains(err.Error(), "two or more") {
		t.Errorf("error %v: want one naming %s and the two values it needs", err, dcgan.ParamGeneratorFilters)
	}
	if _, err := paramtable.CheckAll("dcgan", map[string]any{dcgan.ParamGeneratorFilters: []int{64, 32}}); err != nil {
		t.Errorf("two values refused: %v", err)
	}
}
