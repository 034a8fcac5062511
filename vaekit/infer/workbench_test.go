package infer_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/ae"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/infer"
	"github.com/vaekit/vaekit/vaekit/training"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// The parameter counts of the families' blocks, worked out by hand: a dense layer from n to m
// has n*m weights and m biases; a 3x3 convolution from c to f channels 9*c*f weights and f biases.
func TestParameterCounts(t *testing.T) {
	mlp := func(hidden []int, latent int) map[string]any {
		return map[string]any{vaekit.ParamMLPHidden: hidden, vaekit.ParamLatentDim: latent}
	}
	for _, c := range []struct {
		name   string
		m      vaekit.Model
		params map[string]any
		want   int
	}{
		// 784-512-256 encoder, two 256->20 heads, 20-256-512-784 decoder.
		{"vae 784-512-256-20", vae.Model{}, mlp([]int{512, 256}, 20),
			(784*512 + 512) + (512*256 + 256) + 2*(256*20+20) + (20*256 + 256) + (256*512 + 512) + (512*784 + 784)},
		// One head: the code itself.
		{"ae 784-64-8", ae.Model{}, mlp([]int{64}, 8), (784*64 + 64) + (64*8 + 8) + (8*64 + 64) + (64*784 + 784)},
		// conv 1->4->8 stride 2 (28 -> 14 -> 7), dense 392 -> 16, heads 16 -> 2; decoder dense
		// 2 -> 7*7*8, transposed 8->8 and 8->4, output conv 4 -> 1.
		{"conv vae", vae.Model{}, map[string]any{vaekit.ParamArchitecture: vaekit.ArchConv, vaekit.ParamConvFilters: []int{4, 8},
			vaekit.ParamConvDense: 16, vaekit.ParamLatentDim: 2},
			(9*1*4 + 4) + (9*4*8 + 8) + (392*16 + 16) + 2*(16*2+2) + (2*392 + 392) + (9*8*8 + 8) + (9*8*4 + 4) + (9*4*1 + 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			wb, err := infer.NewWorkbench(backends.Go(), c.m.Name(), c.params)
			if err != nil {
				t.Fatal(err)
			}
			images, labels := briefly.Batch(testutil.SquaresSet(4, 1), 4)
			if _, err := infer.Run(wb, func(scope *model.Scope, images, labels *Node) *Node {
				return c.m.Loss(scope, images, labels)[0].Value
			}, images, labels); err != nil {
				t.Fatal(err)
			}
			if got, frozen := infer.ParameterCounts(wb.Store); got != c.want || frozen != 0 {
				t.Errorf("ParameterCounts = %d trainable, %d frozen: expected %d and 0", got, frozen, c.want)
			}
		})
	}
}

// Summary lists the layers in the order the model built them and totals the parameters; the
// optimizer's state and the training loop's counters (a trainer's store has both) are left out.
func TestSummary(t *testing.T) {
	tr, store := briefly.Trainer(t, ae.Model{}, map[string]any{vaekit.ParamMLPHidden: []int{64}, vaekit.ParamLatentDim: 8,
		training.ParamBatchSize: 4})
	images, labels := briefly.Batch(testutil.SquaresSet(4, 1), 4)
	if _, err := tr.TrainStep(images, labels); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := infer.Summary(&b, store); err != nil {
		t.Fatal(err)
	}
	got := b.String() // 784*64+64 + 64*8+8 + 8*64+64 + 64*784+784 = 102,296
	for _, want := range []string{"/encoder/hidden_0/dense  weights [784 64], biases [64]", "50,240", "total", "102,296"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "/encoder/") > strings.Index(got, "/decoder/") {
		t.Errorf("summary lists the decoder before the encoder:\n%s", got)
	}
	for _, internal := range []string{"optimizers", "Adam", "moment", "global_step", "/vaekit", "#rngState"} {
		if strings.Contains(got, internal) {
			t.Errorf("summary lists %s:\n%s", internal, got)
		}
	}
	if err := infer.Summary(&b, model.NewStore()); err == nil {
		t.Error("Summary of an empty store: expected an error")
	}
}

// A workbench checks its parameters before it builds anything.
func TestWorkbenchRefusesABadParameter(t *testing.T) {
	_, err := infer.NewWorkbench(backends.Go(), "vae", map[string]any{vaekit.ParamLatentDim: 0})
	if err == nil || !strings.Contains(err.Error(), "latent_dim") {
		t.Errorf("latent_dim 0: got %v, expected an error naming latent_dim", err)
	}
}

// Building a model's encoder on a workbench and running it on four images: the shapes of the
// posterior's mean and log-variance, then the layers built so far.
func ExampleSummary() {
	wb, err := infer.NewWorkbench(backends.Go(), "vae", map[string]any{vaekit.ParamMLPHidden: []int{32}, vaekit.ParamLatentDim: 2})
	if err != nil {
		panic(err)
	}
	images, _ := briefly.Batch(testutil.SquaresSet(4, 1), 4)
	out, err := infer.Run(wb, func(scope *model.Scope, images *Node) (*Node, *Node) {
		return vae.Posterior(scope, images, nil)
	}, images)
	if err != nil {
		panic(err)
	}
	fmt.Println("images", images.Shape().Dimensions, "-> mean", out[0].Shape().Dimensions, "log-variance", out[1].Shape().Dimensions)
	if err := infer.Summary(os.Stdout, wb.Store); err != nil {
		panic(err)
	}
	// Output:
	// images [4 28 28 1] -> mean [4 2] log-variance [4 2]
	// layer                    variables                      parameters
	// ------------------------------------------------------------------
	// /encoder/hidden_0/dense  weights [784 32], biases [32]      25,120
	// /z_mean/dense            weights [32 2], biases [2]             66
	// /z_log_var/dense         weights [32 2], biases [2]             66
	// ------------------------------------------------------------------
	// total                                                       25,252
	// trainable                                                   25,252
}

// With activation tanh every hidden unit lies in (-1, 1); with relu none is negative.
func TestActivations(t *testing.T) {
	images, _ := briefly.Batch(testutil.SquaresSet(4, 1), 4)
	for _, c := range []struct {
		name   string
		lo, hi float32
	}{{"tanh", -1, 1}, {"relu", 0, float32(math.Inf(1))}} {
		wb, err := infer.NewWorkbench(backends.Go(), "vae", map[string]any{vaekit.ParamMLPHidden: []int{64}, vaekit.ParamActivation: c.name})
		if err != nil {
			t.Fatal(err)
		}
		out, err := infer.Run(wb, func(scope *model.Scope, images *Node) *Node { return vaekit.EncoderFeatures(scope, images, nil) }, images)
		if err != nil {
			t.Fatal(err)
		}
		values := tensors.MustCopyFlatData[float32](out[0])
		negative := false
		for _, v := range values {
			if v < c.lo || v > c.hi {
				t.Fatalf("%s: hidden value %g outside [%g, %g]", c.name, v, c.lo, c.hi)
			}
			negative = negative || v < 0
		}
		if c.name == "tanh" && !negative {
			t.Errorf("tanh: no negative hidden value among %d", len(values))
		}
	}
}
