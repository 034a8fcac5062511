package infer

import (
	"fmt"
	"io"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/numfmt"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// Workbench is a store holding a recipe's parameters and a backend, to build a model's pieces
// one at a time and run each on a few images, as the notebooks do before they train: every Run
// compiles a graph function, creates (and initializes) the variables it asks for and keeps
// them, so the next piece can use them.
type Workbench struct {
	Backend compute.Backend
	Store   *model.Store
}

// NewWorkbench returns a workbench whose store holds params (paramtable.CheckAll normalizes them first;
// a value that fails its check is returned as the error, before anything is built).
func NewWorkbench(backend compute.Backend, family string, params map[string]any) (*Workbench, error) {
	checked, err := paramtable.CheckAll(family, params)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	store.SetParams(checked)
	store.SetParam(vaekit.ParamModel, family)
	return &Workbench{Backend: backend, Store: store}, nil
}

// Run compiles fn, a GoMLX graph function of a scope and input nodes (any form model.NewExec
// takes), and runs it once on the inputs (tensors or Go values), in inference mode, with the
// variables of the workbench's store; the variables fn creates start from GoMLX's default
// initializer (a workbench shows pieces; the trainer applies ParamInitializer).
func Run[F model.ExecGraphFn](w *Workbench, fn F, inputs ...any) ([]*tensors.Tensor, error) {
	exec, err := model.NewExec(w.Backend, w.Store, fn)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	return exec.Exec(inputs...)
}

// FirstImages returns the first n images of set as a tensor [n, h, w, c] and their labels [n].
func FirstImages(set *datasets.Set, n int) (images, labels *tensors.Tensor, err error) {
	if n < 1 || n > set.N {
		return nil, nil, fmt.Errorf("FirstImages: n = %d: expected 1 to %d (the images of %s)", n, set.N, set.Source)
	}
	indices := make([]int32, n)
	for i := range indices {
		indices[i] = int32(i)
	}
	images, labels = training.Examples(set, indices)
	return images, labels, nil
}

// layer is one scope's model variables.
type layer struct {
	scope string
	vars  []*model.Variable
}

// layers are the model's variables of a store grouped by scope, in the order the model created
// them.
func modelLayers(store *model.Store) []*layer {
	var out []*layer
	index := map[string]*layer{}
	for v := range store.IterVariables() {
		if !training.IsModelVariable(v) {
			continue
		}
		l := index[v.Scope()]
		if l == nil {
			l = &layer{scope: v.Scope()}
			index[v.Scope()] = l
			out = append(out, l)
		}
		l.vars = append(l.vars, v)
	}
	return out
}

// ParameterCounts returns the number of trainable and of other (frozen, such as BatchNorm's
// averages) parameters of the model's variables in store, without the optimizer's state and the
// training loop's counters.
func ParameterCounts(store *model.Store) (trainable, other int) {
	for _, l := range modelLayers(store) {
		for _, v := range l.vars {
			if v.Trainable {
				trainable += v.Shape().Size()
			} else {
				other += v.Shape().Size()
			}
		}
	}
	return trainable, other
}

// Summary writes the model's variables in store as a table in the manner of Keras' summary():
// one row per layer (variable scope), in the order the model created them, with its variables'
// shapes and its parameter count, then the totals. Variables exist once a graph that uses them
// has been built (a Workbench run, a trainer's step or a loaded checkpoint).
func Summary(w io.Writer, store *model.Store) error {
	layers := modelLayers(store)
	if len(layers) == 0 {
		return fmt.Errorf("summary: the store has no model variables yet (build a graph that uses them first)")
	}
	rows := [][3]string{{"layer", "variables", "parameters"}}
	for _, l := range layers {
		n := 0
		var parts []string
		for _, v := range l.vars {
			n += v.Shape().Size()
			part := fmt.Sprintf("%s %v", v.Name(), v.Shape().Dimensions)
			if !v.Trainable {
				part += " (frozen)"
			}
			parts = append(parts, part)
		}
		rows = append(rows, [3]string{l.scope, strings.Join(parts, ", "), numfmt.Thousands(n)})
	}
	trainable, other := ParameterCounts(store)
	rows = append(rows, [3]string{"total", "", numfmt.Thousands(trainable + other)}, [3]string{"trainable", "", numfmt.Thousands(trainable)})
	if other > 0 {
		rows = append(rows, [3]string{"frozen", "", numfmt.Thousands(other)})
	}
	var width [3]int
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	for i, r := range rows {
		if i == 1 || i == len(layers)+1 {
			if _, err := fmt.Fprintln(w, strings.Repeat("-", width[0]+width[1]+width[2]+4)); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "%-*s  %-*s  %*s\n", width[0], r[0], width[1], r[1], width[2], r[2]); err != nil {
			return err
		}
	}
	return nil
}
