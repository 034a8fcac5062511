package vae

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// KL schedules and free bits: two cures for posterior collapse, where the KL term pushes the
// posterior of some (or all) latent dimensions onto the prior before the decoder has learned to
// use them.
//
// A schedule multiplies the KL term by a weight w(t) in [0, 1] that grows with training:
//
//	constant  w = 1
//	linear    w = min(1, t / T)                          (warm-up; Bowman et al. 2016)
//	cyclical  w = min(1, (t mod T) / (R T))              (Fu et al. 2019: M cycles of T, ramp R)
//
// where t counts the steps done before the current one (ParamKLScheduleUnit "steps", the
// optimizer's global step) or the epochs completed before the current one ("epochs": w is then
// constant within an epoch), and T is ParamKLScheduleLength in that unit. Both counters are in
// the checkpoint, so a resumed run continues the schedule exactly.
//
// Free bits (Kingma et al. 2016, "Improved Variational Inference with Inverse Autoregressive
// Flow", eq. 15) give every group of latent dimensions a floor of lambda nats of KL: the
// objective's KL is sum over groups g of max(lambda, KL_g), where KL_g is the group's KL
// averaged over the batch, so that a group under the floor is not pushed further down. It is
// written as each image's KL plus the batch's shortfall, sum_g max(0, lambda - KL_g), which has
// the same batch mean and gradient; the shortfall is the term "free_bits_shortfall".
//
// With a schedule the weight in force is the term "kl_weight" (the training column averages it
// over the epoch's steps; the test column is, by steps, the weight after the epoch's last step,
// and by epochs the epoch's own weight: the test set is evaluated before the epoch counter
// moves). With neither, the
// graph is the plain VAE's, op for op.
const (
	// ParamKLSchedule is "constant" (default), "linear" or "cyclical".
	ParamKLSchedule = "vae_kl_schedule"
	// ParamKLScheduleUnit is what t and T count: "steps" (default) or "epochs".
	ParamKLScheduleUnit = "vae_kl_schedule_unit"
	// ParamKLScheduleLength is T: the warm-up's length, or one cycle's (needed by a schedule).
	ParamKLScheduleLength = "vae_kl_schedule_length"
	// ParamKLCycleRamp is R, the share of a cycle spent ramping from 0 to 1 (default 0.5).
	ParamKLCycleRamp = "vae_kl_cycle_ramp"
	// ParamFreeBits is lambda, the floor in nats per group (default 0: off).
	ParamFreeBits = "vae_free_bits"
	// ParamFreeBitsGroups is the number of groups the latent dimensions are split into, in
	// order and of equal size (default 0: one group per dimension).
	ParamFreeBitsGroups = "vae_free_bits_groups"
)

// KLSchedules are the values of ParamKLSchedule; KLScheduleUnits those of ParamKLScheduleUnit.
var (
	KLSchedules     = []string{"constant", "linear", "cyclical"}
	KLScheduleUnits = []string{"steps", "epochs"}
)

// KLWeight returns w(t) of a schedule with length T (and ramp R for "cyclical"); the
// graph's weight (KLScheduleWeight) computes the same, and tests compare the two.
func KLWeight(schedule string, t, length int, ramp float64) float64 {
	switch schedule {
	case "linear":
		return math.Min(1, float64(t)/float64(length))
	case "cyclical":
		return math.Min(1, float64(t%length)/(ramp*float64(length)))
	}
	return 1
}

// KLScheduleWeight returns the KL schedule's weight w(t) as a scalar of dtype (nil for the
// constant schedule): what a family's objective multiplies its KL term by.
func KLScheduleWeight(scope *model.Scope, g *Graph, dtype dtypes.DType) *Node {
	schedule := vaekit.Param[string](scope, ParamKLSchedule)
	if schedule == "constant" {
		return nil
	}
	length := vaekit.Param[int](scope, ParamKLScheduleLength)
	if length < 1 {
		panic(fmt.Errorf("vae: parameter %s = %d with %s = %s: expected a length of at least 1", ParamKLScheduleLength, length, ParamKLSchedule, schedule))
	}
	var counter *model.Variable
	if vaekit.Param[string](scope, ParamKLScheduleUnit) == "epochs" {
		counter = training.EpochCounter(scope.Store())
	} else {
		counter = optimizer.GetGlobalStepVar(scope.Store())
	}
	t := counter.NodeValue(g)
	switch schedule {
	case "linear":
		return MinScalar(DivScalar(ConvertDType(t, dtype), float64(length)), 1)
	case "cyclical":
		ramp := vaekit.Param[float64](scope, ParamKLCycleRamp)
		phase := ConvertDType(Mod(t, Scalar(g, t.DType(), length)), dtype)
		return MinScalar(DivScalar(phase, ramp*float64(length)), 1)
	}
	panic(fmt.Errorf("vae: parameter %s = %q: expected one of %v", ParamKLSchedule, schedule, KLSchedules))
}

