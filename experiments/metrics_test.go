package experiments

import (
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// Timings over invocations, worked out by hand.
func TestMetricsTimingsOverInvocations(t *testing.T) {
	historyOf := func(epochs int) *vaekit.History {
		return &vaekit.History{Terms: []string{"loss"}, Rows: []vaekit.HistoryRow{{Epoch: epochs, Split: "train", Values: []float64{1}}}}
	}
	tests := []struct {
		name                  string
		epochs, trainedNow    int
		wall                  float64
		prev                  *Metrics
		wantPerEpoch, wantAll float64
		wantEstimated         bool
	}{
		{"new run", 20, 20, 100, nil, 5, 100, false},
		{"finished run rerun", 20, 0, 3, &Metrics{Epochs: 20, SecondsPerEpo: 5, WallSeconds: 100}, 5, 103, false},
		// Interrupted after 16 epochs before writing metrics; this invocation trained 4 in 20 s:
		// the 16 are counted at 5 s each.
		{"resumed after an interruption", 20, 4, 20, nil, 5, 100, true},
		{"continued to more epochs", 30, 10, 60, &Metrics{Epochs: 20, SecondsPerEpo: 5, WallSeconds: 100}, 6, 160, false},
		// A finished 20-epoch run, then an interrupted invocation (epochs 21-25), then this one
		// (26-30 in 30 s): the 5 lost epochs at 6 s.
		{"interruption after a finished run", 30, 5, 30, &Metrics{Epochs: 20, SecondsPerEpo: 5, WallSeconds: 100}, 6, 160, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(Experiment{Name: "x"}, historyOf(tt.epochs), "go", tt.wall, tt.trainedNow, tt.prev)
			if m.SecondsPerEpo != tt.wantPerEpoch || m.WallSeconds != tt.wantAll || m.WallEstimated != tt.wantEstimated {
				t.Errorf("seconds per epoch %g, wall %g, estimated %v; want %g, %g, %v",
					m.SecondsPerEpo, m.WallSeconds, m.WallEstimated, tt.wantPerEpoch, tt.wantAll, tt.wantEstimated)
			}
		})
	}
}
