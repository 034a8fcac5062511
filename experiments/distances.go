package experiments

import (
	"context"
	"fmt"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/classifier"
	"github.com/vaekit/vaekit/vaekit/sampledist"
	"github.com/vaekit/vaekit/vaekit/training"
)

// SampleDistances are the distances between a generator's samples and the test images in the
// feature space of the data set's judge (package sampledist): each measure's mean and standard
// deviation over Sets independent sets of Samples samples (random seeds 11, 12, ...) against the
// first Samples test images, and its "floor", the same measure between as many training images
// (the first ones) and those test images: about what a generator that reproduced the data would
// reach at these sizes, a reference rather than a bound (class-balanced samples can come closer).
type SampleDistances struct {
	// Features names the feature space, so that two numbers are compared only within one.
	Features string `json:"features"`
	Samples  int    `json:"samples_per_set"`
	Sets     int    `json:"sets"`
	// KernelSubsets subsets of KernelSubsetSize rows are averaged for each kernel distance;
	// precision and recall use k nearest neighbours.
	KernelSubsets    int `json:"kernel_subsets"`
	KernelSubsetSize int `json:"kernel_subset_size"`
	K                int `json:"precision_recall_k"`
	// Frechet is the Fréchet distance (squared feature units), Kernel the kernel distance
	// (KID: the unbiased squared MMD with the cubic kernel (x·y/d + 1)^3), Precision and Recall
	// fractions.
	Frechet   Spread `json:"frechet"`
	Kernel    Spread `json:"kernel"`
	Precision Spread `json:"precision"`
	Recall    Spread `json:"recall"`
	// PerClass, for a class-conditional model, are the same measures of each class's samples
	// against the test images of that class among the first Samples (about Samples / classes
	// each): whether every class asked for is drawn well, which the overall numbers average away.
	PerClass []ClassDistances `json:"per_class,omitempty"`
	Floor    struct {
		Frechet   float64 `json:"frechet"`
		Kernel    float64 `json:"kernel"`
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
	} `json:"floor_training_images"`
}

// ClassDistances are a conditional model's sample distances for one class (the mean and standard
// deviation over the sample sets; the floor is not computed per class).
type ClassDistances struct {
	Class      string `json:"class"`
	Samples    int    `json:"samples_per_set"`
	TestImages int    `json:"test_images"`
	Frechet    Spread `json:"frechet"`
	Kernel     Spread `json:"kernel"`
	Precision  Spread `json:"precision"`
	Recall     Spread `json:"recall"`
}

// Spread is the mean and the sample standard deviation of a measure over sample sets.
type Spread struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
}

// Sizes of the sample distances: sets of up to 2,000 samples (fewer when the test set is
// smaller), three of them; kernel distances over 5 subsets of up to 1,000; k = 3 neighbours
// (Kynkäänniemi et al.'s choice). About 10 s for an MLP VAE on two cores.
const (
	distanceSamples = 2000
	distanceSets    = 3
	kernelSubsets   = 5
	kernelSubset    = 1000
	neighbours      = 3
)

