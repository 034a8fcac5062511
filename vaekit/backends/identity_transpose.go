package backends

import (
	"github.com/gomlx/compute"
)

// Why transposes that move no axis are built as identities: GoMLX v0.28.16's gradient of a
// matrix product (DotGeneral's VJP) transposes each operand's gradient back to the operand's
// layout, with the identity permutation when nothing moved, and the pure-Go backend then
// copies the whole tensor. For a convolution's im2col product that tensor is the gradient of
// the patches, (k/stride)^2 times the input: in the tutorial DCGAN's training step on the
// pure-Go backend these copies were 14% of the time (pprof: ops.dispatchIdentity under
// execTranspose, 3.5 s of 24.5 s). An identity is free where its input has no other use (the
// pure-Go backend hands the buffer on); on ONNX Runtime the step measured the same either way.

// paramFunction is a function of a wrapped builder: it builds a transpose by the identity
// permutation as an Identity, and hands the wrapped backend its own functions back.
type paramFunction struct {
	compute.Function
	builder *paramBuilder
}

func (bld *paramBuilder) Main() compute.Function {
	return bld.wrapFunction(bld.Builder.Main())
}

func (bld *paramBuilder) NewFunction(name string) (compute.Function, error) {
	f, err := bld.Builder.NewFunction(name)
	return bld.wrapFunction(f), err
}

func (bld *paramBuilder) wrapFunction(f compute.Function) compute.Function {
	if f == nil {
		return nil
	}
	if bld.functions == nil {
		bld.functions = map[compute.Function]*paramFunction{}
	}
	// One wrapper per function, so that GoMLX sees the same function each time it asks.
	if w, ok := bld.functions[f]; ok {
		return w
	}
	w := &paramFunction{Function: f, builder: bld}
	bld.functions[f] = w
	return w
}

// unwrapFunction returns the wrapped backend's own function.
func unwrapFunction(f compute.Function) compute.Function {
	if w, ok := f.(*paramFunction); ok {
		return w.Function
	}
	return f
}

func (f *paramFunction) Transpose(x compute.Value, permutation ...int) (compute.Value, error) {
	identity := true
	for i, p := range permutation {
		identity = identity && p == i
	}
	if identity {
		return f.Function.Identity(x)
	}
	return f.Function.Transpose(x, permutation...)
}

func (f *paramFunction) Builder() compute.Builder { return f.builder }

func (f *paramFunction) Parent() compute.Function { return f.builder.wrapFunction(f.Function.Parent()) }

func (f *paramFunction) Closure() (compute.Function, error) {
	c, err := f.Function.Closure()
	return f.builder.wrapFunction(c), err
}

func (f *paramFunction) Call(fn compute.Function, inputs ...compute.Value) ([]compute.Value, error) {
	return f.Function.Call(unwrapFunction(fn), inputs...)
}

func (f *paramFunction) Sort(comparator compute.Function, axis int, isStable bool, inputs ...compute.Value) ([]compute.Value, error) {
	return f.Function.Sort(unwrapFunction(comparator), axis, isStable, inputs...)
}

func (f *paramFunction) While(cond, body compute.Function, initialState ...compute.Value) ([]compute.Value, error) {
	return f.Function.While(unwrapFunction(cond), unwrapFunction(body), initialState...)
}

func (f *paramFunction) If(pred compute.Value, trueBranch, falseBranch compute.Function) ([]compute.Value, error) {
	return f.Function.If(pred, unwrapFunction(trueBranch), unwrapFunction(falseBranch))
}
