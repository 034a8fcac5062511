package experiments

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// metricInfo is what a report says of one measure of metrics.json's extras: its display name,
// unit, the split it is measured on, the significant digits printed, and a one-line definition.
// It is the one table of those measures: the evaluation writes the keys, reports read them here.
type metricInfo struct {
	key, name, unit, split string
	digits                 int
	about                  string
}

// metricInfos describe the extras the evaluation writes (evaluate.go, posterior.go,
// distances.go). A key of another name is shown as it is.
var metricInfos = []metricInfo{
	{"test_reconstruction_bce_nats", "reconstruction error (cross-entropy)", "nats per image", "test", 4,
		"binary cross-entropy of the reconstructions (the decoded posterior means) against the images, summed over pixels"},
	{"test_reconstruction_squared_error", "reconstruction error (squared)", "per image", "test", 4,
		"squared error of the reconstructions against the images, summed over pixels"},
	{"test_nll_iw_k%d_nats", "NLL, k = %d", "nats per image", "test", 4,
		"importance-weighted estimate of -log p(x) with k samples per image (Burda et al. 2016); lower is better"},
	{"test_active_units_dimensions", "active units", "latent dimensions", "test", 1,
		"latent dimensions whose posterior mean varies over the images by more than 0.01 (Burda et al. 2016)"},
	{"test_mutual_information_nats", "I(x; z)", "nats", "test", 3,
		"mutual information between an image and its code under the model's posterior, estimated on 2,000 images"},
	{"sample_frechet_distance_features", "Fréchet distance", "judge features", "samples vs test", 4,
		"Fréchet distance between samples and test images in the judge classifier's features; lower is better"},
	{"sample_kernel_distance_features", "kernel distance", "judge features", "samples vs test", 3,
		"kernel (KID) distance between samples and test images in the judge's features; lower is better"},
	{"sample_precision_fraction", "precision", "fraction", "samples vs test", 3,
		"share of samples within the k-nearest-neighbour balls of test images (quality)"},
	{"sample_recall_fraction", "recall", "fraction", "samples vs test", 3,
		"share of test images within the k-nearest-neighbour balls of samples (coverage)"},
	{"sample_score_classes", "classifier score", "classes (1 to 10)", "samples", 4,
		"the Inception Score computed with the judge classifier: exp of the mutual information of sample and class"},
	{"sample_confidence_fraction", "sample confidence", "fraction", "samples", 3,
		"the judge's mean probability for its predicted class of each sample"},
	{"sample_class_entropy_nats", "sample class entropy", "nats (ln 10 = 2.303 for all classes)", "samples", 3,
		"entropy of the classes the judge assigns to the samples"},
	{"class_fidelity_fraction", "class fidelity", "fraction", "samples per class", 3,
		"share of samples asked for a class that the judge assigns to that class"},
	{"classifier_test_accuracy_fraction", "judge's accuracy", "fraction", "test", 4,
		"the judge classifier's accuracy on the test images"},
	{"test_accuracy_fraction", "accuracy", "fraction", "test", 4, "share of test images classified correctly"},
	{"codebook_perplexity_codes", "codebook perplexity", "codes", "test", 3,
		"exp of the entropy of the codes chosen on the test images: how many codes are in effective use"},
	{"codes_in_use_fraction", "codes in use", "fraction", "test", 3, "share of the codebook chosen at least once on the test images"},
	{"code_prior_test_nll_nats", "code prior NLL", "nats per code grid", "test", 4,
		"the PixelCNN code prior's negative log-likelihood of the test images' code grids"},
}

// describeMetric returns the description of an extra's key: its row of metricInfos (a
// "%d" row matches keys with a number in its place, which the name then carries), or the key
// itself as the name.
func describeMetric(key string) metricInfo {
	for _, m := range metricInfos {
		if m.key == key {
			return m
		}
		if prefix, suffix, ok := strings.Cut(m.key, "%d"); ok && strings.HasPrefix(key, prefix) && strings.HasSuffix(key, suffix) {
			if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(key, prefix), suffix)); err == nil {
				m.key, m.name = key, fmt.Sprintf(m.name, n)
				return m
			}
		}
	}
	return metricInfo{key: key, name: key, digits: 4}
}

// metricRank orders extras as metricInfos lists them (reconstruction, likelihood, posterior,
// samples, ...), those it does not list after them.
func metricRank(key string) int {
	for i, m := range metricInfos {
		if prefix, suffix, ok := strings.Cut(m.key, "%d"); m.key == key || (ok && strings.HasPrefix(key, prefix) && strings.HasSuffix(key, suffix)) {
			return i
		}
	}
	return len(metricInfos)
}

// formatDigits prints v with the given number of significant digits, without an exponent for
// the magnitudes a report shows (0.001 to 10^6).
func formatDigits(v float64, digits int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	decimals := max(0, digits-1-int(math.Floor(math.Log10(math.Abs(v)))))
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
