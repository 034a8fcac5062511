package experiments

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/cvae"
	"github.com/vaekit/vaekit/vaekit/pixelcnn"
	"github.com/vaekit/vaekit/vaekit/vae"
	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// ParseSetting parses one "key=value" parameter setting from the command line. The value is
// read as an int, a float, a bool, a comma-separated list of ints ("32,64"), or else a string,
// in that order, so that it has the type the model store expects.
func ParseSetting(s string) (key string, value any, err error) {
	key, raw, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return "", nil, fmt.Errorf("parameter setting %q: expected key=value", s)
	}
	if i, err := strconv.Atoi(raw); err == nil {
		return key, i, nil
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		return key, f, nil
	}
	if b, err := strconv.ParseBool(raw); err == nil {
		return key, b, nil
	}
	if strings.Contains(raw, ",") {
		var ints []int
		for _, part := range strings.Split(raw, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return "", nil, fmt.Errorf("parameter %s=%q: a list must hold integers, %q is not one", key, raw, part)
			}
			ints = append(ints, i)
		}
		return key, ints, nil
	}
	return key, raw, nil
}

// KnownParams lists every store parameter an experiment may set, with the package that reads it.
var KnownParams = map[string]string{
	vaekit.ParamArchitecture: "vaekit", vaekit.ParamLatentDim: "vaekit", vaekit.ParamImageShape: "vaekit",
	vaekit.ParamMLPHidden: "vaekit", vaekit.ParamConvFilters: "vaekit", vaekit.ParamConvDense: "vaekit",
	vaekit.ParamActivation: "vaekit", vaekit.ParamLeakyReluAlpha: "vaekit", vaekit.ParamConvBatchNorm: "vaekit",
	vaekit.ParamReconstruction: "vaekit", vaekit.ParamOptimizer: "vaekit", vaekit.ParamLearningRate: "vaekit",
	vaekit.ParamBatchSize: "vaekit", vaekit.ParamEpochs: "vaekit", vaekit.ParamSeed: "vaekit",
	vaekit.ParamBinarize: "vaekit", vaekit.ParamOnNaN: "vaekit", vaekit.ParamAdamBeta1: "vaekit",
	vaekit.ParamBatchNormBatches: "vaekit", vaekit.ParamInitializer: "vaekit",
	vae.ParamBeta:      "vae",
	ae.ParamCorruption: "ae", ae.ParamNoise: "ae",
	cvae.ParamForm: "cvae", vaekit.ParamNumClasses: "vaekit",
	vqvae.ParamNumCodes: "vqvae", vqvae.ParamCodeDim: "vqvae", vqvae.ParamBeta: "vqvae",
	vqvae.ParamCodebookUpdate: "vqvae", vqvae.ParamEMADecay: "vqvae", vqvae.ParamReseedAfter: "vqvae",
	vqvae.ParamReconstructionWeight: "vqvae", vqvae.ParamCodebookInitScale: "vqvae",
	classifier.ParamHidden: "classifier",
	pixelcnn.ParamFilters:  "pixelcnn", pixelcnn.ParamFirstKernel: "pixelcnn", pixelcnn.ParamResidualBlocks: "pixelcnn",
	pixelcnn.ParamConditional: "pixelcnn",
}

// checkParams reports the first parameter that no package reads.
func checkParams(params map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(params)) {
		// A parameter can be set for one scope only, by its path: "/discriminator/activation".
		if _, ok := KnownParams[k[strings.LastIndex(k, "/")+1:]]; !ok {
			return fmt.Errorf("unknown parameter %q: expected one of %s", k, strings.Join(slices.Sorted(maps.Keys(KnownParams)), ", "))
		}
	}
	return nil
}

// Custom describes an experiment by its parts, for runs given entirely by flags: the model
// family, the data set and the parameters (the family's defaults for everything not set).
func Custom(model, data string, params map[string]any) (Experiment, error) {
	if _, err := ModelByName(model); err != nil {
		return Experiment{}, err
	}
	name, err := datasets.ParseName(data)
	if err != nil {
		return Experiment{}, err
	}
	return Experiment{
		Name:        "custom-" + model + "-" + data,
		Description: fmt.Sprintf("%s on %s, described by flags", model, data),
		Data:        name,
		Model:       model,
		Params:      params,
		Source:      "command-line flags",
	}, nil
}
