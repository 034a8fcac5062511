package vaekit

import (
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// ParamModel records the model family (Model.Name) in the store, so a checkpoint says which
// model it belongs to.
const ParamModel = "model"

// EncoderDecoderParams are the parameters of the shared encoder and decoder blocks
// (EncoderFeatures, DecoderLogits) and of the reconstruction loss: a family built on them
// registers them in Family.Reads.
var EncoderDecoderParams = []string{ParamArchitecture, ParamLatentDim, ParamMLPHidden, ParamConvFilters, ParamConvDense,
	ParamActivation, ParamLeakyReluAlpha, ParamConvBatchNorm, ParamReconstruction}

// The parameters of the model store that every family's graph reads: the family, the data's
// shape and size, and the shared blocks' (see the constants' docs).
func init() {
	paramtable.Declare(
		paramtable.Spec{Name: ParamModel, Kind: paramtable.KindString, Internal: true, Doc: "the model family a checkpoint belongs to"},
		paramtable.Spec{Name: ParamImageShape, Kind: paramtable.KindInts, Range: paramtable.AtLeast(1), NonEmpty: true, Internal: true, Default: []int{28, 28, 1},
			Doc: "[height, width, channels] of the images, set from the data set"},
		paramtable.Spec{Name: ParamTrainingImages, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Internal: true, Shared: true,
			Doc: "images the run trains on, set from the data set for the families that read it"},
		paramtable.Spec{Name: ParamArchitecture, Kind: paramtable.KindChoice, Choices: []string{ArchMLP, ArchConv}, Shared: true, Default: ArchMLP,
			Doc: "encoder and decoder blocks"},
		paramtable.Spec{Name: ParamLatentDim, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Shared: true, Default: 20, Doc: "size of the latent code"},
		paramtable.Spec{Name: ParamMLPHidden, Kind: paramtable.KindInts, Range: paramtable.AtLeast(1), NonEmpty: true, Shared: true, Default: []int{512, 256},
			Doc: "hidden widths of the MLP encoder (the decoder mirrors them)"},
		paramtable.Spec{Name: ParamConvFilters, Kind: paramtable.KindInts, Range: paramtable.AtLeast(1), NonEmpty: true, Shared: true, Default: []int{32, 64},
			Doc: "filters of the stride-2 3x3 convolutions of the encoder (the decoder mirrors them)"},
		paramtable.Spec{Name: ParamConvDense, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Shared: true, Default: 16,
			Doc: "width of the dense layer after the convolutions (0: none)"},
		paramtable.Spec{Name: ParamActivation, Kind: paramtable.KindChoice, Choices: []string{"relu", "leaky_relu", "tanh"}, Shared: true, Default: "relu", Doc: "hidden activation"},
		paramtable.Spec{Name: ParamLeakyReluAlpha, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Shared: true, Default: 0.3, Doc: "slope of leaky_relu below zero (Keras' default)"},
		paramtable.Spec{Name: ParamConvBatchNorm, Kind: paramtable.KindBool, Shared: true, Default: false, Doc: "batch normalization after every (transposed) convolution"},
		paramtable.Spec{Name: ParamReconstruction, Kind: paramtable.KindChoice, Choices: Reconstructions, Shared: true, Default: "bernoulli",
			Doc: "reconstruction loss: bernoulli (BCE from logits), mse (of the sigmoid) or mse_linear (of the linear output)"},
		paramtable.Spec{Name: ParamNumClasses, Kind: paramtable.KindInt, Range: paramtable.AtLeast(1), Shared: true, Default: 10,
			Doc: "classes of a class-conditional model or a classifier"},
	)
}
