package experiments

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// Figures draws the run's figures into its figures folder and returns the paths (PNG, SVG and
// PDF): loss curves; the test NLL against the epochs, for a run with an NLL curve; the KL of
// each latent dimension with the active units marked, for a model with a Gaussian posterior;
// reconstructions of the first test images; samples per class for a conditional run, else
// samples from the prior; the latent manifold for 2-D latents; the label clusters of the test
// set's latent points and interpolations between test images; for a VQ-VAE the code maps of
// test images, the codebook usage and the code prior's loss curves.
func (t *Trained) Figures() ([]string, error) {
	return t.FiguresIn(filepath.Join(t.Dir, FiguresDir))
}

// FiguresIn draws the run's figures (those of Figures) into dir, in the current figure style
// (figures.SetStyle): a report at another size or resolution, without touching the run's own.
func (t *Trained) FiguresIn(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	title := t.Experiment.Name
	h, w := t.Test.Height, t.Test.Width
	var all []string
	add := func(paths []string, err error) error {
		all = append(all, paths...)
		return err
	}
	if err := add(figures.LossCurves(t.History, termAxes(t.Model, t.Store), title, t.figure(dir, "loss_curves"))); err != nil {
		return all, err
	}
	if err := add(t.nllCurveFigure(dir)); err != nil {
		return all, err
	}
	if err := add(t.klPerDimensionFigure(dir)); err != nil {
		return all, err
	}
	if _, ok := t.Model.(vaekit.Reconstructor); ok {
		originals, recons, err := infer.Reconstruct(t.Backend, t.Store, t.Model, t.Test, 10)
		if err != nil {
			return all, err
		}
		if err := add(figures.ImageGrid(append(originals, recons...), h, w, len(originals), []string{"original", "reconstruction"},
			fmt.Sprintf("%s: the first %d test images and their reconstructions", title, len(originals)), t.figure(dir, "reconstructions"))); err != nil {
			return all, err
		}
	}
	switch {
	case t.Conditional():
		samples, _, err := t.ClassSamples(10, 1)
		if err != nil {
			return all, err
		}
		if err := add(figures.ImageGrid(samples, h, w, 10, t.Test.ClassNames, title+": 10 samples of each class asked for", t.figure(dir, "class_samples"))); err != nil {
			return all, err
		}
	case t.Generates():
		samples, err := t.Samples(64, 1)
		if err != nil {
			return all, err
		}
		what := "64 samples, z drawn from N(0, I)"
		if t.Prior != nil {
			what = "64 samples, code grids drawn from the code prior"
		}
		if err := add(figures.ImageGrid(samples, h, w, 8, nil, title+": "+what, t.figure(dir, "samples"))); err != nil {
			return all, err
		}
	}
	if gen, ok := t.Model.(vaekit.Generator); ok && gen.LatentDim(t.Store) == 2 {
		images, z0, z1, err := infer.ManifoldGrid(t.Backend, t.Store, t.Model, 20, 2)
		if err != nil {
			return all, err
		}
		if err := add(figures.LatentManifold(images, h, w, z0, z1, title+": the decoder's images of a 20 x 20 grid of z", t.figure(dir, "latent_manifold"))); err != nil {
			return all, err
		}
	}
	if _, ok := t.Model.(vaekit.Encoder); ok {
		if err := add(t.latentFigures(dir)); err != nil {
			return all, err
		}
	}
	if q, ok := t.Model.(vaekit.Quantizer); ok {
		if err := add(t.codeFigures(dir, q)); err != nil {
			return all, err
		}
	}
	if t.Prior != nil {
		if err := add(figures.LossCurves(t.Prior.History, termAxes(pixelcnn.Model{}, t.Prior.Store), title+": code prior", t.figure(dir, "code_prior_loss_curves"))); err != nil {
			return all, err
		}
	}
	return all, nil
}

// nllCurveFigure draws the run's test NLL against the epochs it trained, with its final
// estimate, if it has an NLL curve (Experiment.NLLCurveSamples).
func (t *Trained) nllCurveFigure(dir string) ([]string, error) {
	points, err := ReadNLLCurve(t.Dir)
	if err != nil || len(points) == 0 {
		return nil, err
	}
	k, final := 0, 0.0
	if m := readMetrics(t.Dir); m != nil {
		k, final, _ = finalNLL(*m)
	}
	return drawNLLCurve(points, k, final, 0, "", t.Experiment.Name+": the test NLL while it trained", t.figure(dir, "nll_curve"))
}

// DrawnFigures lists the PNG figures already drawn in the run's figures folder (by Run or
// Figures), without drawing anything: what a notebook cell shows after an earlier one drew them.
func (t *Trained) DrawnFigures() ([]string, error) {
	return drawnFigures(t.Dir)
}

