package experiments

import (
	"slices"
	"strings"
)

// figureKind is one kind of figure a run draws: its file name (without the format's extension),
// what it shows (the caption the gallery and reports give it), and how a run draws it (nothing
// when the run's model lacks what the figure needs: an encoder, a prior, a codebook, ...).
type figureKind struct {
	name, about string
	draw        func(t *Trained, dir, name string) ([]string, error)
	// column of the results page's "what the model makes" that shows the figure (0: none); a
	// column shows the first of its kinds that the run drew.
	column int
}

// figureKinds are the figures a run draws, in the order it draws them and the gallery and
// reports show them (a figure of another name comes after them, by name). A new kind is its
// drawing function (package figures, and a method of Trained that feeds it) and a row here.
var figureKinds = []figureKind{
	{"loss_curves", "Every loss term per epoch, training and test, each on its own axis with its unit; terms equal by construction share a panel", (*Trained).drawLossCurves, 0},
	{"nll_curve", "The test negative log-likelihood (importance-weighted, k samples per image) after each stage of the " +
		"learning-rate schedule, against the epoch on a log scale, with the final estimate at a larger k", (*Trained).drawNLLCurveFigure, 0},
	{"kl_per_dimension", "The KL of each latent dimension from the prior on the test images, largest first, with the active units " +
		"(whose posterior mean varies over the images by more than 0.01) told apart from the collapsed ones, and I(x; z)", (*Trained).drawKLPerDimension, 0},
	{"reconstructions", "Test images above what the model rebuilds of them", (*Trained).drawReconstructions, 2},
	{"samples", "New images decoded from draws of the model's prior", (*Trained).drawSamples, 1},
	{"class_samples", "New images of each class asked for, one row per class (conditional models)", (*Trained).drawClassSamples, 1},
	{"latent_manifold", "The decoder's (or generator's) image of every point of an evenly spaced 20 x 20 grid of a 2-D latent plane: " +
		"over [-2, 2] in each coordinate, or for a class prior over a square around 0 that reaches 2 beyond the farthest class mean (rounded up); a conditional decoder draws class 0 (the title says so)", (*Trained).drawLatentManifold, 3},
	{"label_clusters", "The latent points of test images, coloured by class (principal components above two dimensions)", (*Trained).drawLabelClusters, 4},
	{"interpolation", "Images decoded along the straight line between the codes of two test images, one row per pair (four pairs)", (*Trained).drawInterpolation, 0},
	{"code_map", "Test images above their VQ-VAE code grids: the seven codes used most in them in a colour each, the others in grey, and each cell's code written in it where the cells leave room for 7 pt type", (*Trained).drawCodeMap, 3},
	{"codebook_usage", "How often each code is chosen on the test set, by rank, on a log scale", (*Trained).drawCodebookUsage, 0},
	{"code_prior_loss_curves", "The PixelCNN code prior's negative log-likelihood per code grid", (*Trained).drawCodePriorLossCurves, 0},
}

// kindAbout is what the figure kind of that name shows (figureKinds), or its name in words for
// a figure of another name.
func kindAbout(name string) string {
	if i := slices.IndexFunc(figureKinds, func(k figureKind) bool { return k.name == name }); i >= 0 {
		return figureKinds[i].about
	}
	return strings.ReplaceAll(name, "_", " ")
}

// compareFigures orders figure files (name.png) as figureKinds does, others after them by name.
func compareFigures(a, b string) int {
	rank := func(file string) int {
		name := strings.TrimSuffix(file, ".png")
		if i := slices.IndexFunc(figureKinds, func(k figureKind) bool { return k.name == name }); i >= 0 {
			return i
		}
		return len(figureKinds)
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}
