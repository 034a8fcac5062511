package vaekit

import (
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/history"
)

// Described models say how to draw each of their loss terms (the figures' axes and panels).
// A term they do not describe is drawn on a linear axis labelled "per image".
type Described interface {
	TermAxes(store *model.Store) map[string]history.Axis
}

// ReconstructionAxis is the axis of a reconstruction term under the store's ParamReconstruction.
func ReconstructionAxis(store *model.Store) history.Axis {
	if Param[string](store.RootScope(), ParamReconstruction) == "bernoulli" {
		return history.Axis{Unit: "nats per image"}
	}
	return history.Axis{Unit: "squared error per image"}
}
