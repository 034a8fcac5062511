package experiments

import (
	"strings"
	"testing"
)

// The floor row is written once per floor as printed: records made by different code hold the
// same floor with float32 differences in the last digits (24.012625540843487 and
// 24.01262629467442 in mnist-keras-vae's and mnist-dcgan's), and print it once; a floor of
// another size, or one that differs where printed, gets its own row. No runs is refused.
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
		{"last digits", []*Finished{run("a", 2000, 24.012625540843487), run("b", 2000, 24.01262629467442)}, 1, []string{"24.0"}},
		{"differs where printed", []*Finished{run("a", 2000, 24.01), run("b", 2000, 24.3)}, 2, []string{"24.0", "24.3"}},
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

// A run recorded before the distances were measured shows a dash in each distance column, beside
// a run that has them.
func TestWriteSampleMeasuresWithoutDistances(t *testing.T) {
	d := &SampleDistances{Samples: 2000, Sets: 3, Frechet: Spread{Mean: 61.93}, Kernel: Spread{Mean: 12.23},
		Precision: Spread{Mean: 0.847}, Recall: Spread{Mean: 0.608}}
	measured := &Finished{Metrics: Metrics{Experiment: "measured", Epochs: 20, SampleDistances: d}}
	older := &Finished{Metrics: Metrics{Experiment: "older", Epochs: 30, Extra: map[string]float64{"sample_score_classes": 5.5}}}
	var b strings.Builder
	if err := WriteSampleMeasures(&b, measured, older); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"61.9     12.23   0.847      0.608", "5.50   -        -       -          -"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// Runs trained on their test split are named once under the table, however many rows they have.
func TestWriteSampleMeasuresNamesEachSeenRunOnce(t *testing.T) {
	seen := func(name string, epochs int) *Finished {
		return &Finished{Metrics: Metrics{Experiment: name, Epochs: epochs}, TestSeen: true}
	}
	var b strings.Builder
	if err := WriteSampleMeasures(&b, seen("a", 5), seen("b", 5), seen("a", 30), &Finished{Metrics: Metrics{Experiment: "c"}}); err != nil {
		t.Fatal(err)
	}
	const want = "† trained on the test split's images too (a, b): distances to their test images are to images they trained on, not held out.\n"
	if !strings.HasSuffix(b.String(), want) || strings.Count(b.String(), "†") != 4 {
		t.Errorf("got\n%s\nwant three marked rows and the line\n%s", b.String(), want)
	}
}

// A record is marked however its folder is written; a folder named records elsewhere is not one.
func TestIsRecordDir(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want bool
	}{
		{"../docs/records/mnist-mlp-vae", true},
		{"../docs/records/mnist-mlp-vae/", true},
		{"/work/vaekit/docs/records/x", true},
		{"/tmp/records/mnist-mlp-vae", false},
		{"../docs/records", false},
		{"runs/mnist-mlp-vae", false},
	} {
		if got := isRecordDir(tc.dir); got != tc.want {
			t.Errorf("isRecordDir(%q) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}
