// Package experiments defines vaekit's named, rerunnable experiments and runs them into run
// directories. A run directory holds
//
//	params.json    every parameter of the model store (the full recipe)
//	history.csv    epoch, split, every loss term (nats per image)
//	metrics.json   the final test figures with their units, and the timings
//	manifest.json  module versions, backend, seed, git commit, wall time
//	checkpoint/    the latest checkpoints (weights, optimizer state, random state, epoch)
//	figures/       loss curves, reconstructions, prior samples, latent manifold (PNG and SVG)
//
// Running an experiment again continues it from its checkpoint; a finished run only redraws
// its figures. Flags live in the command (cmd/experiments), never here.
package experiments

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/vae"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// Experiment is one named recipe: data, model family and store parameters.
type Experiment struct {
	Name        string
	Description string
	Data        datasets.Name
	// TrainOnAll trains on the training and test images together (as the seed tutorials do);
	// the test split is still evaluated every epoch, so its curve is not a held-out one.
	TrainOnAll bool
	Model      string         // a key of Models
	Params     map[string]any // store parameters; see the Param constants of vaekit and the families
	// CodePrior, for a VQ-VAE, holds the store parameters of the PixelCNN prior over its code
	// grids (package pixelcnn), trained after the VQ-VAE on the codes of the training images so
	// that the run can generate; nil: no prior.
	CodePrior map[string]any
	// NLLSamples, if > 0, is the number k of importance samples of the test NLL estimate
	// (vae.ImportanceWeightedNLL) written to metrics.json, for VAEs and CVAEs with a Bernoulli
	// likelihood; Options.MaxNLLSamples caps it.
	NLLSamples int
	// NLLCurveSamples, if > 0, also estimates the test NLL with this many importance samples
	// while the run trains, after each stage of its learning-rate schedule and after its last
	// epoch (vaekit.ScheduleStageEnds), into nll_curve.csv: the likelihood against passes, as
	// the IWAE paper reports it. Options.MaxNLLSamples caps it too.
	NLLCurveSamples int
	// Source says where the settings come from and what had to be chosen.
	Source string
	// Impl, if set, is the model that trains in place of Models[Model]: a notebook's own code
	// of the family (WithModel). Its Name must be Model, so the recipe, the checkpoint and
	// the evaluation read it as that family; what it can do beyond Loss (sample, encode,
	// quantize) decides its metrics and figures, as for the library's families.
	Impl vaekit.Model
	// CodePriorImpl, if set, is the code prior that trains in place of pixelcnn.Model (its Name
	// must be "pixelcnn"): a notebook's own PixelCNN (WithCodePrior).
	CodePriorImpl vaekit.Model
}

// WithCodePrior returns exp with m as its code prior in place of pixelcnn.Model (CodePriorImpl).
func (exp Experiment) WithCodePrior(m vaekit.Model) Experiment {
	exp.CodePriorImpl = m
	return exp
}

// codePriorModel is the code prior exp trains: CodePriorImpl, or pixelcnn.Model.
func (exp Experiment) codePriorModel() (vaekit.Model, error) {
	if exp.CodePriorImpl == nil {
		return pixelcnn.Model{}, nil
	}
	if name := exp.CodePriorImpl.Name(); name != "pixelcnn" {
		return nil, fmt.Errorf("code prior value %T is named %q: expected \"pixelcnn\"", exp.CodePriorImpl, name)
	}
	return exp.CodePriorImpl, nil
}

// WithModel returns exp trained and opened with m in place of the library's family of the
// same name (Impl); its runs, checkpoints and metrics are written exactly as the recipe's.
func (exp Experiment) WithModel(m vaekit.Model) Experiment {
	exp.Impl = m
	return exp
}

