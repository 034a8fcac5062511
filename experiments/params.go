package experiments

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// ParseSetting parses one "key=value" parameter setting from the command line by the
// parameter's declared kind (paramtable.Parse): "mlp_hidden=400" is a list of one,
// "learning_rate=1" a float; "latent_dim=1.5" and "learning_rate=abc" are refused.
func ParseSetting(s string) (key string, value any, err error) {
	key, raw, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return "", nil, fmt.Errorf("parameter setting %q: expected key=value", s)
	}
	value, err = paramtable.Parse(key, raw)
	return key, value, err
}

// preflight checks everything about a run that can be checked before any data is read or
// anything is written: every parameter (type, range, read by the family) and their
// combinations, the batch size against the training images, and what the figures need. It
// returns the parameters as the store holds them, with the number of training images for the
// families that read it (without the image shape, which comes from the data's files).
func preflight(exp Experiment, family string, opts Options) (paramtable.Values, error) {
	merged := map[string]any{}
	for k, v := range exp.Params {
		merged[k] = v
	}
	if opts.Epochs > 0 {
		merged[training.ParamEpochs] = opts.Epochs
	}
	for k, v := range opts.Overrides {
		merged[k] = v
	}
	params, err := paramtable.CheckAll(family, merged)
	if err != nil {
		return nil, err
	}
	if exp.CodePrior != nil {
		if _, err := paramtable.CheckAll("pixelcnn", exp.CodePrior); err != nil {
			return nil, fmt.Errorf("code prior: %w", err)
		}
	}
	data, err := datasets.Describe(exp.Data)
	if err != nil {
		return nil, err
	}
	train := data.Images[datasets.Train]
	if exp.TrainOnAll {
		train += data.Images[datasets.Test]
	}
	if opts.TrainSubset > 0 {
		train = min(train, opts.TrainSubset)
	}
	if b, _ := params.Get(training.ParamBatchSize, family); b.(int) > train {
		return nil, fmt.Errorf("parameter %s = %d: larger than the %d training images", training.ParamBatchSize, b, train)
	}
	if paramtable.Reads(family, vaekit.ParamTrainingImages) {
		params[vaekit.ParamTrainingImages] = train
	}
	// A class-conditional model or a classifier has the data set's classes unless the recipe
	// says otherwise (the IDX data sets' 10 are the declared default, so their recipes need not).
	if _, set := params[vaekit.ParamNumClasses]; !set && paramtable.Reads(family, vaekit.ParamNumClasses) {
		if def, _ := params.Get(vaekit.ParamNumClasses, family); def != len(data.ClassNames) {
			params[vaekit.ParamNumClasses] = len(data.ClassNames)
		}
	}
	// The label-cluster and interpolation figures of an encoder need a latent plane.
	m, err := exp.model()
	if err != nil {
		return nil, err
	}
	// A convolutional decoder mirrors the encoder's stride-2 layers: the image must halve evenly
	// at each of them (the graph builder would refuse it only after the data is read).
	_, quantizes := m.(vaekit.Quantizer)
	_, decodes := m.(vaekit.Generator)
	if arch, _ := params.Get(vaekit.ParamArchitecture, family); quantizes || (decodes && arch == vaekit.ArchConv) {
		filters, _ := params.Get(vaekit.ParamConvFilters, family)
		if scale := 1 << len(filters.([]int)); data.Height%scale != 0 || data.Width%scale != 0 {
			return nil, fmt.Errorf("data set %s: images %dx%d: the %d stride-2 convolutions of %s = %v need a height and width divisible by %d",
				exp.Data, data.Height, data.Width, len(filters.([]int)), vaekit.ParamConvFilters, filters, scale)
		}
	}
	if sized, ok := m.(vaekit.Sized); ok {
		batch, _ := params.Get(training.ParamBatchSize, family)
		if err := checkMemory(sized.Size(params, family, data.ImageShape()), batch.(int)); err != nil {
			return nil, err
		}
	}
	if _, encodes := m.(vaekit.Encoder); encodes {
		if d, ok := params.Get(vaekit.ParamLatentDim, family); ok && d.(int) < 2 {
			return nil, fmt.Errorf("parameter %s = %d: the figures of a run need a latent size of at least 2", vaekit.ParamLatentDim, d)
		}
	}
	return params, nil
}

