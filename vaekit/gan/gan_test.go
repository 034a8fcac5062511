package gan_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

func convParams() map[string]any {
	return map[string]any{vaekit.ParamArchitecture: vaekit.ArchConv, vaekit.ParamConvFilters: []int{8, 16},
		vaekit.ParamLatentDim: 2, training.ParamBatchSize: 8, training.ParamSeed: int64(1),
		"/discriminator/" + vaekit.ParamActivation: "leaky_relu"}
}

func images(n int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, n*28*28)
	for i := range data {
		data[i] = rng.Float32()
	}
	return tensors.FromFlatDataAndDimensions(data, n, 28, 28, 1)
}

// The terms are the binary cross-entropies of the scores they report, per example:
// discriminator = -ln D(x) - ln(1 - D(G(z))), generator = -ln D(G(z)), loss their sum.
func TestTermsAreCrossEntropiesOfTheScores(t *testing.T) {
	store := model.NewStore()
	store.SetParams(convParams())
	exec, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, x *Node) []*Node {
		terms := gan.Model{}.Loss(scope, x, nil)
		out := make([]*Node, len(terms))
		for i, term := range terms {
			out[i] = term.Value
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Exec(images(8))
	if err != nil {
		t.Fatal(err)
	}
	v := make([][]float32, len(res))
	for i, r := range res {
		v[i] = tensors.MustCopyFlatData[float32](r)
	}
	loss, d, g, realScore, fakeScore := v[0], v[1], v[2], v[3], v[4]
	for i := range loss {
		wantD := -math.Log(float64(realScore[i])) - math.Log(1-float64(fakeScore[i]))
		wantG := -math.Log(float64(fakeScore[i]))
		if math.Abs(float64(d[i])-wantD) > 1e-4 || math.Abs(float64(g[i])-wantG) > 1e-4 || math.Abs(float64(loss[i]-d[i]-g[i])) > 1e-4 {
			t.Errorf("example %d: loss %g, discriminator %g (want %g), generator %g (want %g)", i, loss[i], d[i], wantD, g[i], wantG)
		}
		if !(realScore[i] > 0 && realScore[i] < 1 && fakeScore[i] > 0 && fakeScore[i] < 1) {
			t.Errorf("example %d: scores %g, %g outside (0, 1)", i, realScore[i], fakeScore[i])
		}
	}
}

// The generator is the VAE's decoder: the same variables, with the same shapes, under
// /generator; every trainable variable belongs to one of the two players, and one training
// step moves all of them.
func TestGeneratorIsTheVAEDecoderAndBothPlayersTrain(t *testing.T) {
	store := model.NewStore()
	store.SetParams(convParams())
	tr, err := training.NewTrainer(backends.Go(), store, gan.Model{})
	if err != nil {
		t.Fatal(err)
	}
	x := images(8)
	labels := tensors.FromFlatDataAndDimensions(make([]int32, 8), 8)
	if _, err := tr.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	before := trainable(store)
	if _, err := tr.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	after := trainable(store)
	var generator []string
	for path, v := range after {
		if !strings.HasPrefix(path, "/generator/") && !strings.HasPrefix(path, "/discriminator/") {
			t.Errorf("trainable variable %s belongs to neither player", path)
		}
		if slices.Equal(v, before[path]) {
			t.Errorf("a training step left %s unchanged", path)
		}
		if strings.HasPrefix(path, "/generator/") && !strings.Contains(path, "/optimizers/") && !strings.Contains(path, "/adam/") {
			generator = append(generator, strings.TrimPrefix(path, "/generator"))
		}
	}

	vaeStore := model.NewStore()
	vaeStore.SetParams(convParams())
	vaeTrainer, err := training.NewTrainer(backends.Go(), vaeStore, vae.Model{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vaeTrainer.TrainStep(images(8), tensors.FromFlatDataAndDimensions(make([]int32, 8), 8)); err != nil {
		t.Fatal(err)
	}
	var decoder []string
	for path := range trainable(vaeStore) {
		if strings.HasPrefix(path, "/decoder/") {
			decoder = append(decoder, path)
		}
	}
	slices.Sort(generator)
	slices.Sort(decoder)
	if len(decoder) == 0 || !slices.Equal(generator, decoder) {
		t.Errorf("generator variables %v, want the VAE decoder's %v", generator, decoder)
	}
	for _, path := range decoder {
		g, d := store.GetVariable("/generator"+path), vaeStore.GetVariable(path)
		if !g.Shape().Equal(d.Shape()) {
			t.Errorf("%s: generator %s, VAE decoder %s", path, g.Shape(), d.Shape())
		}
	}
}

func trainable(store *model.Store) map[string][]float32 {
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if v.Trainable {
			out[v.Path()] = tensors.MustCopyFlatData[float32](v.MustValue())
		}
	}
	return out
}