// Variant returns exp with changes applied to its parameters (after them, as overrides) and a
// name that lists them ("mnist-mlp-vae[latent_dim=2,vae_beta=4]"), so that its run gets a
// directory of its own instead of being refused as a changed recipe. No changes: exp itself.
// The values are checked when the variant runs, as every recipe's.
func (exp Experiment) Variant(changes map[string]any) Experiment {
	if len(changes) == 0 {
		return exp
	}
	exp.Params = maps.Clone(exp.Params)
	var names []string
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		exp.Params[k] = changes[k]
		names = append(names, fmt.Sprintf("%s=%v", k, changes[k]))
	}
	exp.Name += "[" + strings.Join(names, ",") + "]"
	return exp
}

// model is the family value exp trains: Impl, or the library's family named Model.
func (exp Experiment) model() (vaekit.Model, error) {
	if exp.Impl == nil {
		return ModelByName(exp.Model)
	}
	if exp.Impl.Name() != exp.Model {
		return nil, fmt.Errorf("model value %T is named %q: expected %q, the family of the recipe", exp.Impl, exp.Impl.Name(), exp.Model)
	}
	return exp.Impl, nil
}

// Models maps model names to the families.
var Models = map[string]vaekit.Model{
	"vae":        vae.Model{},
	"ae":         ae.Model{},
	"cvae":       cvae.Model{},
	"vqvae":      vqvae.Model{},
	"classifier": classifier.Model{},
	"gan":        gan.Model{},
}

