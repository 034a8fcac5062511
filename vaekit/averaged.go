package vaekit

import (
	"strings"

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

// AveragedPath is the path of the average of the variable (or of the copy of the parameter) at
// path.
func AveragedPath(path string) string { return "/" + AveragesScope + path }

// AveragedFrom is the path of the variable that the average at path averages, and whether path
// is an average's (under AveragesScope) at all.
func AveragedFrom(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/"+AveragesScope)
	return rest, ok && strings.HasPrefix(rest, "/")
}

// SamplesFromAverages says whether the store samples from the averages under AveragesScope
// (ParamSampleAverages).
func SamplesFromAverages(store *model.Store) bool {
	on, _ := store.GetParam(ParamSampleAverages)
	return on == true
}

// IsAveragingParam says whether the store parameter at path is the averaging's bookkeeping, not
// a recipe's: ParamSampleAverages, or a parameter's copy under AveragesScope.
func IsAveragingParam(path string) bool {
	_, copied := AveragedFrom(path)
	return path == "/"+ParamSampleAverages || copied
}

// SamplingScope is the scope that a model's Decode is given to draw images: the root scope, or
// AveragesScope below it where the store holds averaged weights (ParamSampleAverages). Every
// sampler goes through it, so samples, figures and measures come from the same weights.
func SamplingScope(scope *model.Scope) *model.Scope {
	if SamplesFromAverages(scope.Store()) {
		return scope.At(AveragesScope)
	}
	return scope
}

func init() {
	paramtable.Declare(paramtable.Spec{Name: ParamSampleAverages, Kind: paramtable.KindBool, Internal: true,
		Doc: "the store keeps averaged weights under /averaged, which sampling uses"})
}
