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
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/training"
)

// twoPlayers is a zero-sum game on two scalars: player "a" minimises a*b, player "b" minimises
// -a*b. Each must follow the gradient of its own term only.
type twoPlayers struct{}

func (twoPlayers) Name() string { return "two-players" }

func (twoPlayers) Loss(scope *model.Scope, images, _ *Node) vaekit.Terms {
	g := images.Graph()
	a := scope.At("a").VariableWithValue("x", float32(1)).ValueGraph(g)
	b := scope.At("b").VariableWithValue("x", float32(1)).ValueGraph(g)
	ones := OnesLike(ReduceSum(images, 1, 2, 3)) // [batch]
	ab := Mul(ones, Mul(a, b))
	return vaekit.Terms{{Name: "loss", Value: ab}, {Name: "a_objective", Value: ab}, {Name: "b_objective", Value: Neg(ab)}}
}

func (twoPlayers) Players() []vaekit.Player {
	return []vaekit.Player{{Scope: "a", Term: "a_objective"}, {Scope: "b", Term: "b_objective"}}
}

// With plain SGD at learning rate 1 from a = b = 1, one simultaneous step gives
// a = 1 - d(ab)/da = 1 - b = 0 and b = 1 - d(-ab)/db = 1 + a = 2: each player moved by the
// gradient of its own term, both computed before either moved.
func TestAdversarialPlayersFollowTheirOwnTerms(t *testing.T) {
	tr, store := newTrainer(t, twoPlayers{}, map[string]any{training.ParamOptimizer: "sgd",
		training.ParamLearningRate: 1.0, training.ParamBatchSize: 4})
	images, labels := randomBatch(4, false, 10)
	if _, err := tr.TrainStep(images, labels); err != nil {
		t.Fatal(err)
	}
	got := variableValues(store)
	for path, want := range map[string]float32{"/a/x": 0, "/b/x": 2} {
		if v, ok := got[path]; !ok || len(v) != 1 || v[0] != want {
			t.Errorf("%s = %v after one step, want %g (variables: %v)", path, v, want, got)
		}
	}
}

// A player naming a term the model does not return is an error that names it.
type wrongPlayer struct{ twoPlayers }

func (wrongPlayer) Players() []vaekit.Player { return []vaekit.Player{{Scope: "a", Term: "nope"}} }

func TestAdversarialUnknownTermIsNamed(t *testing.T) {
	tr, _ := newTrainer(t, wrongPlayer{}, map[string]any{training.ParamBatchSize: 4})
	images, labels := randomBatch(4, false, 10)
	_, err := tr.TrainStep(images, labels)
	if err == nil || !strings.Contains(training.GraphError(err).Error(), `term "nope": expected one of the model's terms [loss a_objective b_objective]`) {
		t.Errorf("TrainStep error = %v, want one naming the term %q and the model's terms", err, "nope")
	}
}

// learningRates reads the learning rate each player's optimizer keeps in its scope.
func learningRates(t *testing.T, store *model.Store) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, player := range []string{"a", "b"} {
		v := store.GetVariable("/" + player + "/optimizers/learning_rate")
		if v == nil {
			t.Fatalf("no learning-rate variable for player %s", player)
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[player] = float64(tensors.ToScalar[float32](val))
	}
	return out
}

// Each player of an adversarial model keeps its learning rate under its own scope: a resume
// with another learning rate and a learning-rate schedule must reach both. By hand, with plain
// SGD and one step per epoch (4 images, batch 4) from a = b = 1: epoch 1 at rate 1 gives
// a = 1 - b = 0, b = 1 + a = 2; resumed at rate 0.5, epoch 2 gives a = 0 - 0.5*2 = -1,
// b = 2 + 0.5*0 = 2 (at the checkpoint's rate 1, a would be -2).
func TestAdversarialResumeAndScheduleReachEveryPlayer(t *testing.T) {
	train, test := syntheticSet(4, 1), syntheticSet(4, 2)
	params := func(epochs int, rate float64, schedule string) map[string]any {
		return map[string]any{training.ParamOptimizer: "sgd", training.ParamLearningRate: rate, training.ParamBatchSize: 4,
			training.ParamEpochs: epochs, training.ParamLearningRateSchedule: schedule}
	}
	t.Run("resume at another rate", func(t *testing.T) {
		dir := t.TempDir()
		tr, _ := newTrainer(t, twoPlayers{}, params(1, 1, "constant"))
		if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
			t.Fatal(err)
		}
		tr, store := newTrainer(t, twoPlayers{}, params(2, 0.5, "constant"))
		if _, err := tr.Fit(context.Background(), train, test, training.FitOptions{Dir: dir}); err != nil {
			t.Fatal(err)
		}
		if got := learningRates(t, store); got["a"] != 0.5 || got["b"] != 0.5 {
			t.Errorf("learning rates after the resume at 0.5: %v", got)
		}
		got := variableValues(store)
		for path, want := range map[string]float32{"/a/x": -1, "/b/x": 2} {
			if v := got[path]; len(v) != 1 || v[0] != want {
				t.Errorf("%s = %v after the resumed epoch, want %g", path, v, want)
			}
		}
	})
	t.Run("schedule", func(t *testing.T) {
		tr, store := newTrainer(t, twoPlayers{}, params(4, 1, "iwae"))
		var epochs int
		_, err := tr.Fit(context.Background(), train, test, training.FitOptions{OnEpoch: func(epoch int, _ *history.History) error {
			epochs++
			want := training.ScheduledLearningRate("iwae", 1, epoch)
			for player, got := range learningRates(t, store) {
				if math.Abs(got-want) > 1e-7 {
					t.Errorf("epoch %d: player %s trained at rate %g, want %g", epoch, player, got, want)
				}
			}
			return nil
		}})
		if err != nil || epochs != 4 {
			t.Fatalf("Fit: %d epochs, %v", epochs, err)
		}
	})
}