// ModelByName returns the family with the given name.
func ModelByName(name string) (vaekit.Model, error) {
	if m, ok := Models[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown model %q: expected one of %v", name, slices.Sorted(maps.Keys(Models)))
}

// Pixel variances of the training images scaled to [0, 1], as keras-io's vq_vae computes
// them (np.var(x_train / 255.0), in float64); TestPixelVariances recomputes them from the data.
const (
	mnistPixelVariance   = 0.09493041879725218
	fashionPixelVariance = 0.12462611721533168
)

// kerasVQVAE is the keras-io VQ-VAE recipe for a training set whose pixels have the given
// variance: Conv 32/64 stride 2 to a 7x7x16 grid, 128 codes, beta 0.25, Adam, batch 128, 30
// epochs, a linear decoder output and the squared error weighed by 1/variance, which is
// keras-io's loss (mean squared error over the variance, plus the VQ terms as means over the
// 784 latent values) times 784. Where it had to choose: keras-io feeds pixels shifted to
// [-0.5, 0.5]; here they stay in [0, 1], which a linear output absorbs in its bias, and the
// first convolution's bias absorbs everywhere but at the zero-padded borders. Keras' initial
// weights (Glorot-uniform) and keras-io's codebook (uniform in +-0.05): from GoMLX's start the
// same recipe ended 14% below keras-io's reconstruction, from Keras' 1.4% (docs/DESIGN.md).
func kerasVQVAE(pixelVariance float64) map[string]any {
	return map[string]any{
		vaekit.ParamInitializer:         "glorot_uniform",
		vqvae.ParamCodebookInitScale:    0.05,
		vaekit.ParamConvFilters:         []int{32, 64},
		vqvae.ParamNumCodes:             128,
		vqvae.ParamCodeDim:              16,
		vqvae.ParamBeta:                 0.25,
		vaekit.ParamReconstruction:      "mse_linear",
		vqvae.ParamReconstructionWeight: 1 / pixelVariance,
		vaekit.ParamOptimizer:           "adam",
		vaekit.ParamLearningRate:        1e-3,
		vaekit.ParamBatchSize:           128,
		vaekit.ParamEpochs:              30,
		vaekit.ParamSeed:                int64(1),
	}
}

// kerasCodePrior is the PixelCNN over the 7x7 code grids, after keras-io's vq_vae (masked 7x7
// first layer, 2 residual blocks with masked 3x3 convolutions, Adam 3e-4, batch 128) but 64
// filters instead of 128 and 20 epochs instead of 30, a quarter of the cost on two cores.
func kerasCodePrior(conditional bool) map[string]any {
	return map[string]any{
		vaekit.ParamInitializer:      "glorot_uniform",
		pixelcnn.ParamFilters:        64,
		pixelcnn.ParamFirstKernel:    7,
		pixelcnn.ParamResidualBlocks: 2,
		pixelcnn.ParamConditional:    conditional,
		vaekit.ParamOptimizer:        "adam",
		vaekit.ParamLearningRate:     3e-4,
		vaekit.ParamBatchSize:        128,
		vaekit.ParamEpochs:           20,
		vaekit.ParamSeed:             int64(1),
	}
}

// classifierRecipe is the recipe of the classifiers that score samples.
func classifierRecipe() map[string]any {
	return map[string]any{
		vaekit.ParamConvFilters:  []int{32, 64},
		classifier.ParamHidden:   128,
		vaekit.ParamOptimizer:    "adam",
		vaekit.ParamLearningRate: 1e-3,
		vaekit.ParamBatchSize:    128,
		vaekit.ParamEpochs:       5,
		vaekit.ParamSeed:         int64(1),
	}
}

// kerasConvVAE is the convolutional VAE of the seed Fashion-MNIST tutorial, which is the keras-io VAE
// example's (Conv 32/64 3x3 stride 2, Dense 16, latent 2, learning rate 1e-3, Keras' default),
// with the given parameters changed: the two differ in optimizer, batch size and epochs.
func kerasConvVAE(changes map[string]any) map[string]any {
	p := map[string]any{
		vaekit.ParamArchitecture: vaekit.ArchConv,
		vaekit.ParamConvFilters:  []int{32, 64},
		vaekit.ParamConvDense:    16,
		vaekit.ParamLatentDim:    2,
		vaekit.ParamLearningRate: 1e-3,
		vaekit.ParamSeed:         int64(1),
	}
	maps.Copy(p, changes)
	return p
}

// mlpVAE is the recipe of the seed MNIST VAE (784-512-256-20, Adam 1e-3, batch 128, 20 epochs)
// with the given parameters changed: the MNIST baselines and variants share it, so that they
// differ from the VAE only where they say.
func mlpVAE(changes map[string]any) map[string]any {
	p := map[string]any{
		vaekit.ParamArchitecture: vaekit.ArchMLP,
		vaekit.ParamMLPHidden:    []int{512, 256},
		vaekit.ParamLatentDim:    20,
		vaekit.ParamOptimizer:    "adam",
		vaekit.ParamLearningRate: 1e-3,
		vaekit.ParamBatchSize:    128,
		vaekit.ParamEpochs:       20,
		vaekit.ParamSeed:         int64(1),
	}
	maps.Copy(p, changes)
	return p
}

// Registry holds the named experiments, in the order `experiments list` prints them.
var Registry = []Experiment{
	{
		Name:        "fashion-conv-vae",
		Description: "convolutional VAE, latent 2, on Fashion-MNIST (the seed tutorial)",
		Data:        datasets.FashionMNIST,
		TrainOnAll:  true,
		Model:       "vae",
		// Keras' RMSprop default learning rate 1e-3 (kerasConvVAE): the seed does not set it. Keras'
		// initial weights (Glorot-uniform kernels), and the seed's KL: reduce_mean over the batch
		// and the two latent dimensions, so half the summed KL, trained and printed as such.
		Params: kerasConvVAE(map[string]any{vaekit.ParamOptimizer: "rmsprop", vaekit.ParamBatchSize: 64, vaekit.ParamEpochs: 100,
			vaekit.ParamInitializer: "glorot_uniform", vae.ParamKLReduction: "mean"}),
		Source: "seed Fashion-MNIST VAE: Conv 32/64 3x3 stride 2 ReLU, Dense 16, latent 2; decoder Dense 7x7x64, " +
			"ConvTranspose 64/32 stride 2, Conv 3x3 to 1 channel with sigmoid; RMSprop, batch 64, 100 epochs on all 70,000 images; " +
			"loss 784 x mean BCE + KL averaged over batch and latent dimensions (= BCE summed over pixels + KL / 2); Keras initializers",
	},
	{
		Name:        "mnist-keras-vae",
		Description: "convolutional VAE, latent 2, on all 70,000 MNIST images (the keras-io VAE example)",
		Data:        datasets.MNIST,
		TrainOnAll:  true,
		Model:       "vae",
		Params: kerasConvVAE(map[string]any{vaekit.ParamOptimizer: "adam", vaekit.ParamBatchSize: 128, vaekit.ParamEpochs: 30,
			vaekit.ParamInitializer: "glorot_uniform"}),
		Source: "keras-io Variational AutoEncoder (fchollet): Conv 32/64 3x3 stride 2 ReLU, Dense 16, latent 2; decoder Dense " +
			"7x7x64, ConvTranspose 64/32 stride 2, ConvTranspose 3x3 to 1 channel with sigmoid; Adam, batch 128, 30 epochs on " +
			"train and test together; loss = BCE summed over pixels + KL, per image",
	},
	{
		Name:        "mnist-dcgan",
		Description: "DCGAN-style GAN whose generator is the conv VAE decoder (latent 2), on all 70,000 MNIST images",
		Data:        datasets.MNIST,
		TrainOnAll:  true,
		Model:       "gan",
		Params: kerasConvVAE(map[string]any{vaekit.ParamOptimizer: "adam", vaekit.ParamLearningRate: 2e-4,
			vaekit.ParamAdamBeta1: 0.5, vaekit.ParamBatchSize: 128, vaekit.ParamEpochs: 30,
			"/" + gan.DiscriminatorScope + "/" + vaekit.ParamActivation:     "leaky_relu",
			"/" + gan.DiscriminatorScope + "/" + vaekit.ParamLeakyReluAlpha: 0.2}),
		Source: "the seed notes' VAE-versus-GAN comparison, against mnist-keras-vae: the generator is that VAE's decoder " +
			"(Dense 7x7x64, ConvTranspose 64/32 stride 2, Conv 3x3 to 1 channel, sigmoid) from the same 2-d N(0, I) latent, " +
			"on the same 70,000 images, batch 128, 30 epochs. DCGAN's choices elsewhere (Radford et al. 2016): Adam 2e-4 with " +
			"beta1 0.5, a LeakyReLU(0.2) discriminator (the VAE encoder's Conv 32/64 stride 2 and Dense 16, then one logit), " +
			"the non-saturating generator loss. Chosen here: no BatchNorm (the VAE decoder has none), and simultaneous " +
			"updates of both players from one forward pass (vaekit's one training loop) rather than alternating ones",
	},
	{
		Name:        "mnist-mlp-vae",
		Description: "MLP VAE 784-512-256-20 on MNIST (the seed tutorial)",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params:      mlpVAE(nil),
		// No published NLL to compare with: k = 1000 (about 3 minutes on two cores, where
		// k = 5000 takes 9 to 15; BenchmarkImportanceWeightedNLL). The IWAE paper's k = 5000 is
		// kept by mnist-binarized-vae, which compares with it.
		NLLSamples: 1000,
		Source:     "seed MNIST VAE: 784-512-256-20, ReLU, Adam 1e-3, batch 128, 20 epochs, BCE summed over pixels + KL",
	},
	{
		Name:        "mnist-binarized-vae",
		Description: "MLP VAE 784-200-200-50 (tanh) on dynamically binarized MNIST, the likelihood benchmark (IWAE paper)",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params: mlpVAE(map[string]any{vaekit.ParamMLPHidden: []int{200, 200}, vaekit.ParamLatentDim: 50,
			vaekit.ParamBinarize: "dynamic", vaekit.ParamActivation: "tanh", vaekit.ParamBatchSize: 20,
			vaekit.ParamAdamEpsilon: 1e-4, vaekit.ParamLearningRateSchedule: "iwae", vaekit.ParamEpochs: 1093}),
		NLLSamples: 5000,
		// About 50 s per estimate on two cores: 7 estimates for the curve, k = 5000 at the end.
		NLLCurveSamples: 1000,
		Source: "Burda, Grosse and Salakhutdinov 2016 (IWAE), VAE with one stochastic layer: 784-200-200-50 with tanh, " +
			"Adam (beta1 0.9, beta2 0.999, epsilon 1e-4), batches of 20, the learning rate 1e-3 x 10^(-i/7) in stages " +
			"of 3^i passes, test NLL with k = 5000 (they report 86.76 nats). Chosen here: the stages 0 to 6 (1,093 passes) " +
			"of their 0 to 7 (3,280), to fit about two hours on two cores; the test set is binarized once by a fixed draw",
	},
	{
		Name:        "mnist-conv-cvae",
		Description: "conditional VAE (label concatenation), convolutional with batch norm and LeakyReLU, latent 2, on MNIST",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params: map[string]any{
			cvae.ParamForm:            cvae.FormConcat,
			vaekit.ParamArchitecture:  vaekit.ArchConv,
			vaekit.ParamConvFilters:   []int{32, 64},
			vaekit.ParamConvDense:     16,
			vaekit.ParamConvBatchNorm: true,
			vaekit.ParamActivation:    "leaky_relu",
			vaekit.ParamLatentDim:     2,
			vaekit.ParamOptimizer:     "adam",
			vaekit.ParamLearningRate:  1e-3,
			vaekit.ParamBatchSize:     128,
			vaekit.ParamEpochs:        20,
			vaekit.ParamSeed:          int64(1),
			vaekit.ParamInitializer:   "glorot_uniform", // the seed is Keras
		},
		Source: "seed CVAE: Conv 32/64 3x3 stride 2 with BatchNorm and LeakyReLU, one-hot label as extra input planes and " +
			"beside z, mirrored decoder with transposed convolutions (Sohn et al. 2015). Chosen here where the seed is silent: " +
			"Dense 16 before the latent, latent 2 (so the per-class manifold can be drawn), LeakyReLU slope 0.3 (Keras), " +
			"Adam 1e-3, batch 128, 20 epochs",
	},
	{
		Name:        "mnist-mlp-beta-vae",
		Description: "beta-VAE (beta 4), MLP 784-512-256-20, on MNIST",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params:      mlpVAE(map[string]any{vae.ParamBeta: 4.0}),
		Source: "mnist-mlp-vae with the KL term weighted by beta = 4 (Higgins et al. 2017, beta-VAE): the twin that shows " +
			"what the KL weight does",
	},
	{
		Name:        "mnist-mlp-cvae",
		Description: "conditional VAE (label concatenation), MLP 784-512-256-2, on MNIST",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params:      mlpVAE(map[string]any{cvae.ParamForm: cvae.FormConcat, vaekit.ParamLatentDim: 2}),
		Source: "the label-concatenation CVAE (Sohn et al. 2015) on the MLP of the seed MNIST VAE, latent 2: the twin of " +
			"mnist-prior-cvae, differing only in how the class enters, and 10 times cheaper than mnist-conv-cvae on two cores",
	},
	{
		Name:        "mnist-prior-cvae",
		Description: "conditional VAE with a learned prior mean per class, MLP 784-512-256-2, on MNIST",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params:      mlpVAE(map[string]any{cvae.ParamForm: cvae.FormPrior, vaekit.ParamLatentDim: 2}),
		Source: "class-prior CVAE of the seed notes: KL(q(z|x) || N(mu_y, I)) with a learned mu_y per class. Chosen here: " +
			"the MLP of the seed MNIST VAE, latent 2 so the class clusters can be seen, Adam 1e-3, batch 128, 20 epochs",
	},
	{
		Name:        "mnist-prior-cvae-8d",
		Description: "the class-prior CVAE of mnist-prior-cvae with an 8-d latent, so that its classes separate",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params:      mlpVAE(map[string]any{cvae.ParamForm: cvae.FormPrior, vaekit.ParamLatentDim: 8}),
		Source: "beyond the seed notes: with a 2-d latent and unit-variance priors the classes of mnist-prior-cvae overlap " +
			"(class fidelity 0.47 on ONNX Runtime, 0.51 on the pure-Go backend, measured 2026-11-22); 8 dimensions leave " +
			"room for ten unit-variance classes apart. Otherwise mnist-prior-cvae",
	},
	{
		Name:        "mnist-mlp-ae",
		Description: "autoencoder baseline, MLP 784-512-256-20, on MNIST",
		Data:        datasets.MNIST,
		Model:       "ae",
		Params:      mlpVAE(nil),
		Source:      "baseline with the architecture and schedule of mnist-mlp-vae, deterministic bottleneck, BCE summed over pixels",
	},
	{
		Name:        "mnist-mlp-dae",
		Description: "denoising autoencoder baseline (Gaussian noise 0.3), MLP 784-512-256-20, on MNIST",
		Data:        datasets.MNIST,
		Model:       "ae",
		Params:      mlpVAE(map[string]any{ae.ParamCorruption: "gaussian", ae.ParamNoise: 0.3}),
		Source:      "as mnist-mlp-ae, with inputs corrupted by N(0, 0.3^2) noise (clipped to [0, 1]) while training (Vincent et al. 2008)",
	},
	{
		Name:        "mnist-vqvae",
		Description: "VQ-VAE, 7x7 grid of 16-d codes from 128, on MNIST (keras-io)",
		Data:        datasets.MNIST,
		Model:       "vqvae",
		Params:      kerasVQVAE(mnistPixelVariance),
		CodePrior:   kerasCodePrior(true),
		Source: "keras-io vq_vae: encoder output 7x7x16, 128 codes, beta 0.25, Adam, batch 128, 30 epochs, linear decoder output, squared error over the pixel variance (see kerasVQVAE); " +
			"its PixelCNN code prior, here class-conditional (see kerasCodePrior)",
	},
	{
		Name:        "fashion-vqvae",
		Description: "VQ-VAE, 7x7 grid of 16-d codes from 128, on Fashion-MNIST",
		Data:        datasets.FashionMNIST,
		Model:       "vqvae",
		Params:      kerasVQVAE(fashionPixelVariance),
		CodePrior:   kerasCodePrior(false),
		Source:      "the mnist-vqvae recipe on Fashion-MNIST, with an unconditional code prior",
	},
	{
		Name:        "mnist-classifier",
		Description: "the classifier that scores class-conditioned MNIST samples (conv 32/64, dense 128)",
		Data:        datasets.MNIST,
		Model:       "classifier",
		Params:      classifierRecipe(),
		Source:      "chosen here: Conv 32/64 3x3 stride 2 ReLU, Dense 128, softmax; Adam 1e-3, batch 128, 5 epochs",
	},
	{
		Name:        "fashion-mnist-classifier",
		Description: "the classifier that scores class-conditioned Fashion-MNIST samples (conv 32/64, dense 128)",
		Data:        datasets.FashionMNIST,
		Model:       "classifier",
		Params:      classifierRecipe(),
		Source:      "as mnist-classifier, on Fashion-MNIST",
	},
}

// ClassifierFor returns the experiment whose classifier judges samples of a data set.
func ClassifierFor(data datasets.Name) (Experiment, error) {
	return Lookup(string(data) + "-classifier")
}

// Lookup returns the named experiment.
func Lookup(name string) (Experiment, error) {
	for _, e := range Registry {
		if e.Name == name {
			return e, nil
		}
	}
	names := make([]string, len(Registry))
	for i, e := range Registry {
		names[i] = e.Name
	}
	return Experiment{}, fmt.Errorf("unknown experiment %q: expected one of %s", name, strings.Join(names, ", "))
}
