package sampledist

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// rows1 makes one-dimensional feature rows.
func rows1(values ...float64) Features {
	f := Features{}
	for _, v := range values {
		f.Rows = append(f.Rows, []float64{v})
	}
	return f
}

// gaussianRows draws n rows of independent normal features with the given means and scale.
func gaussianRows(rng *rand.Rand, n int, mean []float64, scale float64) Features {
	f := Features{Rows: make([][]float64, n)}
	for i := range f.Rows {
		f.Rows[i] = make([]float64, len(mean))
		for j, m := range mean {
			f.Rows[i][j] = m + scale*rng.NormFloat64()
		}
	}
	return f
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// Values worked out by hand (the unbiased variance of {-1, 1} is 2, of {0, 4} is 8).
func TestFrechet(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b Features
		want float64
	}{
		// |0-3|^2 + 2 + 2 - 2 sqrt(2*2) = 9
		{"shifted, same spread", rows1(-1, 1), rows1(2, 4), 9},
		// |1-2|^2 + 2 + 8 - 2 sqrt(2*8) = 3
		{"wider", rows1(0, 2), rows1(0, 4), 3},
		{"identical", rows1(0, 1, 5), rows1(0, 1, 5), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Frechet(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, tc.want, 1e-9) {
				t.Errorf("Frechet = %.12g, want %g", got, tc.want)
			}
		})
	}
}

// Covariances that do not commute: with A = diag(4, 1) and B = [[2, 1], [1, 2]],
// A^(1/2) B A^(1/2) = [[8, 2], [2, 2]], whose eigenvalues 5 +- sqrt(13) have square roots summing to
// sqrt(10 + 2 sqrt(12)); with means (0, 0) and (1, 2) the distance is 5 + 5 + 4 - 2 sqrt(10 + 4 sqrt(3)).
func TestFrechetGaussiansNonCommuting(t *testing.T) {
	a := Gaussian{Mean: []float64{0, 0}, Cov: mat.NewSymDense(2, []float64{4, 0, 0, 1})}
	b := Gaussian{Mean: []float64{1, 2}, Cov: mat.NewSymDense(2, []float64{2, 1, 1, 2})}
	want := 5 + 5 + 4 - 2*math.Sqrt(10+4*math.Sqrt(3))
	for _, tc := range []struct {
		name string
		x, y Gaussian
	}{{"a, b", a, b}, {"b, a", b, a}} {
		got, err := FrechetGaussians(tc.x, tc.y)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, want, 1e-9) {
			t.Errorf("FrechetGaussians(%s) = %.12g, want %.12g", tc.name, got, want)
		}
	}
}

