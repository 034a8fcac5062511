package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The page's distance table shows a record's measures with their spread and floor, and names
// the generative records without them.
func TestDistancesSection(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, m Metrics) {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeJSON(filepath.Join(dir, name, MetricsFile), m); err != nil {
			t.Fatal(err)
		}
	}
	d := &SampleDistances{Samples: 2000, Sets: 3, Frechet: Spread{61.926, 0.533}, Kernel: Spread{12.2279, 0.1448},
		Precision: Spread{0.847, 0.0026}, Recall: Spread{0.6083, 0.0125}}
	d.Floor.Frechet, d.Floor.Kernel, d.Floor.Precision, d.Floor.Recall = 24.0126, 2.6556, 0.842, 0.851
	write("mnist-mlp-vae", Metrics{Experiment: "mnist-mlp-vae", SampleDistances: d})
	write("mnist-dcgan", Metrics{Experiment: "mnist-dcgan", Extra: map[string]float64{"sample_score_classes": 5.5}})
	got, err := distancesSection(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| mnist-mlp-vae | 3 x 2,000 | 61.93 ± 0.53 | 12.23 ± 0.14 | 0.847 ± 0.003 | 0.608 ± 0.013 | 24.01, 2.66, 0.842, 0.851 |\n",
		"Not measured (recorded before the distances were; their re-runs are pending): mnist-dcgan.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the section lacks %q; it is:\n%s", want, got)
		}
	}
}