// freeBitsShortfall returns each image's share of the batch's free-bits shortfall,
// sum over groups of max(0, lambda - the group's batch-mean KL), broadcast to [batch]; nil when
// free bits are off. klPerDim is [batch, latent].
func freeBitsShortfall(scope *model.Scope, klPerDim *Node) *Node {
	lambda := vaekit.Param[float64](scope, ParamFreeBits)
	if lambda <= 0 {
		return nil
	}
	batch, d := klPerDim.Shape().Dim(0), klPerDim.Shape().Dim(1)
	groups := vaekit.Param[int](scope, ParamFreeBitsGroups)
	if groups == 0 {
		groups = d
	}
	if groups < 1 || d%groups != 0 {
		panic(fmt.Errorf("vae: parameter %s = %d: expected a divisor of the latent dimension %d", ParamFreeBitsGroups, groups, d))
	}
	perGroup := ReduceSum(Reshape(ReduceMean(klPerDim, 0), groups, d/groups), 1)
	shortfall := ReduceAllSum(MaxScalar(AddScalar(Neg(perGroup), lambda), 0))
	return BroadcastToDims(shortfall, batch)
}

// checkSchedule is the rule the parameter table runs for the VAE families: a schedule needs a
// length, and free-bits groups must divide the latent dimension.
func checkSchedule(p paramtable.Values, family string) error {
	if !paramtable.Reads(family, ParamKLSchedule) {
		return nil
	}
	schedule, _ := p.Get(ParamKLSchedule, family)
	length, _ := p.Get(ParamKLScheduleLength, family)
	if schedule != "constant" && length.(int) < 1 {
		return fmt.Errorf("parameter %s = %s needs %s >= 1 (the warm-up's or a cycle's length), got %d", ParamKLSchedule, schedule, ParamKLScheduleLength, length)
	}
	if !paramtable.Reads(family, ParamFreeBitsGroups) {
		return nil // the beta-TC-VAE reads the schedule only (ScheduleParams)
	}
	groups, _ := p.Get(ParamFreeBitsGroups, family)
	latent, ok := p.Get(vaekit.ParamLatentDim, family)
	if g := groups.(int); g > 0 && ok {
		if d, isInt := latent.(int); isInt && d%g != 0 {
			return fmt.Errorf("parameter %s = %d: expected a divisor of %s = %d", ParamFreeBitsGroups, g, vaekit.ParamLatentDim, d)
		}
	}
	return nil
}

func init() {
	families := []string{"vae"}
	paramtable.Declare(
		paramtable.Spec{Name: ParamKLSchedule, Kind: paramtable.KindChoice, Choices: KLSchedules, Families: families, Default: "constant",
			Doc: "weight of the KL term over training: constant 1, linear warm-up, or cyclical (Fu et al. 2019)"},
		paramtable.Spec{Name: ParamKLScheduleUnit, Kind: paramtable.KindChoice, Choices: KLScheduleUnits, Families: families, Default: "steps",
			Doc: "what the KL schedule counts: training steps, or completed epochs"},
		paramtable.Spec{Name: ParamKLScheduleLength, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Families: families, Default: 0,
			Doc: "length of the KL warm-up, or of one cycle, in the schedule's unit (needed by linear and cyclical)"},
		paramtable.Spec{Name: ParamKLCycleRamp, Kind: paramtable.KindFloat, Range: paramtable.Above(0).AtMost(1), Families: families, Default: 0.5,
			Doc: "share of a cyclical schedule's cycle spent ramping the KL weight from 0 to 1"},
		paramtable.Spec{Name: ParamFreeBits, Kind: paramtable.KindFloat, Range: paramtable.AtLeast(0), Families: families, Default: 0.0,
			Doc: "free bits: a floor in nats on the batch's KL of each group of latent dimensions (0: off; Kingma et al. 2016)"},
		paramtable.Spec{Name: ParamFreeBitsGroups, Kind: paramtable.KindInt, Range: paramtable.AtLeast(0), Families: families, Default: 0,
			Doc: "groups of latent dimensions for free bits, a divisor of the latent size (0: one per dimension)"},
	)
	paramtable.DeclareRule(checkSchedule)
}
