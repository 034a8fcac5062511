// Package cvae is the conditional VAE in two forms, both built from the VAE of package vae and
// the shared blocks of package vaekit, trained by the same loop:
//
//   - "concat" (Sohn, Lee and Yan 2015, "Learning Structured Output Representation using Deep
//     Conditional Generative Models"): the one-hot class goes into the encoder (extra input
//     features for the MLP, extra constant input planes for the convolutional encoder) and into
//     the decoder beside z. Generation for class c: z ~ N(0, I), decoded with c.
//   - "prior" (class prior): an ordinary encoder and decoder, but the KL term pulls q(z|x) towards
//     N(mu_y, I), where mu_y is a learned mean per class (variable "class_means" [classes, latent]).
//     Generation for class c: z ~ N(mu_c, I), decoded.
//
// Loss terms, per image, as for the VAE: loss = reconstruction + beta * kl, reconstruction, kl.
package cvae

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// Parameter keys of the conditional VAE (besides those of packages vae and vaekit).
const (
	// ParamForm is "concat" (label concatenation, the default) or "prior" (a learned prior mean
	// per class).
	ParamForm = "cvae_form"
	// ParamNumClasses is the number of classes (default 10).
	ParamNumClasses = vaekit.ParamNumClasses
)

// Forms of the conditional VAE.
const (
	FormConcat = "concat"
	FormPrior  = "prior"
)

// Model is the conditional VAE. It holds no state: its hyperparameters are in the store.
type Model struct{}

// Name implements vaekit.Model.
func (Model) Name() string { return "cvae" }

// LatentDim implements vaekit.Generator.
func (Model) LatentDim(store *model.Store) int {
	return vaekit.LatentDim(store.RootScope(), vae.DefaultLatentDim)
}

func form(scope *model.Scope) string {
	f := vaekit.Param[string](scope, ParamForm)
	if f != FormConcat && f != FormPrior {
		panic(fmt.Errorf("cvae: parameter %q = %q: expected %q or %q", ParamForm, f, FormConcat, FormPrior))
	}
	return f
}

// OneHotClasses encodes labels [batch] as float32 [batch, classes].
func OneHotClasses(scope *model.Scope, labels *Node) *Node {
	return graph.OneHot(labels, vaekit.NumClasses(scope), dtypes.Float32)
}

// condition is the encoder and decoder condition: the one-hot class for the concat form, nil
// for the prior form.
func condition(scope *model.Scope, labels *Node) *Node {
	if form(scope) == FormConcat {
		return OneHotClasses(scope, labels)
	}
	return nil
}

// PriorMeans returns the prior mean of z for each label: the learned class mean for the prior
// form, zeros for the concat form. It implements vaekit.ConditionalPrior.
func (m Model) PriorMeans(scope *model.Scope, labels *Node) *Node {
	d := vaekit.LatentDim(scope, vae.DefaultLatentDim)
	if form(scope) == FormConcat {
		return Zeros(labels.Graph(), shapes.Make(dtypes.Float32, labels.Shape().Dim(0), d))
	}
	k := vaekit.NumClasses(scope)
	means := scope.In("prior").VariableWithShape("class_means", shapes.Make(dtypes.Float32, k, d)).NodeValue(labels.Graph())
	return Gather(means, InsertAxes(labels, -1))
}

// Loss implements vaekit.Model.
func (m Model) Loss(scope *model.Scope, images, labels *Node) vaekit.Terms {
	if form(scope) == FormPrior {
		return vae.Loss(scope, images, nil, m.PriorMeans(scope, labels))
	}
	return vae.Loss(scope, images, condition(scope, labels), nil)
}

// PosteriorParams implements vaekit.GaussianPosterior: q(z|x, y) and the prior mean of class y
// (the learned class mean for the prior form, zeros for the concat form).
func (m Model) PosteriorParams(scope *model.Scope, images, labels *Node) (mean, logVar, priorMean *Node) {
	mean, logVar = vae.Posterior(scope, images, condition(scope, labels))
	return mean, logVar, m.PriorMeans(scope, labels)
}

// Encode implements vaekit.Encoder: the posterior mean given the image and its class.
func (Model) Encode(scope *model.Scope, images, labels *Node) *Node {
	return vae.PosteriorMean(scope, images, condition(scope, labels))
}

// Decode implements vaekit.Generator: pixel probabilities for latent points z of classes labels.
func (Model) Decode(scope *model.Scope, z, labels *Node) *Node {
	return vaekit.DecodedImages(scope, vaekit.DecoderLogits(scope, z, condition(scope, labels)))
}

// Reconstruct implements vaekit.Reconstructor.
func (m Model) Reconstruct(scope *model.Scope, images, labels *Node) *Node {
	return m.Decode(scope, m.Encode(scope, images, labels), labels)
}

// Conditioning is the vae.Conditioning of the conditional VAE: the one-hot class for the concat
// form; the learned class mean as the prior mean for the prior form. With it,
// vae.ImportanceWeightedNLL estimates -log p(x | y).
func Conditioning(scope *model.Scope, labels *Node) (cond, priorMean *Node) {
	if form(scope) == FormPrior {
		return nil, Model{}.PriorMeans(scope, labels)
	}
	return condition(scope, labels), nil
}

func init() {
	paramtable.Declare(paramtable.Spec{Name: ParamForm, Kind: paramtable.KindChoice, Choices: []string{FormConcat, FormPrior}, Families: []string{"cvae"},
		Default: FormConcat, Doc: "how the class is given: concat (to encoder and decoder inputs) or prior (a learned prior mean per class)"})
	vaekit.RegisterFamily(vaekit.Family{Model: Model{},
		Reads: append(append([]string{vaekit.ParamNumClasses}, vaekit.EncoderDecoderParams...), vae.ObjectiveParams...)})
}

// ImportanceWeightedNLL implements vaekit.Likelihood: -log p(x | y) of the test images with
// their labels.
func (Model) ImportanceWeightedNLL(backend compute.Backend, store *model.Store, set *datasets.Set, opts vaekit.NLLOptions) (float64, error) {
	return vae.ImportanceWeightedNLL(backend, store, set, Conditioning, opts)
}

// Prior implements vaekit.Sampler: N(0, I) with label concatenation, N(mean_c, I) with learned
// class means.
func (m Model) Prior() string {
	return "N(mean_c, I) given the class c (mean_c = 0 with label concatenation)"
}

// Units implements vaekit.Documented.
func (Model) Units(store *model.Store) string { return vae.Units(store) }

// TermAxes implements vaekit.Described: the VAE's.
func (Model) TermAxes(store *model.Store) map[string]history.Axis { return vae.TermAxes(store) }

// Size implements vaekit.Sized: the VAE's layers with the one-hot class as extra inputs of the
// encoder and decoder (concat), or a learned prior mean per class (prior).
func (Model) Size(p paramtable.Values, family string, shape []int) vaekit.Size {
	d, k := p.Int(vaekit.ParamLatentDim, family), p.Int(vaekit.ParamNumClasses, family)
	if f, _ := p.Get(ParamForm, family); f == FormPrior {
		s := vae.Model{}.Size(p, family, shape)
		s.Weights += int64(k) * int64(d)
		return s
	}
	enc, features := vaekit.EncoderSize(p, family, shape, k)
	head := vaekit.DenseSize(features, d)
	return enc.Add(head).Add(head).Add(vaekit.DecoderSize(p, family, shape, d+k))
}
