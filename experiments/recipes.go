package experiments

// The recipes: every named experiment, and the recipe builders they share. A new family's
// recipe is added here (its package registers the family itself, vaekit.RegisterFamily).

import (
	"maps"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/betatcvae"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/dcgan"
	"github.com/vaekit/vaekit/vaekit/gan"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

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
		training.ParamInitializer:       "glorot_uniform",
		vqvae.ParamCodebookInitScale:    0.05,
		vaekit.ParamConvFilters:         []int{32, 64},
		vqvae.ParamNumCodes:             128,
		vqvae.ParamCodeDim:              16,
		vqvae.ParamBeta:                 0.25,
		vaekit.ParamReconstruction:      "mse_linear",
		vqvae.ParamReconstructionWeight: 1 / pixelVariance,
		training.ParamOptimizer:         "adam",
		training.ParamLearningRate:      1e-3,
		training.ParamBatchSize:         128,
		training.ParamEpochs:            30,
		training.ParamSeed:              int64(1),
	}
}

// kerasCodePrior is the PixelCNN over the 7x7 code grids, after keras-io's vq_vae (masked 7x7
// first layer, 2 residual blocks with masked 3x3 convolutions, Adam 3e-4, batch 128) but 64
// filters instead of 128 and 20 epochs instead of 30, a quarter of the cost on two cores.
func kerasCodePrior(conditional bool) map[string]any {
	return map[string]any{
		training.ParamInitializer:    "glorot_uniform",
		pixelcnn.ParamFilters:        64,
		pixelcnn.ParamFirstKernel:    7,
		pixelcnn.ParamResidualBlocks: 2,
		pixelcnn.ParamConditional:    conditional,
		training.ParamOptimizer:      "adam",
		training.ParamLearningRate:   3e-4,
		training.ParamBatchSize:      128,
		training.ParamEpochs:         20,
		training.ParamSeed:           int64(1),
	}
}

// classifierRecipe is the recipe of the classifiers that score samples.
func classifierRecipe() map[string]any {
	return map[string]any{
		vaekit.ParamConvFilters:    []int{32, 64},
		classifier.ParamHidden:     128,
		training.ParamOptimizer:    "adam",
		training.ParamLearningRate: 1e-3,
		training.ParamBatchSize:    128,
		training.ParamEpochs:       5,
		training.ParamSeed:         int64(1),
	}
}

// kerasConvVAE is the convolutional VAE of the reference Fashion-MNIST tutorial, which is the keras-io VAE
// example's (Conv 32/64 3x3 stride 2, Dense 16, latent 2, learning rate 1e-3, Keras' default),
// with the given parameters changed: the two differ in optimizer, batch size and epochs.
func kerasConvVAE(changes map[string]any) map[string]any {
	p := map[string]any{
		vaekit.ParamArchitecture:   vaekit.ArchConv,
		vaekit.ParamConvFilters:    []int{32, 64},
		vaekit.ParamConvDense:      16,
		vaekit.ParamLatentDim:      2,
		training.ParamLearningRate: 1e-3,
		training.ParamSeed:         int64(1),
	}
	maps.Copy(p, changes)
	return p
}

// tfDCGAN is the recipe of the TensorFlow DCGAN tutorial (see package dcgan) with the given
// parameters changed.
func tfDCGAN(changes map[string]any) map[string]any {
	p := map[string]any{
		vaekit.ParamLatentDim: 100, dcgan.ParamGeneratorFilters: []int{256, 128, 64},
		dcgan.ParamDiscriminatorFilters: []int{64, 128}, dcgan.ParamKernel: 5, dcgan.ParamDropout: 0.3,
		vaekit.ParamLeakyReluAlpha: 0.3, training.ParamInitializer: "glorot_uniform",
		training.ParamOptimizer: "adam", training.ParamLearningRate: 1e-4, training.ParamBatchSize: 256,
		training.ParamEpochs: 50, training.ParamSeed: int64(1),
		// Keras samples with the moving averages that training leaves, as the tutorial does.
		training.ParamBatchNormBatches: 0,
	}
	maps.Copy(p, changes)
	return p
}

