package experiments

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/posterior"
)

// PosteriorDiagnostics are the per-dimension diagnostics of posterior collapse of a model with a
// Gaussian posterior (package posterior), on the test images as evaluated. metrics.json's extras
// hold their summaries: test_active_units_dimensions and test_mutual_information_nats.
type PosteriorDiagnostics struct {
	// KLPerDimension is the KL of each latent dimension from the prior, averaged over the test
	// images, in nats; they sum to the test KL term (with the KL summed over dimensions).
	KLPerDimension []float64 `json:"test_kl_per_dimension_nats"`
	// MeanVariance is the variance over the test images of each dimension's posterior mean; a
	// dimension is active when it exceeds ActiveThreshold (Burda et al. 2016).
	MeanVariance    []float64 `json:"test_posterior_mean_variance"`
	ActiveThreshold float64   `json:"active_threshold"`
	// MutualInformationImages is the number of test images (the first ones) I(x; z) was
	// estimated on: it costs images^2 x latent dimensions, and cannot exceed ln(images) nats.
	MutualInformationImages int `json:"mutual_information_images"`
}

// mutualInformationImages caps the test images of the I(x; z) estimate (its cost grows with their
// square; the quantity's ceiling is then ln 2000 = 7.6 nats).
const mutualInformationImages = 2000

// posteriorDiagnostics computes the diagnostics of posterior collapse of a model with a Gaussian
// posterior on the test set as evaluated, into m and extra; a model without one is left alone.
func (t *Trained) posteriorDiagnostics(test *datasets.Set, m *Metrics, extra map[string]float64) error {
	gp, ok := t.Model.(vaekit.GaussianPosterior)
	if !ok {
		return nil
	}
	t.phase("evaluate posterior")
	rows, _, err := infer.Infer[float32](t.Backend, t.Store, test, 500, func(scope *model.Scope, images, labels *Node) *Node {
		mean, logVar, priorMean := gp.PosteriorParams(scope, images, labels)
		return Concatenate([]*Node{mean, logVar, priorMean}, -1)
	})
	if err != nil {
		return fmt.Errorf("posterior diagnostics: %w", err)
	}
	p := posterior.Params{}
	for _, r := range rows {
		d := len(r) / 3
		split := func(part int) []float64 {
			out := make([]float64, d)
			for j := range out {
				out[j] = float64(r[part*d+j])
			}
			return out
		}
		p.Mean, p.LogVar, p.PriorMean = append(p.Mean, split(0)), append(p.LogVar, split(1)), append(p.PriorMean, split(2))
	}
	kl, err := posterior.KLPerDim(p)
	if err != nil {
		return err
	}
	active, variances, err := posterior.ActiveUnits(p)
	if err != nil {
		return err
	}
	n := min(len(rows), mutualInformationImages)
	mi, err := posterior.MutualInformation(posterior.Params{Mean: p.Mean[:n], LogVar: p.LogVar[:n]}, 1)
	if err != nil {
		return err
	}
	extra["test_active_units_dimensions"] = float64(active)
	extra["test_mutual_information_nats"] = mi
	m.Posterior = &PosteriorDiagnostics{KLPerDimension: kl, MeanVariance: variances, ActiveThreshold: posterior.ActiveThreshold, MutualInformationImages: n}
	return nil
}

// klPerDimensionFigure draws the KL of each latent dimension from the run's metrics.json, for a
// run that has posterior diagnostics.
func (t *Trained) drawKLPerDimension(dir, name string) ([]string, error) {
	m := readMetrics(t.Dir)
	if m == nil || m.Posterior == nil {
		return nil, nil
	}
	mi, ok := m.Extra["test_mutual_information_nats"]
	if !ok {
		mi = math.NaN()
	}
	return figures.KLPerDimension(m.Posterior.KLPerDimension, m.Posterior.MeanVariance, m.Posterior.ActiveThreshold, mi,
		fmt.Sprintf("%s: KL of each latent dimension on the test images", t.Experiment.Name), t.figure(dir, name))
}
