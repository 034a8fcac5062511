package pixelcnn_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

func TestKernelMask(t *testing.T) {
	tests := []struct {
		k    int
		kind string
		want [][]float32
	}{
		{3, pixelcnn.MaskA, [][]float32{{1, 1, 1}, {1, 0, 0}, {0, 0, 0}}},
		{3, pixelcnn.MaskB, [][]float32{{1, 1, 1}, {1, 1, 0}, {0, 0, 0}}},
		{1, pixelcnn.MaskA, [][]float32{{0}}},
		{1, pixelcnn.MaskB, [][]float32{{1}}},
	}
	for _, tt := range tests {
		got := pixelcnn.KernelMask(tt.k, tt.kind)
		for i := range tt.want {
			if !slices.Equal(got[i], tt.want[i]) {
				t.Errorf("KernelMask(%d, %s) = %v, want %v", tt.k, tt.kind, got, tt.want)
				break
			}
		}
	}
}

// smallPrior is a prior over 5x5 grids of 6 codes, small enough to train in a test.
func smallPrior(conditional bool) map[string]any {
	return map[string]any{vaekit.ParamImageShape: []int{5, 5, 1}, vqvae.ParamNumCodes: 6, pixelcnn.ParamFilters: 16,
		pixelcnn.ParamFirstKernel: 5, pixelcnn.ParamConditional: conditional, cvae.ParamNumClasses: 3,
		training.ParamBatchSize: 16, training.ParamSeed: int64(5), training.ParamLearningRate: 1e-2}
}

// The logits at a position may depend only on the codes before it in raster order: changing
// the code at position p leaves the logits of positions 0..p equal, and (so that the test can
// fail) changes some later ones.
func TestLogitsAreCausal(t *testing.T) {
	backend := backends.Go()
	for _, conditional := range []bool{false, true} {
		store := model.NewStore()
		store.SetParams(smallPrior(conditional))
		exec, err := model.NewExec(backend, store, func(scope *model.Scope, codes, labels *Node) *Node {
			return pixelcnn.Logits(scope, codes, labels)
		})
		if err != nil {
			t.Fatal(err)
		}
		logits := func(codes []int32) []float32 {
			out, err := exec.Exec(tensors.FromFlatDataAndDimensions(codes, 1, 5, 5), tensors.FromFlatDataAndDimensions([]int32{2}, 1))
			if err != nil {
				t.Fatal(err)
			}
			return tensors.MustCopyFlatData[float32](out[0])
		}
		rng := rand.New(rand.NewPCG(1, 1))
		base := make([]int32, 25)
		for i := range base {
			base[i] = int32(rng.IntN(6))
		}
		before := logits(base)
		for p := range 24 { // the last position has no later one to influence
			changed := slices.Clone(base)
			changed[p] = (changed[p] + 1) % 6
			after := logits(changed)
			if !slices.Equal(before[:(p+1)*6], after[:(p+1)*6]) {
				t.Errorf("conditional=%v: changing the code at %d changed the logits at or before it", conditional, p)
			}
			if slices.Equal(before[(p+1)*6:], after[(p+1)*6:]) {
				t.Errorf("conditional=%v: changing the code at %d changed no later logits", conditional, p)
			}
		}
	}
}

// With equal logits every one of K codes has probability 1/K: the NLL of a grid of n positions
// is n log K.
func TestNLLOfUniformLogits(t *testing.T) {
	codes := tensors.FromFlatDataAndDimensions([]int32{0, 1, 2, 3, 3, 2}, 1, 2, 3)
	logits := tensors.FromFlatDataAndDimensions(make([]float32, 6*4), 1, 2, 3, 4)
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backends.Go(), pixelcnn.NLL, logits, codes))
	if want := 6 * math.Log(4); math.Abs(float64(got[0])-want) > 1e-5 {
		t.Errorf("NLL of uniform logits = %g, want 6 log 4 = %g", got[0], want)
	}
}

