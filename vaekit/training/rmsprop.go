package training

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// kerasRMSprop is RMSprop exactly as Keras 2 applies it (tf.keras.optimizers.RMSprop, no
// momentum, not centered), so that a Keras source is reproduced from its first step:
//
//	ms <- rho ms + (1 - rho) g^2        (ms starts at 0)
//	w  <- w - lr g / sqrt(ms + epsilon)
//
// GoMLX's optimizer.RMSProp divides ms by 1 - rho^t (a bias correction Keras does not make),
// which makes its first steps about 3x smaller (at t = 1, sqrt(g^2) against sqrt(0.1 g^2)).
type kerasRMSprop struct {
	learningRate, rho, epsilon float64
}

// kerasRMSpropScope holds the running averages, one per trained variable, under its path.
const kerasRMSpropScope = "keras_rmsprop"

// UpdateGraph implements optimizer.Interface.
func (o kerasRMSprop) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Sprintf("RMSprop needs a scalar loss, got %s", loss.Shape()))
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	dtype := loss.DType()
	lr := optimizer.LearningRateVar(scope, dtype, o.learningRate).NodeValue(g)
	_ = optimizer.IncrementGlobalStep(g, dtype)
	rho := Scalar(g, dtype, o.rho)
	epsilon := Scalar(g, dtype, o.epsilon)
	i := 0
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i >= len(grads) {
			panic(fmt.Sprintf("RMSprop: %d gradients for more trained variables", len(grads)))
		}
		grad := grads[i]
		i++
		shape := v.Shape().Clone()
		shape.DType = dtype
		msVar := scope.Store().Scope("/"+kerasRMSpropScope+v.Scope()).WithInitializer(initializer.Zero).
			VariableWithShape(v.Name()+"_ms", shape).SetTrainable(false)
		ms := Add(Mul(rho, msVar.NodeValue(g)), Mul(OneMinus(rho), Square(grad)))
		msVar.SetNodeValue(ms)
		step := Div(Mul(lr, grad), Sqrt(Add(ms, epsilon)))
		v.SetNodeValue(Sub(v.NodeValue(g), ConvertDType(step, v.DType())))
	}
	if i != len(grads) {
		panic(fmt.Sprintf("RMSprop: %d gradients for %d trained variables", len(grads), i))
	}
}

// Clear implements optimizer.Interface.
func (o kerasRMSprop) Clear(scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope("/" + kerasRMSpropScope)
}
