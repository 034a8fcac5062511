package vae_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// Weights worked out by hand from the formulas of the package doc.
func TestKLWeight(t *testing.T) {
	for _, tc := range []struct {
		schedule string
		length   int
		ramp     float64
		want     []float64 // at t = 0, 1, 2, ...
	}{
		{"constant", 0, 0, []float64{1, 1, 1}},
		{"linear", 4, 0, []float64{0, 0.25, 0.5, 0.75, 1, 1, 1}},
		{"cyclical", 4, 0.5, []float64{0, 0.5, 1, 1, 0, 0.5, 1, 1, 0}},
		{"cyclical", 4, 1, []float64{0, 0.25, 0.5, 0.75, 0, 0.25}},
		{"cyclical", 3, 0.5, []float64{0, 2.0 / 3, 1, 0}},
	} {
		var got []float64
		for step := range tc.want {
			got = append(got, vae.KLWeight(tc.schedule, step, tc.length, tc.ramp))
		}
		if !slices.EqualFunc(got, tc.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Errorf("KLWeight(%s, T = %d, R = %g) over t = 0.. = %v, want %v", tc.schedule, tc.length, tc.ramp, got, tc.want)
		}
	}
}

// scheduledTrainer is a small MLP VAE with the given schedule and free-bits parameters.
func scheduledTrainer(t *testing.T, params map[string]any) (*training.Trainer, *model.Store) {
	t.Helper()
	store := model.NewStore()
	store.SetParams(map[string]any{vaekit.ParamArchitecture: "mlp", vaekit.ParamMLPHidden: []int{16}, vaekit.ParamLatentDim: 4,
		training.ParamSeed: int64(2), training.ParamBatchSize: 4})
	store.SetParams(params)
	tr, err := training.NewTrainer(backends.Go(), store, vae.Model{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, store
}

// The graph's weight is the schedule's at the steps done before each step (the optimizer's global
// step), its loss is reconstruction + weight * KL, and the term kl_weight says which weight was in
// force.
func TestScheduleInTheTrainingGraph(t *testing.T) {
	tr, _ := scheduledTrainer(t, map[string]any{vae.ParamKLSchedule: "cyclical", vae.ParamKLScheduleLength: 4, vae.ParamKLCycleRamp: 0.5})
	for step := range 6 {
		out, err := tr.TrainStep(batch())
		if err != nil {
			t.Fatal(err)
		}
		names := tr.Terms()
		if !slices.Equal(names, []string{"loss", "reconstruction", "kl", "kl_weight"}) {
			t.Fatalf("terms %v, want loss, reconstruction, kl, kl_weight", names)
		}
		want := vae.KLWeight("cyclical", step, 4, 0.5)
		if math.Abs(out[3]-want) > 1e-6 {
			t.Errorf("step %d: kl_weight %g, want %g", step, out[3], want)
		}
		if loss := out[1] + want*out[2]; math.Abs(out[0]-loss) > 1e-4*math.Abs(loss) {
			t.Errorf("step %d: loss %g, want reconstruction %g + %g * KL %g = %g", step, out[0], out[1], want, out[2], loss)
		}
	}
}

// A schedule by epochs reads the count of completed epochs: constant within an epoch.
func TestScheduleByEpochs(t *testing.T) {
	tr, store := scheduledTrainer(t, map[string]any{vae.ParamKLSchedule: "linear", vae.ParamKLScheduleUnit: "epochs", vae.ParamKLScheduleLength: 2})
	for _, epoch := range []int64{0, 1, 2} {
		if err := training.EpochCounter(store).SetValue(tensors.FromScalar(epoch)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			out, err := tr.TrainStep(batch())
			if err != nil {
				t.Fatal(err)
			}
			if want := vae.KLWeight("linear", int(epoch), 2, 0); math.Abs(out[3]-want) > 1e-6 {
				t.Errorf("after %d epochs: kl_weight %g, want %g", epoch, out[3], want)
			}
		}
	}
}

// Free bits: the objective's KL is the batch's KL per group floored at lambda. Evaluated with a
// floor far above the KL of a fresh model (about 0.1 nats per dimension here), each of the 4
// dimensions falls short by lambda - its KL: the shortfall is 4 lambda - KL; with one group of 4
// dimensions it is lambda - KL, and with a floor of 0 there is none.
func TestFreeBits(t *testing.T) {
	const lambda = 50.0
	for _, tc := range []struct {
		name      string
		groups    int
		shortfall func(kl float64) float64
	}{
		{"per dimension", 0, func(kl float64) float64 { return 4*lambda - kl }},
		{"one group", 1, func(kl float64) float64 { return lambda - kl }},
		{"two groups", 2, func(kl float64) float64 { return 2*lambda - kl }},
	} {
		tr, _ := scheduledTrainer(t, map[string]any{vae.ParamFreeBits: lambda, vae.ParamFreeBitsGroups: tc.groups})
		images, labels := batch()
		out, err := tr.EvalStep(images, labels, tensors.FromValue([]float32{1, 1, 1, 1}))
		if err != nil {
			t.Fatal(err)
		}
		if names := tr.Terms(); !slices.Equal(names, []string{"loss", "reconstruction", "kl", "free_bits_shortfall"}) {
			t.Fatalf("terms %v, want loss, reconstruction, kl, free_bits_shortfall", names)
		}
		// EvalStep sums over the 4 images.
		kl, shortfall := out[2]/4, out[3]/4
		if want := tc.shortfall(kl); math.Abs(shortfall-want) > 1e-4 {
			t.Errorf("%s: shortfall %g with KL %g, want %g", tc.name, shortfall, kl, want)
		}
		if want := out[1] + out[2] + out[3]; math.Abs(out[0]-want) > 1e-4*want {
			t.Errorf("%s: loss %g, want reconstruction + KL + shortfall = %g", tc.name, out[0], want)
		}
	}
}

// Bad values are refused by the parameter table before any work, naming the value and what was
// expected.
func TestScheduleParamsChecked(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{vae.ParamKLSchedule: "linear"}, "vae_kl_schedule = linear needs vae_kl_schedule_length >= 1"},
		{map[string]any{vae.ParamKLSchedule: "sigmoid"}, "sigmoid"},
		{map[string]any{vae.ParamKLCycleRamp: 0.0}, "vae_kl_cycle_ramp"},
		{map[string]any{vae.ParamFreeBits: -1.0}, "vae_free_bits"},
		{map[string]any{vae.ParamFreeBitsGroups: 3, vaekit.ParamLatentDim: 8}, "vae_free_bits_groups = 3: expected a divisor of latent_dim = 8"},
	} {
		_, err := paramtable.CheckAll("vae", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckAll(%v) = %v, want an error containing %q", tc.params, err, tc.want)
		}
	}
	if _, err := paramtable.CheckAll("vae", map[string]any{vae.ParamKLSchedule: "cyclical", vae.ParamKLScheduleLength: 10, vae.ParamFreeBits: 0.5}); err != nil {
		t.Errorf("a cyclical schedule with free bits: %v", err)
	}
}
