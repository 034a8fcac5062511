package vaekit

import (
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Averaged models can be sampled with an exponential moving average of part of their weights
// over the training steps (training.ParamAveragingDecay): a GAN's generator, whose weights
// swing from step to step as the two players chase each other, draws cleaner images from their
// average than from its last step's weights (Yazıcı et al. 2019, "The unusual effectiveness of
// averaging in GAN training"). AveragedScope names the scope whose variables are averaged.
type Averaged interface {
	AveragedScope() string
}

// AveragesScope is the scope under which training keeps the averages, each at the path of the
// variable it averages below it: /averaged/generator/deconv_1/weights averages
// /generator/deconv_1/weights.
const AveragesScope = "averaged"

// ParamSampleAverages is set in a store whose AveragesScope holds the averages that sampling
// uses (SamplingScope): the trainer sets it when it averages. A record keeps the averages in
// place of the weights they average and leaves it unset.
const ParamSampleAverages = "vaekit_sample_averages"

// SamplingScope is the scope that a model's Decode is given to draw images: the root scope, or
// AveragesScope below it where the store holds averaged weights (ParamSampleAverages). Every
// sampler goes through it, so samples, figures and measures come from the same weights.
func SamplingScope(scope *model.Scope) *model.Scope {
	if model.GetParamOr(scope, ParamSampleAverages, false) {
		return scope.At(AveragesScope)
	}
	return scope
}

func init() {
	paramtable.Declare(paramtable.Spec{Name: ParamSampleAverages, Kind: paramtable.KindBool, Internal: true,
		Doc: "the store keeps averaged weights under /averaged, which sampling uses"})
}