// mlpVAE is the recipe of the reference MNIST VAE (784-512-256-20, Adam 1e-3, batch 128, 20 epochs)
// with the given parameters changed: the MNIST baselines and variants share it, so that they
// differ from the VAE only where they say.
func mlpVAE(changes map[string]any) map[string]any {
	p := map[string]any{
		vaekit.ParamArchitecture:   vaekit.ArchMLP,
		vaekit.ParamMLPHidden:      []int{512, 256},
		vaekit.ParamLatentDim:      20,
		training.ParamOptimizer:    "adam",
		training.ParamLearningRate: 1e-3,
		training.ParamBatchSize:    128,
		training.ParamEpochs:       20,
		training.ParamSeed:         int64(1),
	}
	maps.Copy(p, changes)
	return p
}

// Registry holds the named experiments, in the order `experiments list` prints them.
var Registry = []Experiment{
	{
		Name:        "fashion-conv-vae",
		Description: "convolutional VAE, latent 2, on Fashion-MNIST (the reference tutorial)",
		Data:        datasets.FashionMNIST,
		TrainOnAll:  true,
		Model:       "vae",
		// Keras' RMSprop default learning rate 1e-3 (kerasConvVAE): the tutorial does not set it. Keras'
		// initial weights (Glorot-uniform kernels), and the tutorial's KL: reduce_mean over the batch
		// and the two latent dimensions, so half the summed KL, trained and printed as such.
		Params: kerasConvVAE(map[string]any{training.ParamOptimizer: "rmsprop", training.ParamBatchSize: 64, training.ParamEpochs: 100,
			training.ParamInitializer: "glorot_uniform", vae.ParamKLReduction: "mean"}),
		Source: "reference Fashion-MNIST VAE: Conv 32/64 3x3 stride 2 ReLU, Dense 16, latent 2; decoder Dense 7x7x64, " +
			"ConvTranspose 64/32 stride 2, Conv 3x3 to 1 channel with sigmoid; RMSprop, batch 64, 100 epochs on all 70,000 images; " +
			"loss 784 x mean BCE + KL averaged over batch and latent dimensions (= BCE summed over pixels + KL / 2); Keras initializers",
	},
	{
		Name:        "mnist-keras-vae",
		Description: "convolutional VAE, latent 2, on all 70,000 MNIST images (the keras-io VAE example)",
		Data:        datasets.MNIST,
		TrainOnAll:  true,
		Model:       "vae",
		Params: kerasConvVAE(map[string]any{training.ParamOptimizer: "adam", training.ParamBatchSize: 128, training.ParamEpochs: 30,
			training.ParamInitializer: "glorot_uniform"}),
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
		Params: kerasConvVAE(map[string]any{training.ParamOptimizer: "adam", training.ParamLearningRate: 2e-4,
			training.ParamAdamBeta1: 0.5, training.ParamBatchSize: 128, training.ParamEpochs: 30,
			"/" + gan.DiscriminatorScope + "/" + vaekit.ParamActivation:     "leaky_relu",
			"/" + gan.DiscriminatorScope + "/" + vaekit.ParamLeakyReluAlpha: 0.2}),
		Source: "the reference notes' VAE-versus-GAN comparison, against mnist-keras-vae: the generator is that VAE's decoder " +
			"(Dense 7x7x64, ConvTranspose 64/32 stride 2, Conv 3x3 to 1 channel, sigmoid) from the same 2-d N(0, I) latent, " +
			"on the same 70,000 images, batch 128, 30 epochs. DCGAN's choices elsewhere (Radford et al. 2016): Adam 2e-4 with " +
			"beta1 0.5, a LeakyReLU(0.2) discriminator (the VAE encoder's Conv 32/64 stride 2 and Dense 16, then one logit), " +
			"the non-saturating generator loss. Chosen here: no BatchNorm (the VAE decoder has none), and simultaneous " +
			"updates of both players from one forward pass (vaekit's one training loop) rather than alternating ones",
	},
	{
		Name:        "mnist-tf-dcgan",
		Description: "the TensorFlow tutorial's DCGAN (noise 100, generator 7x7x256 to 28x28 with BatchNorm, tanh output), on MNIST",
		Data:        datasets.MNIST,
		Model:       "dcgan",
		Params:      tfDCGAN(map[string]any{}),
		Source: "TensorFlow tutorial \"Deep Convolutional Generative Adversarial Network\": generator Dense 7x7x256 (no bias), " +
			"BatchNorm, LeakyReLU, ConvTranspose 128 5x5 stride 1, 64 5x5 stride 2, 1 5x5 stride 2 with tanh (BatchNorm and " +
			"LeakyReLU between, no biases); discriminator Conv 64 and 128 5x5 stride 2, each with LeakyReLU and Dropout 0.3, " +
			"Dense 1; Keras' LeakyReLU slope 0.3 and Glorot-uniform weights; images on [-1, 1]; both players Adam 1e-4 from one " +
			"forward pass; batch 256, noise 100, 50 epochs on the 60,000 training images",
	},
	{
		Name:        "mnist-tf-dcgan-half",
		Description: "mnist-tf-dcgan at half its widths (generator 7x7x128, discriminator 32 and 64 filters), 50 epochs, on MNIST",
		Data:        datasets.MNIST,
		Model:       "dcgan",
		Params: tfDCGAN(map[string]any{dcgan.ParamGeneratorFilters: []int{128, 64, 32},
			dcgan.ParamDiscriminatorFilters: []int{32, 64}}),
		Source: "mnist-tf-dcgan with every layer's filters halved (a quarter of its arithmetic), the tutorial's 50 epochs: " +
			"on two cores an epoch takes about 3 minutes at half width, about 8 at full",
	},
	{
		Name:        "mnist-tf-dcgan-half-radford",
		Description: "mnist-tf-dcgan-half with the DCGAN paper's optimizer (Adam 2e-4, beta1 0.5) at batch 64, 20 epochs, on MNIST",
		Data:        datasets.MNIST,
		Model:       "dcgan",
		Params: tfDCGAN(map[string]any{dcgan.ParamGeneratorFilters: []int{128, 64, 32},
			dcgan.ParamDiscriminatorFilters: []int{32, 64}, training.ParamLearningRate: 2e-4, training.ParamAdamBeta1: 0.5,
			training.ParamBatchSize: 64, training.ParamEpochs: 20}),
		Source: "mnist-tf-dcgan-half's networks with the optimizer of the DCGAN paper (Radford, Metz and Chintala 2016: Adam " +
			"2e-4 with beta1 0.5 for both players) and the batch of PyTorch's DCGAN example (64): 20 epochs are 18,740 steps, " +
			"more than mnist-tf-dcgan-half's 11,700 at batch 256, on 40% of the images it saw (and so about 40% of its arithmetic)",
	},
	{
		Name:        "mnist-tf-dcgan-radford",
		Description: "mnist-tf-dcgan (the tutorial's full widths) with the DCGAN paper's optimizer (Adam 2e-4, beta1 0.5) at batch 64, 20 epochs, on MNIST",
		Data:        datasets.MNIST,
		Model:       "dcgan",
		Params: tfDCGAN(map[string]any{training.ParamLearningRate: 2e-4, training.ParamAdamBeta1: 0.5,
			training.ParamBatchSize: 64, training.ParamEpochs: 20}),
		Source: "the TensorFlow tutorial's networks at their full widths (mnist-tf-dcgan) with mnist-tf-dcgan-half-radford's " +
			"optimizer (Adam 2e-4 with beta1 0.5 for both players, Radford, Metz and Chintala 2016) at batch 64, for as many epochs: 20 epochs are " +
			"18,740 steps, as mnist-tf-dcgan-half-radford's, on networks with four times its arithmetic per image",
	},
	{
		Name:        "mnist-tf-dcgan-half-radford-ema",
		Description: "mnist-tf-dcgan-half-radford sampled from a moving average of its generator's weights (decay 0.999), 20 epochs, on MNIST",
		Data:        datasets.MNIST,
		Model:       "dcgan",
		Params: tfDCGAN(map[string]any{dcgan.ParamGeneratorFilters: []int{128, 64, 32},
			dcgan.ParamDiscriminatorFilters: []int{32, 64}, training.ParamLearningRate: 2e-4, training.ParamAdamBeta1: 0.5,
			training.ParamBatchSize: 64, training.ParamEpochs: 20, training.ParamAveragingDecay: 0.999}),
		Source: "mnist-tf-dcgan-half-radford's networks, optimizer and steps, its samples drawn from an exponential moving average " +
			"of the generator's weights over about the last thousand steps (Yazici et al. 2019), the generator trained as before",
	},
	{
		Name:        "mnist-tf-dcgan-radford-ema",
		Description: "mnist-tf-dcgan-radford sampled from a moving average of its generator's weights (decay 0.999), 20 epochs, on MNIST",
		Data:        datasets.MNIST,
		Model:       "dcgan",
		Params: tfDCGAN(map[string]any{training.ParamLearningRate: 2e-4, training.ParamAdamBeta1: 0.5,
			training.ParamBatchSize: 64, training.ParamEpochs: 20, training.ParamAveragingDecay: 0.999}),
		Source: "mnist-tf-dcgan-radford's networks (the tutorial's full widths), optimizer and steps, its samples drawn from an " +
			"exponential moving average of the generator's weights over about the last thousand steps (Yazici et al. 2019), " +
			"the generator trained as before",
	},
	{
		Name:        "mnist-mlp-vae",
		Description: "MLP VAE 784-512-256-20 on MNIST (the reference tutorial)",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params:      mlpVAE(nil),
		// No published NLL to compare with: k = 1000 (about 3 minutes on two cores, where
		// k = 5000 takes 9 to 15; BenchmarkImportanceWeightedNLL). The IWAE paper's k = 5000 is
		// kept by mnist-binarized-vae, which compares with it.
		NLLSamples: 1000,
		Source:     "reference MNIST VAE: 784-512-256-20, ReLU, Adam 1e-3, batch 128, 20 epochs, BCE summed over pixels + KL",
	},
	{
		Name:        "mnist-binarized-vae",
		Description: "MLP VAE 784-200-200-50 (tanh) on dynamically binarized MNIST, the likelihood benchmark (IWAE paper)",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params: mlpVAE(map[string]any{vaekit.ParamMLPHidden: []int{200, 200}, vaekit.ParamLatentDim: 50,
			training.ParamBinarize: "dynamic", vaekit.ParamActivation: "tanh", training.ParamBatchSize: 20,
			training.ParamAdamEpsilon: 1e-4, training.ParamLearningRateSchedule: "iwae", training.ParamEpochs: 1093}),
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
			cvae.ParamForm:             cvae.FormConcat,
			vaekit.ParamArchitecture:   vaekit.ArchConv,
			vaekit.ParamConvFilters:    []int{32, 64},
			vaekit.ParamConvDense:      16,
			vaekit.ParamConvBatchNorm:  true,
			vaekit.ParamActivation:     "leaky_relu",
			vaekit.ParamLatentDim:      2,
			training.ParamOptimizer:    "adam",
			training.ParamLearningRate: 1e-3,
			training.ParamBatchSize:    128,
			training.ParamEpochs:       20,
			training.ParamSeed:         int64(1),
			training.ParamInitializer:  "glorot_uniform", // the tutorial is Keras
		},
		Source: "reference CVAE: Conv 32/64 3x3 stride 2 with BatchNorm and LeakyReLU, one-hot label as extra input planes and " +
			"beside z, mirrored decoder with transposed convolutions (Sohn et al. 2015). Chosen here where the tutorial is silent: " +
			"Dense 16 before the latent, latent 2 (so the per-class manifold can be drawn), LeakyReLU slope 0.3 (Keras), " +
			"Adam 1e-3, batch 128, 20 epochs",
	},
	{
		Name:        "mnist-mlp-beta-vae",
		Description: "beta-VAE (beta 4), MLP 784-512-256-20, on MNIST",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params:      mlpVAE(map[string]any{vae.ParamBeta: 4.0}),
		NLLSamples:  1000,
		Source: "mnist-mlp-vae with the KL term weighted by beta = 4 (Higgins et al. 2017, beta-VAE): the twin that shows " +
			"what the KL weight does",
	},
	{
		Name:        "mnist-mlp-beta-vae-warmup",
		Description: "beta-VAE (beta 4) with the KL weight warmed up linearly over the first 10 epochs, MLP 784-512-256-20, on MNIST",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params: mlpVAE(map[string]any{vae.ParamBeta: 4.0, vae.ParamKLSchedule: "linear", vae.ParamKLScheduleUnit: "epochs",
			vae.ParamKLScheduleLength: 10}),
		NLLSamples: 1000,
		Source: "mnist-mlp-beta-vae with KL warm-up (Bowman et al. 2016): the weight rises from 0 to beta over 10 of the 20 " +
			"epochs, a first cure tried against posterior collapse",
	},
	{
		Name:        "mnist-mlp-beta-vae-freebits",
		Description: "beta-VAE (beta 4) with free bits (0.5 nats per latent dimension), MLP 784-512-256-20, on MNIST",
		Data:        datasets.MNIST,
		Model:       "vae",
		Params:      mlpVAE(map[string]any{vae.ParamBeta: 4.0, vae.ParamFreeBits: 0.5}),
		NLLSamples:  1000,
		Source: "mnist-mlp-beta-vae with free bits (Kingma et al. 2016): no dimension's KL is pushed below 0.5 nats, the " +
			"second cure tried against posterior collapse",
	},
	{
		Name:        "mnist-mlp-tcvae",
		Description: "beta-TC-VAE (total correlation weighted by 6), MLP 784-512-256-10, on MNIST",
		Data:        datasets.MNIST,
		Model:       "betatcvae",
		Params:      mlpVAE(map[string]any{vaekit.ParamLatentDim: 10, betatcvae.ParamBeta: 6.0}),
		Source: "Chen, Li, Grosse and Duvenaud 2018 (beta-TC-VAE): the KL split into index-code mutual information, total " +
			"correlation and dimension-wise KL, estimated by minibatch-weighted sampling, the total correlation weighted by " +
			"beta = 6 (their usual choice). Chosen here: the MLP and schedule of mnist-mlp-vae, with the paper's 10 latent " +
			"dimensions, so that it differs from mnist-mlp-beta-vae only in what the extra weight falls on",
	},
	{
		Name:        "mnist-mlp-cvae",
		Description: "conditional VAE (label concatenation), MLP 784-512-256-2, on MNIST",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params:      mlpVAE(map[string]any{cvae.ParamForm: cvae.FormConcat, vaekit.ParamLatentDim: 2}),
		Source: "the label-concatenation CVAE (Sohn et al. 2015) on the MLP of the reference MNIST VAE, latent 2: the twin of " +
			"mnist-prior-cvae, differing only in how the class enters, and 10 times cheaper than mnist-conv-cvae on two cores",
	},
	{
		Name:        "mnist-prior-cvae",
		Description: "conditional VAE with a learned prior mean per class, MLP 784-512-256-2, on MNIST",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params:      mlpVAE(map[string]any{cvae.ParamForm: cvae.FormPrior, vaekit.ParamLatentDim: 2}),
		Source: "class-prior CVAE of the reference notes: KL(q(z|x) || N(mu_y, I)) with a learned mu_y per class. Chosen here: " +
			"the MLP of the reference MNIST VAE, latent 2 so the class clusters can be seen, Adam 1e-3, batch 128, 20 epochs",
	},
	{
		Name:        "mnist-prior-cvae-8d",
		Description: "the class-prior CVAE of mnist-prior-cvae with an 8-d latent, so that its classes separate better",
		Data:        datasets.MNIST,
		Model:       "cvae",
		Params:      mlpVAE(map[string]any{cvae.ParamForm: cvae.FormPrior, vaekit.ParamLatentDim: 8}),
		Source: "beyond the reference notes: with a 2-d latent and unit-variance priors the classes of mnist-prior-cvae overlap " +
			"(its class fidelity on the results page); 8 dimensions leave room for ten unit-variance classes apart. " +
			"Otherwise mnist-prior-cvae",
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
		Name:        "mnist-vqvae-ema",
		Description: "the VQ-VAE of mnist-vqvae with moving-average codebook updates and unused codes re-seeded, on MNIST",
		Data:        datasets.MNIST,
		Model:       "vqvae",
		Params: func() map[string]any {
			p := kerasVQVAE(mnistPixelVariance)
			maps.Copy(p, map[string]any{vqvae.ParamCodebookUpdate: "ema", vqvae.ParamEMADecay: 0.99, vqvae.ParamReseedAfter: 100})
			return p
		}(),
		CodePrior: kerasCodePrior(true),
		Source: "mnist-vqvae with the codebook learned by exponential moving averages (van den Oord et al. 2017, appendix " +
			"A.1, decay 0.99) and every code unused for 100 steps re-seeded with an encoder vector: the cure tried " +
			"against codebook collapse (codes never chosen)",
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
