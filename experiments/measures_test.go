package experiments

import (
	"strings"
	"testing"
)

// The floor row is written once per distinct sample size, and no runs is refused.
func TestWriteSampleMeasuresFloors(t *testing.T) {
	run := func(name string, samples int, floorFrechet float64) *Finished {
		d := &SampleDistances{Samples: samples, Sets: 3, Frechet: Spread{Mean: 50}}
		d.Floor.Frechet = floorFrechet
		return &Finished{Metrics: Metrics{Experiment: name, Epochs: 1, SampleDistances: d}}
	}
	for _, tc := range []struct {
		name       string
		runs       []*Finished
		wantFloors int
		floors     []string
	}{
		{"one size", []*Finished{run("a", 2000, 24), run("b", 2000, 24)}, 1, []string{"2,000 training images  -       -           -                     -      24.0"}},
		{"two sizes", []*Finished{run("a", 2000, 24), run("b", 500, 31.5)}, 2, []string{"2,000 training images", "500 training images", "31.5"}},
	} {
		var b strings.Builder
		if err := WriteSampleMeasures(&b, tc.runs...); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(b.String(), "training images"); got != tc.wantFloors {
			t.Errorf("%s: %d floor rows, want one per size:\n%s", tc.name, got, b.String())
		}
		for _, want := range tc.floors {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s: no %q in\n%s", tc.name, want, b.String())
			}
		}
	}
	if err := WriteSampleMeasures(new(strings.Builder)); err == nil || !strings.Contains(err.Error(), "no runs") {
		t.Errorf("no runs: got %v, want an error saying so", err)
	}
}
