package backends

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// VariablesAsParameters returns b, or, when b asks GoMLX to embed variables as constants (ONNX
// Runtime and the pure-Go backend do, which speeds up inference), b wrapped so that it does not.
// For and Go apply it; apply it to a backend made another way before training on it.
//
// Why: GoMLX (v0.28.16) embeds every variable that has a value as a constant in every graph that
// is not a training graph, with the value the variable has when that graph is compiled, and then
// reuses the compiled graph. For training that is wrong. The test loss after each epoch would
// use the BatchNorm statistics of the first evaluation, and an evaluation that draws noise would
// start every batch from the same random state (the random state read back from a checkpoint is
// an ordinary variable, so a resumed run drew other noise than an uninterrupted one).
//
// The wrapper changes only that capability. The buffers it hands out belong to the wrapper (a
// GoMLX tensor refuses a buffer of another backend instance); it unwraps them on the way back.
func VariablesAsParameters(b compute.Backend) compute.Backend {
	if b == nil || !b.Capabilities().PreferConstantsForVariables {
		return b
	}
	if _, ok := b.(*paramBackend); ok {
		return b
	}
	return &paramBackend{Backend: b}
}

// paramBackend is a backend that never asks for variables as constants.
type paramBackend struct{ compute.Backend }

func (b *paramBackend) Capabilities() compute.Capabilities {
	c := b.Backend.Capabilities().Clone()
	c.PreferConstantsForVariables = false
	return c
}

func (b *paramBackend) Builder(name string) compute.Builder {
	return &paramBuilder{Builder: b.Backend.Builder(name), backend: b}
}

func (b *paramBackend) BufferFromFlatData(deviceNum compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	buf, err := b.Backend.BufferFromFlatData(deviceNum, flat, shape)
	return b.wrap(buf), err
}

func (b *paramBackend) NewSharedBuffer(deviceNum compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	buf, flat, err := b.Backend.NewSharedBuffer(deviceNum, shape)
	return b.wrap(buf), flat, err
}

func (b *paramBackend) wrap(buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	return &paramBuffer{Buffer: buf, backend: b}
}

// paramBuffer is a buffer of the wrapped backend that names the wrapper as its backend.
type paramBuffer struct {
	compute.Buffer
	backend *paramBackend
}

func (buf *paramBuffer) Backend() compute.Backend { return buf.backend }

// unwrap returns the wrapped backend's own buffer.
func unwrap(buf compute.Buffer) compute.Buffer {
	if p, ok := buf.(*paramBuffer); ok {
		return p.Buffer
	}
	return buf
}

// paramBuilder compiles with the wrapped backend and wraps the executable.
type paramBuilder struct {
	compute.Builder
	backend   *paramBackend
	functions map[compute.Function]*paramFunction
}

func (bld *paramBuilder) Compile() (compute.Executable, error) {
	exec, err := bld.Builder.Compile()
	if err != nil {
		return nil, err
	}
	return &paramExecutable{Executable: exec, backend: bld.backend}, nil
}

// paramExecutable unwraps its input buffers and wraps its outputs.
type paramExecutable struct {
	compute.Executable
	backend *paramBackend
}

func (e *paramExecutable) Execute(inputs []compute.Buffer, donate []bool, defaultDevice compute.DeviceNum) ([]compute.Buffer, error) {
	inner := make([]compute.Buffer, len(inputs))
	for i, buf := range inputs {
		inner[i] = unwrap(buf)
	}
	outputs, err := e.Executable.Execute(inner, donate, defaultDevice)
	for i, buf := range outputs {
		outputs[i] = e.backend.wrap(buf)
	}
	return outputs, err
}
