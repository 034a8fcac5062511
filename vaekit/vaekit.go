// Package vaekit is the vocabulary every autoencoder family shares: the Model interface and the
// capabilities a family may have (Sampler, Encoder, GaussianPosterior, Quantizer, ...), the
// registry families join (RegisterFamily), and the graph pieces they are built of:
// reconstruction losses, the Gaussian KL and the reparameterization, MLP and convolutional
// encoder and decoder blocks, fast convolutions. Training is package training, inference with a
// trained model package infer, the backend choice package backends, the parameter table package
// paramtable.
//
// A model family (packages ae, vae, ...) is a value implementing Model: a plain GoMLX graph
// function that returns named per-example loss terms. Its hyperparameters live in the
// model.Store as parameters (keys documented as constants in each package), so a checkpoint
// carries them and a run directory's params.json lists them all.
//
// Graph-building code panics on misuse (GoMLX convention); training and I/O return errors.
package vaekit

import (
	"context"
	"fmt"
	"io"

	"github.com/gomlx/compute"
	"github.com/vaekit/vaekit/datasets"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
)

// Term is one named loss term, per example: a float [batch] node.
type Term struct {
	Name  string
	Value *Node
}

// Terms are the named loss terms of a model. The first one is the objective the training loop
// minimises (its batch mean); the others are its parts, recorded alongside.
type Terms []Term

// Get returns the term with the given name, or nil.
func (ts Terms) Get(name string) *Node {
	for _, t := range ts {
		if t.Name == name {
			return t.Value
		}
	}
	return nil
}

// Names of the terms, in order.
func (ts Terms) Names() []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return names
}

// Model is what the training loop trains.
type Model interface {
	// Name of the family, recorded in checkpoints and run manifests ("vae", "ae", ...).
	Name() string
	// Loss returns the per-example loss terms of a batch: images [batch, h, w, c] in [0, 1],
	// labels [batch] int32. The objective comes first.
	Loss(scope *model.Scope, images, labels *Node) Terms
}

// Player is one of the parties of an adversarial model: the variables under its scope (a path
// relative to the model's scope, such as "generator") follow the gradient of its own objective,
// the batch mean of the loss term named Term.
type Player struct {
	Scope, Term string
}

// Adversarial models (a GAN) train several players at once. The training loop then updates each
// player's variables with the gradient of its own term, all from the same forward pass
// (simultaneous gradient steps, each player with its own optimizer state), instead of every
// variable with the gradient of the first term. Variables outside every player's scope are not
// trained.
type Adversarial interface {
	Players() []Player
}

// Reconstructor models map images to their reconstructions (probabilities in [0, 1]).
type Reconstructor interface {
	Reconstruct(scope *model.Scope, images, labels *Node) *Node
}

// Encoder models map images to a point of the latent space (the posterior mean for a VAE).
type Encoder interface {
	Encode(scope *model.Scope, images, labels *Node) *Node
}

// Generator models decode latent points into images (probabilities in [0, 1]); labels is nil
// for unconditional models. LatentDim reads the latent size from the store.
type Generator interface {
	Decode(scope *model.Scope, z, labels *Node) *Node
	LatentDim(store *model.Store) int
}

// Sampler models are Generators with a prior over z to draw new images from (the VAE's and the
// GAN's N(0, I), the class-prior CVAE's N(mean_c, I)); Prior names it. An autoencoder decodes
// latent points but has no prior, so its decoded N(0, I) draws are not judged as samples.
type Sampler interface {
	Generator
	Prior() string
}

// Quantizer models encode an image into a grid of discrete codes (the VQ-VAE): CodeGrid
// returns the code indices [batch, gh, gw] (int32) of images, DecodeGrid the images
// (probabilities in [0, 1]) of code grids, NumCodes the codebook size. A code prior (package
// pixelcnn) learns the distribution of their grids.
type Quantizer interface {
	CodeGrid(scope *model.Scope, images *Node) *Node
	DecodeGrid(scope *model.Scope, codes *Node) *Node
	NumCodes(store *model.Store) int
}

// GaussianPosterior models encode an image into a diagonal Gaussian q(z|x) (the VAE and the
// conditional VAEs): PosteriorParams returns its mean and log-variance [batch, latent] and the
// prior's mean for each image (zeros for N(0, I)), from which package posterior diagnoses
// posterior collapse.
type GaussianPosterior interface {
	PosteriorParams(scope *model.Scope, images, labels *Node) (mean, logVar, priorMean *Node)
}

// CodePrior models learn the distribution of another model's code grids (the PixelCNN over a
// Quantizer's): their "images" are code indices, so they train as a recipe's code prior, after
// the model whose codes they read, never on a data set's images.
type CodePrior interface {
	PriorOverCodes()
}

// ConvolutionalOnly families are convolutional whatever their parameters (a family whose
// blocks may be either reads ParamArchitecture instead): the default backend is chosen for
// convolutional work (package backends).
type ConvolutionalOnly interface {
	ConvolutionalOnly()
}

// Classifier models predict a class: ClassLogits returns the logits [batch, classes].
type Classifier interface {
	ClassLogits(scope *model.Scope, images *Node) *Node
}

// Likelihood models estimate the test negative log-likelihood -log p(x) (or -log p(x | y)
// for a conditional model) by importance sampling, in nats per image.
type Likelihood interface {
	ImportanceWeightedNLL(backend compute.Backend, store *model.Store, set *datasets.Set, opts NLLOptions) (float64, error)
}

// Documented models say in what units their loss terms are, per image (metrics.json and the
// figures' labels show it).
type Documented interface {
	Units(store *model.Store) string
}

// ReconstructionUnits describes the reconstruction term the store's ParamReconstruction gives.
func ReconstructionUnits(store *model.Store) string {
	switch Param[string](store.RootScope(), ParamReconstruction) {
	case "mse":
		return "the squared error of the sigmoid output, summed over pixels"
	case "mse_linear":
		return "the squared error of the linear output, summed over pixels"
	}
	return "the Bernoulli NLL in nats (binary cross-entropy summed over pixels)"
}

// NLLOptions are the settings of an importance-weighted NLL estimate.
type NLLOptions struct {
	// K is the number of importance samples per image.
	K int
	// Batch images (default 100) and Chunk samples of each (default min(K, 100)) are decoded
	// at a time.
	Batch, Chunk int
	// Seed fixes the draw.
	Seed uint64
	// Progress, if set, shows the images done, their rate and the time left.
	Progress io.Writer
	// Context, if set, stops the estimate between batches of images once it is done (an
	// interrupted run must not wait minutes for the estimate to end), returning its error.
	Context context.Context
}

// ConditionalPrior models have a prior over z that depends on the class: PriorMeans returns the
// prior mean [batch, latent] for labels [batch] (the prior covariance is I).
type ConditionalPrior interface {
	PriorMeans(scope *model.Scope, labels *Node) *Node
}

// Objective is the usual objective reconstruction + beta * kl, per example.
func Objective(reconstruction, kl *Node, beta float64) *Node {
	if beta == 1 {
		return Add(reconstruction, kl)
	}
	return Add(reconstruction, MulScalar(kl, beta))
}

// mustPositive panics with a clear message when a size parameter is not positive.
func mustPositive(name string, v int) {
	if v <= 0 {
		panic(fmt.Errorf("vaekit: parameter %q = %d: expected a positive size", name, v))
	}
}
