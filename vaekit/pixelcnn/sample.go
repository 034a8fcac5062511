package pixelcnn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/training"
)

// Sample draws len(labels) code grids from the prior stored in store, position by position in
// raster order: each position's code is drawn from softmax(logits / temperature) given the codes
// drawn before it (temperature 1 is the model's own distribution; lower is more conservative).
// labels are the classes asked for (ignored by an unconditional prior, but their number is the
// number of grids). The draw is fixed by seed. It returns the codes grid after grid, row-major,
// and the grid size.
func Sample(backend compute.Backend, store *model.Store, labels []int32, temperature float64, seed uint64) (codes []int32, gh, gw int, err error) {
	n := len(labels)
	if n == 0 {
		return nil, 0, 0, fmt.Errorf("pixelcnn sample: no labels given: expected one label per grid to draw")
	}
	if !(temperature > 0) {
		return nil, 0, 0, fmt.Errorf("pixelcnn sample: temperature %g: expected a positive number", temperature)
	}
	gh, gw, _ = vaekit.ImageShape(store.RootScope())
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, codes, labels *Node) *Node {
		return Logits(scope, codes, labels)
	})
	if err != nil {
		return nil, 0, 0, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9c0de5))
	codes = make([]int32, n*gh*gw)
	labelsT := tensors.FromFlatDataAndDimensions(labels, n)
	var probs []float64
	// A position's logits depend only on the rows at or above it, so the logits of row r come
	// from the grid cut after row r: on average the network runs on half the grid (one
	// compiled graph per height).
	rows := make([]int32, 0, n*gh*gw)
	for r := range gh {
		rows = rows[:0]
		for i := range n {
			rows = append(rows, codes[i*gh*gw:i*gh*gw+(r+1)*gw]...)
		}
		for col := range gw {
			rowsT := tensors.FromFlatDataAndDimensions(rows, n, r+1, gw)
			out, err := exec.Exec(rowsT, labelsT)
			training.Release(rowsT)
			if err != nil {
				return nil, 0, 0, err
			}
			logits := tensors.MustCopyFlatData[float32](out[0])
			training.Release(out...)
			k := len(logits) / (n * (r + 1) * gw)
			for i := range n {
				at := (i*(r+1)+r)*gw + col // position (r, col) of grid i in the cut batch
				probs = softmax(probs[:0], logits[at*k:(at+1)*k], temperature)
				code := int32(draw(probs, rng.Float64()))
				codes[i*gh*gw+r*gw+col] = code
				rows[at] = code
			}
		}
	}
	return codes, gh, gw, nil
}

// softmax appends softmax(logits / temperature) to dst, computed stably in float64.
func softmax(dst []float64, logits []float32, temperature float64) []float64 {
	top := math.Inf(-1)
	for _, l := range logits {
		top = max(top, float64(l)/temperature)
	}
	var sum float64
	for _, l := range logits {
		p := math.Exp(float64(l)/temperature - top)
		dst = append(dst, p)
		sum += p
	}
	for i := range dst {
		dst[i] /= sum
	}
	return dst
}

// draw returns the index i where the cumulative probability first exceeds u in [0, 1).
func draw(probs []float64, u float64) int {
	var cum float64
	for i, p := range probs {
		cum += p
		if u < cum {
			return i
		}
	}
	return len(probs) - 1 // u within rounding of 1
}
