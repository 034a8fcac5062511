package vaekit_test

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
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
