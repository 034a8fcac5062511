package training

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
)

// batcher cuts a data set into batch tensors: images [batch, h, w, 1] float32, labels [batch]
// int32. It gathers by index, so shuffling never copies the data set.
type batcher struct {
	set       *datasets.Set
	batchSize int
}

type batch struct {
	images, labels *tensors.Tensor
}

func newBatcher(set *datasets.Set, batchSize int) *batcher {
	return &batcher{set: set, batchSize: batchSize}
}

// gather builds the batch of the examples at the given indices.
func (b *batcher) gather(indices []int32) batch {
	size := b.set.ImageSize()
	images := make([]float32, len(indices)*size)
	labels := make([]int32, len(indices))
	for i, idx := range indices {
		copy(images[i*size:(i+1)*size], b.set.Image(int(idx)))
		labels[i] = b.set.Labels[idx]
	}
	return batch{
		images: tensors.FromFlatDataAndDimensions(images, len(indices), b.set.Height, b.set.Width, b.set.Depth()),
		labels: tensors.FromFlatDataAndDimensions(labels, len(indices)),
	}
}

// sequential returns the batch starting at example start, padded with copies of example 0 to
// a full batch, and the mask that is 1 on real examples and 0 on padding.
func (b *batcher) sequential(start int) (images, labels, mask *tensors.Tensor) {
	indices := make([]int32, b.batchSize)
	m := make([]float32, b.batchSize)
	for i := range indices {
		if start+i < b.set.N {
			indices[i] = int32(start + i)
			m[i] = 1
		}
	}
	bt := b.gather(indices)
	return bt.images, bt.labels, tensors.FromFlatDataAndDimensions(m, b.batchSize)
}

// Release frees tensors at once, on the host and on the backend's device. Why: a device buffer
// (ONNX Runtime's, XLA's) is otherwise freed by a finalizer when Go's garbage collector runs, and
// the collector does not count that memory: a loop of executions that allocates little Go memory
// piles device buffers up (seen: 10 GB resident during an importance-weighted NLL estimate on
// ONNX Runtime). Every loop of executions in vaekit releases its inputs and outputs.
func Release(ts ...*tensors.Tensor) {
	for _, t := range ts {
		if t != nil {
			_ = t.FinalizeAll() // an already finalized tensor is fine
		}
	}
}

// ForEachBatch calls fn on consecutive batches of set, in order: images [batchSize, h, w, 1]
// and labels [batchSize], the last batch padded with copies of example 0, and n, the number of
// real examples at the front of the batch. Every batch has the same shape, so an executor
// compiles once. It stops at the first error fn returns. The batch's tensors are released when
// fn returns: fn must not keep them.
func ForEachBatch(set *datasets.Set, batchSize int, fn func(images, labels *tensors.Tensor, n int) error) error {
	if batchSize <= 0 {
		return fmt.Errorf("batch size %d: expected a positive size", batchSize)
	}
	b := newBatcher(set, batchSize)
	for start := 0; start < set.N; start += batchSize {
		images, labels, mask := b.sequential(start)
		err := fn(images, labels, min(batchSize, set.N-start))
		Release(images, labels, mask)
		if err != nil {
			return err
		}
	}
	return nil
}

// prefetch prepares the first steps batches of order on another goroutine, one step ahead of
// the consumer, so building a batch overlaps with the training step.
func (b *batcher) prefetch(ctx context.Context, order []int32, steps int) <-chan batch {
	out := make(chan batch, 1)
	go func() {
		defer close(out)
		for step := range steps {
			bt := b.gather(order[step*b.batchSize : (step+1)*b.batchSize])
			select {
			case out <- bt:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// epochOrder is the order of the training examples in an epoch: a permutation that depends
// only on the random seed and the epoch, so a resumed run sees the data in the same order.
func epochOrder(n int, seed int64, epoch int) []int32 {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)))
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// dynamicBinarized draws a binary copy of set for one epoch, from the random seed and the epoch.
func dynamicBinarized(set *datasets.Set, seed int64, epoch int) *datasets.Set {
	out := *set
	out.Images = make([]float32, len(set.Images))
	datasets.DynamicBinarize(out.Images, set.Images, rand.New(rand.NewPCG(uint64(seed)^0x5eed, uint64(epoch))))
	return &out
}

// EvaluationSet returns set as the training loop evaluates it under the store's training
// parameters: binarized by the static threshold, or by one fixed dynamic draw, when ParamBinarize
// asks for it, so that metrics computed after training see the same test images as the history.
func EvaluationSet(store *model.Store, set *datasets.Set) (*datasets.Set, error) {
	p, err := ReadTrainingParams(store)
	if err != nil {
		return nil, err
	}
	return binarizeOnce(set, p), nil
}

// binarizeOnce applies the binarization to an evaluation set: the static threshold, or one
// fixed dynamic draw (epoch 0 of the seed), so that every epoch is evaluated on the same data.
func binarizeOnce(set *datasets.Set, p TrainingParams) *datasets.Set {
	switch p.Binarize {
	case "static":
		return set.Binarized(0.5)
	case "dynamic":
		return dynamicBinarized(set, p.Seed+1, 0)
	}
	return set
}

// Examples returns the examples of set at indices as one batch: images [n, h, w, c] and labels
// [n]. Release them when done.
func Examples(set *datasets.Set, indices []int32) (images, labels *tensors.Tensor) {
	bt := newBatcher(set, len(indices)).gather(indices)
	return bt.images, bt.labels
}