// clusterPoints is the number of test images whose latent points the label-cluster figure shows.
const clusterPoints = 5000

// classMeans returns the prior mean of each class of a model with a 2-D latent whose prior
// depends on the class (the class-prior CVAE's learned means), to be marked on its scatter; nil
// for any other model, or when every class has the same prior (the concatenation CVAE's N(0, I)).
func (t *Trained) classMeans(classes, latent int) ([][]float32, error) {
	prior, ok := t.Model.(vaekit.ConditionalPrior)
	if !ok || latent != 2 {
		return nil, nil
	}
	labels := make([]int32, classes)
	for i := range labels {
		labels[i] = int32(i)
	}
	out, err := model.CallOnce(t.Backend, t.Store, prior.PriorMeans, tensors.FromFlatDataAndDimensions(labels, classes))
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](out)
	var means [][]float32
	distinct := false
	for c := range classes {
		means = append(means, flat[2*c:2*c+2])
		distinct = distinct || flat[2*c] != flat[0] || flat[2*c+1] != flat[1]
	}
	if !distinct {
		return nil, nil
	}
	return means, nil
}

// latentFigures draws the label clusters of the test set's latent points (PCA above 2-D) and,
// for models that decode, interpolations between pairs of test images.
func (t *Trained) latentFigures(dir string) ([]string, error) {
	var all []string
	set := t.Test.Subset(clusterPoints)
	points, err := infer.Encode(t.Backend, t.Store, t.Model, set, 500)
	if err != nil {
		return nil, err
	}
	what := "latent means"
	if _, ok := t.Model.(vaekit.Sampler); !ok {
		what = "latent codes" // no posterior: an autoencoder's codes
	}
	marks, err := t.classMeans(len(set.ClassNames), len(points[0]))
	if err != nil {
		return nil, err
	}
	paths, err := figures.LabelClustersMarked(points, set.Labels, set.ClassNames, marks,
		fmt.Sprintf("%s: %s of %d test images", t.Experiment.Name, what, set.N), t.figure(dir, "label_clusters"))
	all = append(all, paths...)
	if err != nil {
		return all, err
	}
	if _, ok := t.Model.(vaekit.Generator); !ok {
		return all, nil
	}
	const pairs, steps = 4, 10
	var images [][]float32
	var rowLabels []string
	for k := range min(pairs, t.Test.N/2) {
		i, j := 2*k, 2*k+1
		path, err := infer.LatentInterpolation(t.Backend, t.Store, t.Model, t.Test, i, j, steps)
		if err != nil {
			return all, err
		}
		images = append(images, path...)
		rowLabels = append(rowLabels, t.Test.ClassNames[t.Test.Labels[i]]+" to "+t.Test.ClassNames[t.Test.Labels[j]])
	}
	if len(images) == 0 {
		return all, nil
	}
	paths, err = figures.ImageGrid(images, t.Test.Height, t.Test.Width, steps, rowLabels,
		t.Experiment.Name+": latent interpolation between test images", t.figure(dir, "interpolation"))
	return append(all, paths...), err
}

// codeFigures draws the code maps of the first test images and the codebook usage on the test set.
func (t *Trained) codeFigures(dir string, q vaekit.Quantizer) ([]string, error) {
	const shown = 6
	first := t.Test.Subset(shown)
	codeSet, err := infer.CodeSet(t.Backend, t.Store, q, first, shown)
	if err != nil {
		return nil, err
	}
	codes := make([]int32, len(codeSet.Images))
	for i, c := range codeSet.Images {
		codes[i] = int32(c)
	}
	images := make([][]float32, first.N)
	for i := range images {
		images[i] = first.Image(i)
	}
	all, err := figures.CodeMap(images, codes, first.Height, first.Width, codeSet.Height, codeSet.Width,
		t.Experiment.Name+": test images and their codes", t.figure(dir, "code_map"))
	if err != nil {
		return all, err
	}
	counts, err := t.testCodeCounts(q)
	if err != nil {
		return all, err
	}
	paths, err := figures.CodebookUsage(counts, vqvae.Perplexity(counts), vqvae.InUse(counts),
		t.Experiment.Name+": codebook usage on the test set", t.figure(dir, "codebook_usage"))
	return append(all, paths...), err
}

// figure tells the run's trace that the figure name is about to be drawn, and returns its path
// without extension in dir (an argument of the drawing call, so the trace comes first).
func (t *Trained) figure(dir, name string) string {
	t.phase("figure " + name)
	return filepath.Join(dir, name)
}
