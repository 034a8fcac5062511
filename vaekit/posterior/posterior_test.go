package posterior

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// KL(N(1, 1) || N(0, 1)) = (1 + 1 - 1 - 0)/2 = 0.5; KL(N(0, 2) || N(0, 1)) = (2 - 1 - ln 2)/2;
// with the prior mean 1 the first dimension's KL is 0.
func TestKLPerDim(t *testing.T) {
	ln2 := math.Log(2)
	for _, tc := range []struct {
		name string
		p    Params
		want []float64
	}{
		{"N(0, I) prior", Params{Mean: [][]float64{{1, 0}}, LogVar: [][]float64{{0, ln2}}}, []float64{0.5, (1 - ln2) / 2}},
		{"shifted prior", Params{Mean: [][]float64{{1, 0}}, LogVar: [][]float64{{0, ln2}}, PriorMean: [][]float64{{1, 0}}}, []float64{0, (1 - ln2) / 2}},
		// averaged over two images: (0.5 + 2) / 2 for mu = 1 and mu = 2 (KL 2)
		{"mean over images", Params{Mean: [][]float64{{1}, {2}}, LogVar: [][]float64{{0}, {0}}}, []float64{1.25}},
	} {
		got, err := KLPerDim(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, tc.want, func(a, b float64) bool { return near(a, b, 1e-12) }) {
			t.Errorf("%s: KLPerDim = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Dimension 0's means are -1, 1, -1, 1 (variance 4/3), dimension 1's 0, 0.1, 0, 0.1 (variance
// 0.01/3, under the threshold), dimension 2's 0, 0.2, 0, 0.2 (0.04/3 = 0.0133, over it).
func TestActiveUnits(t *testing.T) {
	p := Params{
		Mean:   [][]float64{{-1, 0, 0}, {1, 0.1, 0.2}, {-1, 0, 0}, {1, 0.1, 0.2}},
		LogVar: [][]float64{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
	}
	active, variances, err := ActiveUnits(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{4.0 / 3, 0.01 / 3, 0.04 / 3}
	if !slices.EqualFunc(variances, want, func(a, b float64) bool { return near(a, b, 1e-12) }) {
		t.Errorf("variances = %v, want %v", variances, want)
	}
	if active != 2 {
		t.Errorf("active units = %d, want 2", active)
	}
}

// Posteriors that are all N(0, I) carry no information (I = 0); posteriors far apart and narrow
// tell each image from the n - 1 others (I = ln n). The estimate's noise is that of one draw per
// image: about sqrt(d / (2n)) nats.
func TestMutualInformation(t *testing.T) {
	const n, d = 500, 2
	rng := rand.New(rand.NewPCG(1, 1))
	collapsed := Params{Mean: make([][]float64, n), LogVar: make([][]float64, n)}
	separated := Params{Mean: make([][]float64, n), LogVar: make([][]float64, n)}
	for i := range n {
		collapsed.Mean[i], collapsed.LogVar[i] = make([]float64, d), make([]float64, d)
		separated.Mean[i] = []float64{10 * float64(i), rng.NormFloat64()}
		separated.LogVar[i] = []float64{math.Log(1e-4), math.Log(1e-4)}
	}
	for _, tc := range []struct {
		name string
		p    Params
		want float64
	}{
		{"collapsed", collapsed, 0},
		{"separated", separated, math.Log(n)},
	} {
		got, err := MutualInformation(tc.p, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, tc.want, 0.15) {
			t.Errorf("%s: I(x; z) = %.4f nats, want %.4f +- 0.15", tc.name, got, tc.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		want string
	}{
		{"no images", Params{}, "0 images, expected at least 2"},
		{"counts", Params{Mean: [][]float64{{0}, {1}}, LogVar: [][]float64{{0}}}, "2 means, 1 log-variances"},
		{"ragged", Params{Mean: [][]float64{{0}, {1, 2}}, LogVar: [][]float64{{0}, {0}}}, "image 1 has a mean of 2 dimensions, expected 1"},
		{"NaN", Params{Mean: [][]float64{{0}, {1}}, LogVar: [][]float64{{0}, {math.NaN()}}}, "image 1, dimension 0: log-variance NaN"},
	} {
		_, _, err := ActiveUnits(tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ActiveUnits error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
