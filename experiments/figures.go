package experiments

import (
	"fmt"
	"math"
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
// Every kind of figureKinds is drawn in its order; a kind the run cannot draw (its model lacks
// the capability) draws nothing.
func (t *Trained) FiguresIn(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var all []string
	for _, k := range figureKinds {
		paths, err := k.draw(t, dir, k.name)
		all = append(all, paths...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// drawLossCurves draws every loss term per epoch.
func (t *Trained) drawLossCurves(dir, name string) ([]string, error) {
	return figures.LossCurves(t.History, termAxes(t.Model, t.Store), t.Experiment.Name, t.figure(dir, name))
}

// testImages is what the figures call the test split's images: "test images", or for a recipe
// that trains on them too, "test-split images (trained on)" (they are not held out).
func (t *Trained) testImages() string {
	if t.Experiment.TrainOnAll {
		return "test-split images (trained on)"
	}
	return "test images"
}

// drawReconstructions draws the first test images above their reconstructions.
func (t *Trained) drawReconstructions(dir, name string) ([]string, error) {
	if _, ok := t.Model.(vaekit.Reconstructor); !ok {
		return nil, nil
	}
	originals, recons, err := infer.Reconstruct(t.Backend, t.Store, t.Model, t.Test, 10)
	if err != nil {
		return nil, err
	}
	return figures.ImageGrid(append(originals, recons...), t.Test.Height, t.Test.Width, len(originals), []string{"original", "reconstruction"},
		fmt.Sprintf("%s: the first %d %s and their reconstructions", t.Experiment.Name, len(originals), t.testImages()), t.figure(dir, name))
}

// drawSamples draws 64 samples of a model that generates without a class.
func (t *Trained) drawSamples(dir, name string) ([]string, error) {
	if t.Conditional() || !t.Generates() {
		return nil, nil
	}
	samples, err := t.Samples(64, 1)
	if err != nil {
		return nil, err
	}
	what := "64 samples, z drawn from N(0, I)"
	if t.Prior != nil {
		what = "64 samples, code grids drawn from the code prior"
	}
	return figures.ImageGrid(samples, t.Test.Height, t.Test.Width, 8, nil, t.Experiment.Name+": "+what, t.figure(dir, name))
}

// drawClassSamples draws 10 samples of each class of a conditional model.
func (t *Trained) drawClassSamples(dir, name string) ([]string, error) {
	if !t.Conditional() {
		return nil, nil
	}
	samples, _, err := t.ClassSamples(10, 1)
	if err != nil {
		return nil, err
	}
	return figures.ImageGrid(samples, t.Test.Height, t.Test.Width, 10, t.Test.ClassNames, t.Experiment.Name+": 10 samples of each class asked for", t.figure(dir, name))
}

// drawLatentManifold draws the decoder's images of a grid over a 2-D latent plane.
func (t *Trained) drawLatentManifold(dir, name string) ([]string, error) {
	gen, ok := t.Model.(vaekit.Generator)
	if !ok || gen.LatentDim(t.Store) != 2 {
		return nil, nil
	}
	// The grid covers where the prior puts its mass: [-2, 2] for N(0, I); for a class prior,
	// every class's mean with 2 around it (its means can lie out to +-5).
	scale := 2.0
	marks, err := t.classMeans(len(t.Test.ClassNames), 2)
	if err != nil {
		return nil, err
	}
	for _, m := range marks {
		for _, v := range m {
			scale = max(scale, math.Ceil(math.Abs(float64(v))+2))
		}
	}
	images, z0, z1, err := infer.ManifoldGrid(t.Backend, t.Store, t.Model, 20, scale)
	if err != nil {
		return nil, err
	}
	decoder := "decoder"
	if _, ok := t.Model.(vaekit.Encoder); !ok {
		decoder = "generator"
	}
	title := fmt.Sprintf("%s: the %s's images of a 20 x 20 grid of z over [-%g, %g]", t.Experiment.Name, decoder, scale, scale)
	if t.Conditional() && marks == nil {
		// infer.Decode gives a conditional decoder class 0 when it is given no labels.
		title += fmt.Sprintf(", all of class %s", t.Test.ClassNames[0])
	}
	return figures.LatentManifold(images, t.Test.Height, t.Test.Width, z0, z1, title, t.figure(dir, name))
}

// drawCodePriorLossCurves draws the code prior's loss per epoch.
func (t *Trained) drawCodePriorLossCurves(dir, name string) ([]string, error) {
	if t.Prior == nil {
		return nil, nil
	}
	return figures.LossCurves(t.Prior.History, termAxes(pixelcnn.Model{}, t.Prior.Store), t.Experiment.Name+": code prior", t.figure(dir, name))
}

// drawNLLCurveFigure draws the run's test NLL against the epochs it trained, with its final
// estimate, if it has an NLL curve (Experiment.NLLCurveSamples).
func (t *Trained) drawNLLCurveFigure(dir, name string) ([]string, error) {
	points, err := ReadNLLCurve(t.Dir)
	if err != nil || len(points) == 0 {
		return nil, err
	}
	k, final := 0, 0.0
	if m := readMetrics(t.Dir); m != nil {
		k, final, _ = finalNLL(*m)
	}
	return drawNLLCurve(points, k, final, 0, "", t.Experiment.Name+": the test NLL while it trained", t.figure(dir, name))
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

// drawLabelClusters draws the test set's latent points by class (PCA above 2-D).
func (t *Trained) drawLabelClusters(dir, name string) ([]string, error) {
	if _, ok := t.Model.(vaekit.Encoder); !ok {
		return nil, nil
	}
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
	return figures.LabelClustersMarked(points, set.Labels, set.ClassNames, marks,
		fmt.Sprintf("%s: %s of %d %s", t.Experiment.Name, what, set.N, t.testImages()), t.figure(dir, name))
}

// drawInterpolation draws images decoded between the codes of pairs of test images, for models
// that encode and decode.
func (t *Trained) drawInterpolation(dir, name string) ([]string, error) {
	_, encodes := t.Model.(vaekit.Encoder)
	_, decodes := t.Model.(vaekit.Generator)
	if !encodes || !decodes {
		return nil, nil
	}
	const pairs, steps = 4, 10
	var images [][]float32
	var rowLabels []string
	for k := range min(pairs, t.Test.N/2) {
		i, j := 2*k, 2*k+1
		path, err := infer.LatentInterpolation(t.Backend, t.Store, t.Model, t.Test, i, j, steps)
		if err != nil {
			return nil, err
		}
		images = append(images, path...)
		rowLabels = append(rowLabels, t.Test.ClassNames[t.Test.Labels[i]]+" to "+t.Test.ClassNames[t.Test.Labels[j]])
	}
	if len(images) == 0 {
		return nil, nil
	}
	return figures.ImageGrid(images, t.Test.Height, t.Test.Width, steps, rowLabels,
		t.Experiment.Name+": latent interpolation between "+t.testImages(), t.figure(dir, name))
}

// drawCodeMap draws the first test images above their VQ-VAE code grids.
func (t *Trained) drawCodeMap(dir, name string) ([]string, error) {
	q, ok := t.Model.(vaekit.Quantizer)
	if !ok {
		return nil, nil
	}
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
	return figures.CodeMap(images, codes, first.Height, first.Width, codeSet.Height, codeSet.Width,
		t.Experiment.Name+": "+t.testImages()+" and their codes", t.figure(dir, name))
}

// drawCodebookUsage draws how often each code is chosen on the test set.
func (t *Trained) drawCodebookUsage(dir, name string) ([]string, error) {
	q, ok := t.Model.(vaekit.Quantizer)
	if !ok {
		return nil, nil
	}
	counts, err := t.testCodeCounts(q)
	if err != nil {
		return nil, err
	}
	return figures.CodebookUsage(counts, vqvae.Perplexity(counts), vqvae.InUse(counts),
		t.Experiment.Name+": codebook usage on the test set", t.figure(dir, name))
}

// figure tells the run's trace that the figure name is about to be drawn, and returns its path
// without extension in dir (an argument of the drawing call, so the trace comes first).
func (t *Trained) figure(dir, name string) string {
	t.phase("figure " + name)
	return filepath.Join(dir, name)
}
