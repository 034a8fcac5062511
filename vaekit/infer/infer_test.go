package infer

import (
	"math"
	"testing"
)

// Normal quantiles by hand: the median is 0, and for n = 4 the outer points are the quantiles
// at 1/8 and 7/8, -+1.1503.
func TestNormalQuantiles(t *testing.T) {
	q := NormalQuantiles(4)
	want := []float64{-1.1503, -0.3186, 0.3186, 1.1503}
	for i := range want {
		if math.Abs(q[i]-want[i]) > 1e-4 {
			t.Errorf("NormalQuantiles(4) = %v, want %v", q, want)
			break
		}
	}
	if m := NormalQuantiles(3)[1]; m != 0 {
		t.Errorf("the middle of 3 quantiles is %g, want 0", m)
	}
}
