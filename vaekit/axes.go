package vaekit

import "github.com/gomlx/gomlx/ml/model"

// TermAxis says how a figure draws one loss term of a model: the quantity and its unit for the
// axis label, whether its values span decades (a logarithmic axis), and whether it equals
// another term by construction (then both share one panel, with a note saying why).
type TermAxis struct {
	// Unit labels the axis: "nats per image", "squared error per image", "error rate", ...
	Unit string `json:"unit"`
	// Log draws the term on a logarithmic axis.
	Log bool `json:"log,omitempty"`
	// SameAs names a term this one equals by construction ("" if none); Why says why, for the
	// figure's note.
	SameAs string `json:"same_as,omitempty"`
	Why    string `json:"why,omitempty"`
}

// Described models say how to draw each of their loss terms (the figures' axes and panels).
// A term they do not describe is drawn on a linear axis labelled "per image".
type Described interface {
	TermAxes(store *model.Store) map[string]TermAxis
}

// ReconstructionAxis is the axis of a reconstruction term under the store's ParamReconstruction.
func ReconstructionAxis(store *model.Store) TermAxis {
	if model.GetParamOr(store.RootScope(), ParamReconstruction, "bernoulli") == "bernoulli" {
		return TermAxis{Unit: "nats per image"}
	}
	return TermAxis{Unit: "squared error per image"}
}