// sampleDistances computes the SampleDistances of the run's samples (for a conditional model,
// as many of each class), drawn as the figures draw them, with the data set's judge.
func (t *Trained) sampleDistances(ctx context.Context, opts Options) (*SampleDistances, error) {
	if t.train == nil {
		return nil, fmt.Errorf("sample distances of %s: the training images are not loaded", t.Experiment.Name)
	}
	judge, err := t.classifierRun(ctx, opts)
	if err != nil {
		return nil, err
	}
	n := min(distanceSamples, t.Test.N, t.train.N)
	classes := len(t.Test.ClassNames)
	if t.Conditional() {
		n = n / classes * classes
	}
	if n < neighbours+1 {
		return nil, fmt.Errorf("sample distances of %s: %d test images, expected at least %d", t.Experiment.Name, n, neighbours+1)
	}
	features := func(set *datasets.Set) (sampledist.Features, error) {
		rows, err := classifier.Features(judge.Backend, judge.Store, set, 250)
		return sampledist.FromFloat32(rows), err
	}
	test, err := features(t.Test.Subset(n))
	if err != nil {
		return nil, err
	}
	train, err := features(t.train.Subset(n))
	if err != nil {
		return nil, err
	}
	d := &SampleDistances{
		Features: fmt.Sprintf("the penultimate layer of the %s judge (%d ReLU units; %s)", t.Experiment.Data, test.Dim(), judge.Dir),
		Samples:  n, Sets: distanceSets, KernelSubsets: kernelSubsets, KernelSubsetSize: min(kernelSubset, n), K: neighbours,
	}
	kidOpts := sampledist.KIDOptions{Subsets: kernelSubsets, SubsetSize: kernelSubset, Seed: 1}
	m, err := measures(train, test, kidOpts)
	if err != nil {
		return nil, err
	}
	d.Floor.Frechet, d.Floor.Kernel, d.Floor.Precision, d.Floor.Recall = m[0], m[1], m[2], m[3]
	var fds, kids, precisions, recalls []float64
	// Per class (conditional models): the test rows of each class, and each class's values per set.
	testOf := make([]sampledist.Features, classes)
	perClass := make([][4][]float64, classes)
	if t.Conditional() {
		for i, row := range test.Rows {
			c := t.Test.Labels[i]
			testOf[c].Rows = append(testOf[c].Rows, row)
		}
	}
	for s := range distanceSets {
		var images [][]float32
		var labels []int32
		if t.Conditional() {
			images, labels, err = t.ClassSamples(n/classes, uint64(11+s))
		} else {
			images, err = t.Samples(n, uint64(11+s))
		}
		if err != nil {
			return nil, err
		}
		samples, err := features(t.samplesSet(images, labels))
		if err != nil {
			return nil, err
		}
		m, err := measures(samples, test, kidOpts)
		if err != nil {
			return nil, err
		}
		fds, kids, precisions, recalls = append(fds, m[0]), append(kids, m[1]), append(precisions, m[2]), append(recalls, m[3])
		if t.Conditional() {
			of := make([]sampledist.Features, classes)
			for i, row := range samples.Rows {
				of[labels[i]].Rows = append(of[labels[i]].Rows, row)
			}
			for c := range classes {
				// One subset of all the rows of both: the exact unbiased kernel distance.
				all := sampledist.KIDOptions{Subsets: 1, SubsetSize: max(of[c].Len(), testOf[c].Len()), Seed: 1}
				m, err := measures(of[c], testOf[c], all)
				if err != nil {
					return nil, fmt.Errorf("sample distances of class %s: %w", t.Test.ClassNames[c], err)
				}
				for j := range m {
					perClass[c][j] = append(perClass[c][j], m[j])
				}
			}
		}
	}
	if t.Conditional() {
		for c := range classes {
			cd := ClassDistances{Class: t.Test.ClassNames[c], Samples: n / classes, TestImages: testOf[c].Len()}
			for j, into := range []*Spread{&cd.Frechet, &cd.Kernel, &cd.Precision, &cd.Recall} {
				into.Mean, into.SD = sampledist.Summarize(perClass[c][j])
			}
			d.PerClass = append(d.PerClass, cd)
		}
	}
	for _, m := range []struct {
		into   *Spread
		values []float64
	}{{&d.Frechet, fds}, {&d.Kernel, kids}, {&d.Precision, precisions}, {&d.Recall, recalls}} {
		m.into.Mean, m.into.SD = sampledist.Summarize(m.values)
	}
	return d, nil
}

// measures are the Fréchet distance, kernel distance (with kid's subsets), precision and recall
// of samples against test, in that order.
func measures(samples, test sampledist.Features, kid sampledist.KIDOptions) ([4]float64, error) {
	var m [4]float64
	var err error
	if m[0], err = sampledist.Frechet(samples, test); err != nil {
		return m, err
	}
	if m[1], _, err = sampledist.KID(samples, test, kid); err != nil {
		return m, err
	}
	m[2], m[3], err = sampledist.PrecisionRecall(test, samples, neighbours)
	return m, err
}

// addDistances computes the run's sample distances into m, with their means among the extras
// (sample_frechet_distance, sample_kernel_distance: squared judge-feature units; precision and
// recall: fractions), timing them on the log.
func (t *Trained) addDistances(ctx context.Context, opts Options, m *Metrics, extra map[string]float64) error {
	t.phase("evaluate sample distances")
	var d *SampleDistances
	err := training.Timed(opts.Log, "sample distances in the judge's features", func() (err error) {
		d, err = t.sampleDistances(ctx, opts)
		return err
	})
	if err != nil {
		return err
	}
	m.SampleDistances = d
	extra["sample_frechet_distance_features"] = d.Frechet.Mean
	extra["sample_kernel_distance_features"] = d.Kernel.Mean
	extra["sample_precision_fraction"] = d.Precision.Mean
	extra["sample_recall_fraction"] = d.Recall.Mean
	return nil
}
