package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/training"
)

// NLLPoint is one estimate of the test NLL while a run trained: after Epoch epochs, with K
// importance samples per image over Images test images, NLL nats per image.
type NLLPoint struct {
	Epoch, K, Images int
	NLL              float64
}

// ReadNLLCurve reads a run's (or a record's) NLL curve, ordered by epoch; a run without one
// has none (nil, nil).
func ReadNLLCurve(dir string) ([]NLLPoint, error) {
	data, err := os.ReadFile(filepath.Join(dir, NLLCurveFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, NLLCurveFile), err)
	}
	var points []NLLPoint
	for i, row := range rows {
		if len(row) != 4 {
			return nil, fmt.Errorf("%s line %d: %d fields, expected 4 (epoch,k,images,nll_nats)", filepath.Join(dir, NLLCurveFile), i+1, len(row))
		}
		if i == 0 {
			continue // the header
		}
		var p NLLPoint
		var errs [4]error
		p.Epoch, errs[0] = strconv.Atoi(row[0])
		p.K, errs[1] = strconv.Atoi(row[1])
		p.Images, errs[2] = strconv.Atoi(row[2])
		p.NLL, errs[3] = strconv.ParseFloat(row[3], 64)
		for _, e := range errs {
			if e != nil {
				return nil, fmt.Errorf("%s line %d: %w", filepath.Join(dir, NLLCurveFile), i+1, e)
			}
		}
		points = append(points, p)
	}
	slices.SortFunc(points, func(a, b NLLPoint) int { return a.Epoch - b.Epoch })
	return points, nil
}

// writeNLLCurve replaces a run's NLL curve whole (never half-written).
func writeNLLCurve(dir string, points []NLLPoint) error {
	return atomicfile.WriteFunc(filepath.Join(dir, NLLCurveFile), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"epoch", "k", "images", "nll_nats"}); err != nil {
			return err
		}
		for _, p := range points {
			if err := cw.Write([]string{strconv.Itoa(p.Epoch), strconv.Itoa(p.K), strconv.Itoa(p.Images),
				strconv.FormatFloat(p.NLL, 'f', -1, 64)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// nllCurve estimates a run's test NLL after the epochs where its learning-rate schedule's
// stages end (the last epoch included) while it trains, as the IWAE paper reports the
// likelihood against passes. It runs after each epoch's checkpoint (FitOptions.OnEpoch) and,
// for an estimate a kill cut short, when the run resumes from that checkpoint (OnResume).
type nllCurve struct {
	dir     string
	epochs  []int // the epochs after which to estimate
	k       int
	model   vaekit.Likelihood
	backend compute.Backend
	test    *datasets.Set // as the run evaluates it
	log     io.Writer
	trace   func(string)
	ctx     context.Context // stops an estimate when the run is interrupted
}

// newNLLCurve is the NLL curve of a run of exp with params in dir, or nil when the experiment
// asks for none or its model has no Bernoulli likelihood.
func newNLLCurve(ctx context.Context, exp Experiment, m vaekit.Model, params map[string]any, backend compute.Backend, dir string, test *datasets.Set, opts Options) (*nllCurve, error) {
	store := model.NewStore()
	store.SetParams(params)
	k := likelihoodSamples(exp.NLLCurveSamples, m, store.RootScope(), opts)
	if k == 0 {
		return nil, nil
	}
	p, err := training.ReadTrainingParams(store)
	if err != nil {
		return nil, err
	}
	evalSet, err := training.EvaluationSet(store, test)
	if err != nil {
		return nil, err
	}
	return &nllCurve{dir: dir, epochs: training.ScheduleStageEnds(p.Schedule, p.Epochs), k: k, model: m.(vaekit.Likelihood), backend: backend,
		test: evalSet, log: opts.Log, trace: tracer(opts, exp.Name), ctx: ctx}, nil
}

// after estimates the NLL with the weights in store after epoch, if that is one of the curve's
// epochs and the curve lacks it.
func (c *nllCurve) after(store *model.Store, epoch int) error {
	if !slices.Contains(c.epochs, epoch) {
		return nil
	}
	points, err := ReadNLLCurve(c.dir)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(points, func(p NLLPoint) bool { return p.Epoch == epoch && p.K == c.k && p.Images == c.test.N }) {
		return nil
	}
	c.trace(fmt.Sprintf("nll curve %d", epoch))
	backend, store, err := nllOn(c.backend, store, c.dir, c.log)
	if err != nil {
		return err
	}
	nll, err := c.model.ImportanceWeightedNLL(backend, store, c.test, vaekit.NLLOptions{K: c.k, Seed: 1, Progress: c.log, Context: c.ctx})
	if err != nil {
		return fmt.Errorf("the test NLL after epoch %d: %w", epoch, err)
	}
	fmt.Fprintf(c.log, "test NLL after epoch %d (k = %d, %d images): %.2f nats\n", epoch, c.k, c.test.N, nll)
	// An estimate of another k or test set, or of a later epoch (a run retrained from an older
	// checkpoint), is not of this curve.
	points = slices.DeleteFunc(points, func(p NLLPoint) bool { return p.Epoch >= epoch || p.K != c.k || p.Images != c.test.N })
	return writeNLLCurve(c.dir, append(points, NLLPoint{Epoch: epoch, K: c.k, Images: c.test.N, NLL: nll}))
}

// separateFinal reports whether a run's final NLL estimate, with finalK samples (0: none), is
// shown beside its curve: with the k of the curve's estimates it is the curve's last point.
func separateFinal(points []NLLPoint, finalK int) bool {
	return finalK > 0 && finalK != points[len(points)-1].K
}

// drawNLLCurve draws a run's NLL curve with its final estimate (finalK samples, 0: none) and a
// published value (ref, 0: none), into base.
func drawNLLCurve(points []NLLPoint, finalK int, final float64, ref float64, refSource, title, base string) ([]string, error) {
	curve := make([]figures.Point, len(points))
	for i, p := range points {
		curve[i] = figures.Point{X: float64(p.Epoch), Y: p.NLL}
	}
	series := []figures.Series{{Name: fmt.Sprintf("test NLL, k = %d, after each stage of the learning rate", points[0].K), Points: curve}}
	if separateFinal(points, finalK) {
		series = append(series, figures.Series{Name: fmt.Sprintf("k = %d after the last epoch", finalK),
			Points: []figures.Point{{X: float64(points[len(points)-1].Epoch), Y: final}}})
	}
	var levels []figures.Level
	if ref > 0 {
		levels = append(levels, figures.Level{Y: ref, Label: fmt.Sprintf("%s, %.2f", refSource, ref)})
	}
	return figures.Trend(series, levels, "nats per image", title, base)
}