// X = {0, 1}, Y = {1, 2} in one dimension, k(u, v) = (uv + 1)^3: within X k(0, 1) = 1, within Y
// k(1, 2) = 27, across (1 + 1 + 8 + 27)/4 = 9.25, so MMD^2 = 1 + 27 - 2(9.25) = 9.5.
func TestKIDByHand(t *testing.T) {
	mean, std, err := KID(rows1(0, 1), rows1(1, 2), KIDOptions{Subsets: 1, SubsetSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !near(mean, 9.5, 1e-12) || std != 0 {
		t.Errorf("KID = %g +- %g, want 9.5 +- 0", mean, std)
	}
}

// Sets of unequal sizes, all rows of each: X = {0, 1}, Y = {1, 2, 3}, k(u, v) = (uv + 1)^3. Within
// X: k(0, 1) = 1; within Y: (27 + 64 + 343) / 3 = 434/3; across: (1 + 1 + 1 + 8 + 27 + 64) / 6 =
// 17; MMD^2 = 1 + 434/3 - 34 = 335/3.
func TestKIDUnequalSetsByHand(t *testing.T) {
	mean, std, err := KID(rows1(0, 1), rows1(1, 2, 3), KIDOptions{Subsets: 1, SubsetSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !near(mean, 335.0/3, 1e-12) || std != 0 {
		t.Errorf("KID = %g +- %g, want %g +- 0", mean, std, 335.0/3)
	}
}

// Two sets from one distribution are near zero (unbiased: no floor from the set size); a shifted
// set is far.
func TestKIDSameAndShifted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zero := []float64{0, 0, 0, 0}
	data := gaussianRows(rng, 400, zero, 1)
	same := gaussianRows(rng, 400, zero, 1)
	shifted := gaussianRows(rng, 400, []float64{1, 1, 1, 1}, 1)
	opts := KIDOptions{Subsets: 5, SubsetSize: 200, Seed: 3}
	sameKID, _, err := KID(data, same, opts)
	if err != nil {
		t.Fatal(err)
	}
	identicalKID, _, _ := KID(data, data, KIDOptions{Subsets: 1, SubsetSize: 400})
	shiftedKID, shiftedStd, _ := KID(data, shifted, opts)
	if shiftedKID < 1 || shiftedStd <= 0 {
		t.Errorf("KID of a shifted set = %g +- %g, want above 1 with a spread", shiftedKID, shiftedStd)
	}
	for name, v := range map[string]float64{"another draw": sameKID, "the same rows": identicalKID} {
		if math.Abs(v) > 0.02*shiftedKID {
			t.Errorf("KID of %s = %g, want near 0 (under 2%% of the shifted set's %g)", name, v, shiftedKID)
		}
	}
}

// Data at 0, 1, 2, 3, 4 with k = 1 (each ball reaches the next point: radius 1). Samples at 0,
// 0.2 and 0.4 (balls of radius 0.2) all lie in the data's balls: precision 1; only the data
// point 0 lies in theirs: recall 1/5. Samples at 0.5, 2.2, 3.9 and 10: the outlier 10 is in no
// data ball (precision 3/4); its own ball (radius 6.1, to 3.9) takes in the data point 4, and
// the others cover 0 to 3: recall 1. With k = 2 the data's balls have radius 2 at the ends (0, 4)
// and 1 inside; samples at 5.5, 2.5 and 7: 7 is 3 from 4, outside (precision 2/3); their own
// balls (radii 3, 4.5, 4.5) cover every data point (recall 1).
func TestPrecisionRecallByHand(t *testing.T) {
	data := rows1(0, 1, 2, 3, 4)
	for _, tc := range []struct {
		name              string
		samples           Features
		k                 int
		precision, recall float64
	}{
		{"collapsed near 0", rows1(0, 0.2, 0.4), 1, 1, 0.2},
		{"spread with an outlier", rows1(0.5, 10, 2.2, 3.9), 1, 0.75, 1},
		{"the data itself", data, 1, 1, 1},
		{"second neighbour", rows1(5.5, 2.5, 7), 2, 2.0 / 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r, err := PrecisionRecall(data, tc.samples, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if !near(p, tc.precision, 1e-12) || !near(r, tc.recall, 1e-12) {
				t.Errorf("PrecisionRecall = %g, %g, want %g, %g", p, r, tc.precision, tc.recall)
			}
		})
	}
}

// A generator that repeats one data point: far worse Fréchet distance, kernel distance and recall
// than a second draw of the data (the floor a perfect generator reaches), though its precision
// stays perfect.
func TestCollapsedGeneratorIsFarWorseThanData(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	mean := []float64{1, -1, 0.5}
	train := gaussianRows(rng, 500, mean, 1)
	test := gaussianRows(rng, 500, mean, 1)
	collapsed := Features{Rows: make([][]float64, 500)}
	for i := range collapsed.Rows {
		collapsed.Rows[i] = train.Rows[0]
	}
	opts := KIDOptions{Subsets: 4, SubsetSize: 250, Seed: 7}
	measure := func(samples Features) (fd, kid, precision, recall float64) {
		var err error
		if fd, err = Frechet(samples, test); err != nil {
			t.Fatal(err)
		}
		if kid, _, err = KID(samples, test, opts); err != nil {
			t.Fatal(err)
		}
		if precision, recall, err = PrecisionRecall(test, samples, 3); err != nil {
			t.Fatal(err)
		}
		return
	}
	floorFD, floorKID, floorP, floorR := measure(train)
	fd, kid, p, r := measure(collapsed)
	t.Logf("floor: FD %.3f KID %.4f P %.2f R %.2f; collapsed: FD %.3f KID %.4f P %.2f R %.2f", floorFD, floorKID, floorP, floorR, fd, kid, p, r)
	if fd < 10*floorFD || fd < 2 {
		t.Errorf("collapsed Fréchet distance %g, want far above the floor %g (about the trace 3)", fd, floorFD)
	}
	if kid < 10*math.Abs(floorKID) {
		t.Errorf("collapsed kernel distance %g, want far above the floor %g", kid, floorKID)
	}
	if r > 0.05 || floorR < 0.8 {
		t.Errorf("recall: collapsed %g, data %g; want under 0.05 and over 0.8", r, floorR)
	}
	if floorP < 0.8 {
		t.Errorf("precision of the data %g, want over 0.8", floorP)
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		values    []float64
		mean, std float64
	}{
		{[]float64{1, 2, 3}, 2, 1},
		{[]float64{4}, 4, 0},
		{[]float64{2, 2, 2, 6}, 3, 2},
	} {
		m, s := Summarize(tc.values)
		if !near(m, tc.mean, 1e-12) || !near(s, tc.std, 1e-12) {
			t.Errorf("Summarize(%v) = %g, %g, want %g, %g", tc.values, m, s, tc.mean, tc.std)
		}
	}
}

// Bad input gets one line naming the value and what was expected.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"one row", func() error { _, err := Frechet(rows1(1), rows1(1, 2)); return err }, "1 feature rows, expected at least 2"},
		{"ragged", func() error {
			_, err := Frechet(Features{Rows: [][]float64{{1, 2}, {3}}}, rows1(1, 2))
			return err
		}, "row 1 has 1 features, expected 2"},
		{"NaN", func() error { _, err := Frechet(rows1(1, math.NaN()), rows1(1, 2)); return err }, "row 1 feature 0 is NaN"},
		{"dimensions", func() error {
			_, _, err := KID(rows1(1, 2), Features{Rows: [][]float64{{1, 2}, {3, 4}}}, KIDOptions{})
			return err
		}, "dimension 1 and 2"},
		{"k", func() error { _, _, err := PrecisionRecall(rows1(1, 2), rows1(1, 2), 0); return err }, "k = 0 neighbours"},
		{"too few for k", func() error { _, _, err := PrecisionRecall(rows1(1, 2), rows1(1, 2, 3), 3); return err }, "2 feature rows, expected at least 4"},
	} {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.name, err, tc.want)
		}
	}
}
