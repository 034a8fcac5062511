package vaekit_test

import (
	"context"
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
)

// averagedPlayers is twoPlayers with player a's weight averaged.
type averagedPlayers struct{ twoPlayers }

func (averagedPlayers) AveragedScope() string { return "a" }

// LatentDim and Decode make it a generator of z * a, for Fit's end-of-epoch estimate of the
// averaged layers' BatchNorm statistics (it has none).
func (averagedPlayers) LatentDim(*model.Store) int { return 1 }
func (averagedPlayers) Decode(scope *model.Scope, z, _ *Node) *Node {
	return Mul(z, scope.In("a").VariableWithValue("x", float32(1)).NodeValue(z.Graph()))
}

// With SGD at learning rate 1 from a = b = 1 the players step to (a, b) = (0, 2), (-2, 2),
// (-4, 0). The average of a, with d_n = min(decay, n/(n+10)) at the n-th update:
// n = 0 copies a: 0; n = 1, d = 1/11: (1/11)*0 + (10/11)*(-2) = -20/11; n = 2, d = min(0.1,
// 2/12) = 0.1: 0.1*(-20/11) + 0.9*(-4) = -2/11 - 3.6 = -3.781818...
func TestAveragesFollowTheWeightsWithTheirWarmUp(t *testing.T) {
	tr, store := newTrainer(t, averagedPlayers{}, map[string]any{training.ParamOptimizer: "sgd",
		training.ParamLearningRate: 1.0, training.ParamBatchSize: 4, training.ParamAveragingDecay: 0.1})
	images, labels := randomBatch(4, false, 10)
	want := []struct{ a, avg float64 }{{0, 0}, {-2, -20.0 / 11}, {-4, -2.0/11 - 3.6}}
	for i, w := range want {
		if _, err := tr.TrainStep(images, labels); err != nil {
			t.Fatal(err)
		}
		a := scalarOf(t, store, "/a/x")
		avg := scalarOf(t, store, "/averaged/a/x")
		if a != w.a || math.Abs(avg-w.avg) > 1e-6 {
			t.Errorf("step %d: a = %g, its average %.7f; want %g and %.7f", i+1, a, avg, w.a, w.avg)
		}
	}
	if v := store.GetVariable("/averaged/b/x"); v != nil {
		t.Errorf("player b's weight is averaged too (%s): want only the averaged scope's", v.Path())
	}
	if v := store.GetVariable("/averaged/a/x"); v.Trainable {
		t.Errorf("the average %s is trainable: want it left to the averaging", v.Path())
	}
	if on, _ := store.GetParam(vaekit.ParamSampleAverages); on != true {
		t.Errorf("parameter %s = %v after averaging: want true, so that samplers use the averages", vaekit.ParamSampleAverages, on)
	}
}

func scalarOf(t *testing.T, store *model.Store, path string) float64 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	return float64(tensors.MustCopyFlatData[float32](val)[0])
}

// A resumed run continues its averages; resumed with another decay (none) it is refused, naming
// both: its averages would go stale while samples are still drawn from them.
func TestAveragedRunResumesOnlyWithItsDecay(t *testing.T) {
	train, test := syntheticSet(4, 1), syntheticSet(4, 2)
	params := func(epochs int, decay float64) map[string]any {
		p := map[string]any{training.ParamOptimizer: "sgd", training.ParamLearningRate: 1.0, training.ParamBatchSize: 4,
			training.ParamEpochs: epochs}
		if decay > 0 {
			p[training.ParamAveragingDecay] = decay
		}
		return p
	}
	dir := t.TempDir()
	tr, _ := newTrainer(t, averagedPlayers{}, params(1, 0.1))
	if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	tr, _ = newTrainer(t, averagedPlayers{}, params(2, 0))
	_, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "ema_decay = 0.1: expected the same, not 0") {
		t.Errorf("resuming without the decay: error %v, want one naming ema_decay = 0.1 and 0", err)
	}
	tr, store := newTrainer(t, averagedPlayers{}, params(2, 0.1))
	if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	// Two steps, one per epoch: as the second step of TestAveragesFollowTheWeightsWithTheirWarmUp.
	if a, avg := scalarOf(t, store, "/a/x"), scalarOf(t, store, "/averaged/a/x"); a != -2 || math.Abs(avg+20.0/11) > 1e-6 {
		t.Errorf("after the resumed epoch a = %g, its average %.7f; want -2 and %.7f", a, avg, -20.0/11)
	}
}

// A decay for a model with nothing to average is refused before any step, naming the value.
func TestAveragingNeedsAModelThatNamesItsScope(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{training.ParamAveragingDecay: 0.999})
	_, err := training.NewTrainer(backends.Go(), store, twoPlayers{})
	if err == nil || !strings.Contains(err.Error(), `ema_decay = 0.999: model "two-players" has no weights to average`) {
		t.Errorf("NewTrainer error = %v, want one naming ema_decay = 0.999 and the model", err)
	}
	store = model.NewStore()
	store.SetParams(map[string]any{training.ParamAveragingDecay: 1.0})
	if _, err := training.NewTrainer(backends.Go(), store, averagedPlayers{}); err == nil || !strings.Contains(err.Error(), "ema_decay") {
		t.Errorf("NewTrainer with ema_decay 1 error = %v, want one naming the parameter (a decay of 1 never moves)", err)
	}
}

// scaleGenerator decodes z into z * w, w a scalar weight under scope "gen".
type scaleGenerator struct{}

func (scaleGenerator) Name() string                                 { return "scale-generator" }
func (scaleGenerator) LatentDim(*model.Store) int                   { return 2 }
func (scaleGenerator) AveragedScope() string                        { return "gen" }
func (scaleGenerator) Loss(*model.Scope, *Node, *Node) vaekit.Terms { return nil }
func (scaleGenerator) Decode(scope *model.Scope, z, _ *Node) *Node {
	w := scope.In("gen").VariableWithValue("w", float32(0)).NodeValue(z.Graph())
	return Mul(z, w)
}

// Samplers decode with the averages where the store says it holds them, else with the weights.
func TestSamplersUseTheAveragesWhereTheStoreHoldsThem(t *testing.T) {
	for _, tc := range []struct {
		name    string
		marked  bool
		wantOut float32
	}{{"weights", false, 3}, {"averages", true, 5}} {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			if _, err := store.CreateVariable("/gen/w", tensors.FromScalar(float32(3))); err != nil {
				t.Fatal(err)
			}
			if _, err := store.CreateVariable("/averaged/gen/w", tensors.FromScalar(float32(5))); err != nil {
				t.Fatal(err)
			}
			if tc.marked {
				store.SetParam(vaekit.ParamSampleAverages, true)
			}
			out, err := infer.Decode(backends.Go(), store, scaleGenerator{}, [][]float32{{1, 2}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out[0][0] != tc.wantOut || out[0][1] != 2*tc.wantOut {
				t.Errorf("decoded (1, 2) as %v, want (%g, %g)", out[0], tc.wantOut, 2*tc.wantOut)
			}
		})
	}
}
