package backends

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// recordingFunction is a compute.Function that records which of Identity and Transpose it was asked for.
type recordingFunction struct {
	compute.Function
	calls []string
}

func (r *recordingFunction) Identity(x compute.Value) (compute.Value, error) {
	r.calls = append(r.calls, "identity")
	return x, nil
}

func (r *recordingFunction) Transpose(x compute.Value, permutation ...int) (compute.Value, error) {
	r.calls = append(r.calls, fmt.Sprintf("transpose %v", permutation))
	return x, nil
}

// A transpose that moves no axis is built as an identity (free where its input has no other
// use); any other goes to the backend as asked.
func TestIdentityTransposeIsAnIdentity(t *testing.T) {
	tests := []struct {
		permutation []int
		want        string
	}{
		{[]int{0, 1}, "identity"},
		{[]int{0, 1, 2, 3}, "identity"},
		{nil, "identity"}, // a scalar
		{[]int{1, 0}, "transpose [1 0]"},
		{[]int{0, 2, 1, 3}, "transpose [0 2 1 3]"},
	}
	for _, tt := range tests {
		rec := &recordingFunction{}
		f := (&paramBuilder{}).wrapFunction(rec)
		if _, err := f.Transpose(nil, tt.permutation...); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rec.calls, []string{tt.want}) {
			t.Errorf("Transpose(%v) built %v, want [%s]", tt.permutation, rec.calls, tt.want)
		}
	}
}

// Through a real backend, a graph with identity transposes, and the gradient of a matrix product
// (whose VJP transposes by the identity), computes what it should.
func TestIdentityTransposeComputes(t *testing.T) {
	b := Go()
	a := tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}})
	w := tensors.FromValue([][]float32{{1, 0}, {0, 1}, {1, 1}})
	got := graph.MustExecOnceN(b, func(a, w *graph.Node) []*graph.Node {
		y := graph.TransposeAllAxes(graph.MatMul(a, w), 0, 1)
		return append([]*graph.Node{y}, graph.Gradient(graph.ReduceAllSum(y), a, w)...)
	}, a, w)
	// y = a w; d sum(y)/da = 1 w^T (each row the row sums of w), d/dw = a^T 1 (the column sums of a).
	want := []any{[][]float32{{4, 5}, {10, 11}}, [][]float32{{1, 1, 2}, {1, 1, 2}}, [][]float32{{5, 5}, {7, 7}, {9, 9}}}
	for i, name := range []string{"y", "dy/da", "dy/dw"} {
		if fmt.Sprint(got[i].Value()) != fmt.Sprint(want[i]) {
			t.Errorf("%s = %v, want %v", name, got[i].Value(), want[i])
		}
	}
}