// workload says whether a run's model is convolutional or dense, which decides its default
// backend (backends.For).
func workload(m vaekit.Model, params paramtable.Values) backends.Workload {
	_, quantizes := m.(vaekit.Quantizer) // convolutional encoders, and a PixelCNN code prior
	_, classifies := m.(vaekit.Classifier)
	_, convolutional := m.(vaekit.ConvolutionalOnly)
	if quantizes || classifies || convolutional {
		return backends.Convolutional
	}
	if arch, _ := params.Get(vaekit.ParamArchitecture, m.Name()); arch == vaekit.ArchConv {
		return backends.Convolutional
	}
	return backends.Dense
}

// Custom describes an experiment by its parts, for runs given entirely by flags: the model
// family, the data set and the parameters (the family's defaults for everything not set).
func Custom(model, data string, params map[string]any) (Experiment, error) {
	m, err := vaekit.FamilyByName(model)
	if err != nil {
		return Experiment{}, err
	}
	if _, codes := m.(vaekit.CodePrior); codes {
		return Experiment{}, fmt.Errorf("model %q is a code prior: it trains on the code grids of a VQ-VAE recipe (its code prior), not on a data set's images", model)
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

// WriteParamTable writes the table of the parameters a user can set, for one model family (or
// every parameter when family is empty), as aligned text: name, type, allowed values, the
// families that read it, the default (for the family) and what it does.
func WriteParamTable(w io.Writer, family string) error {
	if family != "" {
		if _, err := vaekit.FamilyByName(family); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "parameter\ttype\tallowed\tread by\tdefault\twhat it does")
	for _, s := range paramtable.All() {
		if s.Internal || (family != "" && !s.Reads(family)) {
			continue
		}
		readBy := "every family"
		if len(s.Families) > 0 {
			readBy = strings.Join(s.Families, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, s.Allowed(), readBy, defaultText(s, family), s.Doc)
	}
	return tw.Flush()
}

// defaultText is a parameter's default for the family, or every family's when none is given.
func defaultText(s paramtable.Spec, family string) string {
	format := func(v any) string {
		if v == nil {
			return "-"
		}
		if l, ok := v.([]int); ok {
			return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(l)), ","), "[]")
		}
		return fmt.Sprint(v)
	}
	if family != "" || len(s.FamilyDefaults) == 0 {
		return format(s.DefaultFor(family))
	}
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(s.FamilyDefaults)) {
		parts = append(parts, f+": "+format(s.FamilyDefaults[f]))
	}
	if s.Default == nil {
		return strings.Join(parts, "; ")
	}
	return format(s.Default) + " (" + strings.Join(parts, "; ") + ")"
}

// availableMemory is the memory the system can give a new process without swapping, in bytes
// (Linux's MemAvailable); 0 when unknown, which skips the check.
var availableMemory = func() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// checkMemory refuses a model whose training step would need more memory than the machine has
// available: the weights with their gradients and Adam's moments, and a batch's activations.
func checkMemory(s vaekit.Size, batch int) error {
	need, have := s.Bytes(batch), availableMemory()
	if have == 0 || need <= have {
		return nil
	}
	const gib = 1 << 30
	return fmt.Errorf("the model would need about %.1f GiB to train (%d weights, with their gradients and the optimizer's two moments, "+
		"and the activations of a batch of %d), and this machine has %.1f GiB available: expected a smaller latent_dim, mlp_hidden, "+
		"conv_filters, vq_num_codes or batch_size", float64(need)/gib, s.Weights, batch, float64(have)/gib)
}