// classCodes is a code set where every grid of class c holds code c everywhere but a few random
// positions: a conditional prior must learn to draw mostly code c for class c.
func classCodes(n int) *datasets.Set {
	rng := rand.New(rand.NewPCG(3, 3))
	s := &datasets.Set{Name: "codes", Split: "train", N: n, Height: 5, Width: 5, Images: make([]float32, n*25), Labels: make([]int32, n)}
	for i := range n {
		c := rng.IntN(3)
		s.Labels[i] = int32(c)
		for j := range 25 {
			s.Images[i*25+j] = float32(c)
			if rng.IntN(10) == 0 {
				s.Images[i*25+j] = float32(3 + rng.IntN(3))
			}
		}
	}
	return s
}

// A conditional prior trained through the training loop on classCodes draws, for each class,
// mostly that class's code; the same random seed draws the same grids.
func TestConditionalPriorLearnsAndSamples(t *testing.T) {
	backend := backends.Go()
	store := model.NewStore()
	params := smallPrior(true)
	params[training.ParamEpochs] = 6
	store.SetParams(params)
	tr, err := training.NewTrainer(backend, store, pixelcnn.Model{})
	if err != nil {
		t.Fatal(err)
	}
	train := classCodes(256)
	hist, err := tr.Fit(context.Background(), train, classCodes(64), training.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lastRow, _ := hist.Last("test")
	first, last := hist.Value(hist.Rows[1], "loss"), hist.Value(lastRow, "loss")
	if uniform := 25 * math.Log(6); !(first < uniform && last < 0.5*uniform) {
		t.Errorf("test NLL after epochs 1 and 6: %.2f and %.2f nats per grid; want both below uniform %.2f and the last below half of it", first, last, uniform)
	}
	labels := []int32{0, 0, 1, 1, 2, 2}
	codes, gh, gw, err := pixelcnn.Sample(backend, store, labels, 1, 9)
	if err != nil {
		t.Fatal(err)
	}
	if gh != 5 || gw != 5 || len(codes) != 6*25 {
		t.Fatalf("Sample gave %d codes of %dx%d grids, want 6 grids of 5x5", len(codes), gh, gw)
	}
	for i, l := range labels {
		match := 0
		for _, c := range codes[i*25 : (i+1)*25] {
			if c == l {
				match++
			}
		}
		if match < 15 {
			t.Errorf("grid %d of class %d holds its class's code at %d of 25 positions, want most", i, l, match)
		}
	}
	again, _, _, err := pixelcnn.Sample(backend, store, labels, 1, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(codes, again) {
		t.Error("two draws with the same random seed differ")
	}
}

func TestSampleErrors(t *testing.T) {
	store := model.NewStore()
	store.SetParams(smallPrior(false))
	if _, _, _, err := pixelcnn.Sample(backends.Go(), store, nil, 1, 1); err == nil {
		t.Error("Sample with no labels: want an error")
	}
	if _, _, _, err := pixelcnn.Sample(backends.Go(), store, []int32{0}, 0, 1); err == nil {
		t.Error("Sample at temperature 0: want an error")
	}
}

// Sample runs the network on the grid cut after the row it draws: the logits of the rows kept
// must equal those of the whole grid.
func TestLogitsOfACutGridEqualTheWholeGrids(t *testing.T) {
	store := model.NewStore()
	store.SetParams(smallPrior(true))
	exec, err := model.NewExec(backends.Go(), store, func(scope *model.Scope, codes, labels *Node) *Node {
		return pixelcnn.Logits(scope, codes, labels)
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	codes := make([]int32, 25)
	for i := range codes {
		codes[i] = int32(rng.IntN(6))
	}
	labels := tensors.FromFlatDataAndDimensions([]int32{1}, 1)
	whole, err := exec.Exec(tensors.FromFlatDataAndDimensions(codes, 1, 5, 5), labels)
	if err != nil {
		t.Fatal(err)
	}
	wholeLogits := tensors.MustCopyFlatData[float32](whole[0])
	for rows := 1; rows < 5; rows++ {
		cut, err := exec.Exec(tensors.FromFlatDataAndDimensions(codes[:rows*5], 1, rows, 5), labels)
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](cut[0])
		for i, v := range got {
			if math.Abs(float64(v-wholeLogits[i])) > 1e-5 {
				t.Fatalf("grid cut after %d rows: logit %d = %g, whole grid %g", rows, i, v, wholeLogits[i])
			}
		}
	}
}
