package experiments

import (
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/vaekit/vaekit/vaekit/history"
)

// Timings over invocations, worked out by hand.
func TestMetricsTimingsOverInvocations(t *testing.T) {
	historyOf := func(epochs int) *history.History {
		return &history.History{Terms: []string{"loss"}, Rows: []history.Row{{Epoch: epochs, Split: "train", Values: []float64{1}}}}
	}
	tests := []struct {
		name                  string
		epochs, trainedNow    int
		wall, fit             float64
		prev                  *Metrics
		wantPerEpoch, wantAll float64
		wantEstimated         bool
		wantUnknown           bool
	}{
		{"new run", 20, 20, 100, 100, nil, 5, 100, false, false},
		{"finished run rerun", 20, 0, 3, 3, &Metrics{Epochs: 20, SecondsPerEpoch: 5, WallSeconds: 100}, 5, 103, false, false},
		// Interrupted after 16 epochs before writing metrics; this invocation trained 4 in 20 s:
		// the 16 are counted at 5 s each.
		{"resumed after an interruption", 20, 4, 20, 20, nil, 5, 100, true, false},
		{"continued to more epochs", 30, 10, 60, 60, &Metrics{Epochs: 20, SecondsPerEpoch: 5, WallSeconds: 100}, 6, 160, false, false},
		// A finished 20-epoch run, then an interrupted invocation (epochs 21-25), then this one
		// (26-30 in 30 s): the 5 lost epochs at 6 s.
		{"interruption after a finished run", 30, 5, 30, 30, &Metrics{Epochs: 20, SecondsPerEpoch: 5, WallSeconds: 100}, 6, 160, true, false},
		// All 50 epochs trained by an invocation that stopped before writing metrics; this
		// one only evaluated (2 s): nothing to time the epochs by.
		// A code prior trained after the model: 60 s of the 100 s were the VQ-VAE's 20 epochs.
		{"code prior after the model", 20, 20, 100, 60, nil, 3, 100, false, false},
		{"every epoch trained by an interrupted invocation", 50, 0, 2, 2, nil, 0, 2, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(Experiment{Name: "x"}, historyOf(tt.epochs), "go", tt.wall, tt.fit, tt.trainedNow, tt.prev)
			if m.SecondsPerEpoch != tt.wantPerEpoch || m.WallSeconds != tt.wantAll || m.WallEstimated != tt.wantEstimated || m.WallUnknown != tt.wantUnknown {
				t.Errorf("seconds per epoch %g, wall %g, estimated %v, unknown %v; want %g, %g, %v, %v",
					m.SecondsPerEpoch, m.WallSeconds, m.WallEstimated, m.WallUnknown, tt.wantPerEpoch, tt.wantAll, tt.wantEstimated, tt.wantUnknown)
			}
		})
	}
}

// The wall time of a run: the sum of its training segments where they (and a code prior's)
// account for every step; else as metrics.json has it, "about" where that is an estimate.
func TestWallCell(t *testing.T) {
	timed := func(first, last int, seconds float64) Segment {
		s := segment(first, last)
		s.Seconds = seconds
		return s
	}
	dirWith := func(run, prior []Segment) string {
		dir := t.TempDir()
		if run != nil {
			if err := writeJSON(filepath.Join(dir, SegmentsFile), run); err != nil {
				t.Fatal(err)
			}
		}
		if prior != nil {
			if err := os.MkdirAll(filepath.Join(dir, codePriorDir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := writeJSON(filepath.Join(dir, codePriorDir, SegmentsFile), prior); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// mnist-keras-vae's record: killed after step 910, its estimate 2,592.7 s against segments
	// of 143.147 and 2,506.257 s (44m9.404s).
	keras := []Segment{timed(1, 910, 143.147), timed(911, 16380, 2506.257)}
	estimated := Metrics{WallSeconds: 2592.72, WallEstimated: true}
	tests := []struct {
		name    string
		metrics Metrics
		dir     string
		want    string
	}{
		{"timed", Metrics{WallSeconds: 7727.9}, "", "2h8m47s"},
		{"estimated", Metrics{WallSeconds: 100, WallEstimated: true}, "", "about 2m"},
		{"estimated, hours", Metrics{WallSeconds: 8765.0, WallEstimated: true}, "", "about 2h26m"},
		{"estimated, rounded up", Metrics{WallSeconds: 3651, WallEstimated: true}, "", "about 1h1m"},
		{"estimated, rounded to the hour", Metrics{WallSeconds: 3570, WallEstimated: true}, "", "about 1h0m"},
		{"estimated, seconds", Metrics{WallSeconds: 42, WallEstimated: true}, "", "about 42s"},
		{"unknown", Metrics{WallSeconds: 0.1, WallUnknown: true}, "", "not timed"},
		{"estimated, segments cover every step", estimated, dirWith(keras, nil), "44m9s"},
		{"unknown, segments cover every step", Metrics{WallSeconds: 0.1, WallUnknown: true}, dirWith(keras, nil), "44m9s"},
		{"estimated, a gap in the segments", estimated, dirWith([]Segment{timed(1, 900, 143), timed(911, 16380, 2506)}, nil), "about 43m"},
		{"timed, and segments: the segments' sum", Metrics{WallSeconds: 2700}, dirWith(keras, nil), "44m9s"},
		{"code prior's segments added", estimated, dirWith(keras, []Segment{timed(1, 100, 60)}), "45m9s"},
		{"code prior without segments", estimated, dirWith(keras, []Segment{}), "about 43m"},
	}
	for _, tt := range tests {
		if got := wallCell(tt.metrics, tt.dir); got != tt.want {
			t.Errorf("%s: wallCell(%+v) = %q, want %q", tt.name, tt.metrics, got, tt.want)
		}
	}
}

// The manifest names the code that trained: the commit and GOEXPERIMENT stamped into the
// binary, else the environment's GOEXPERIMENT and the HEAD at the finish, under its own name.
func TestBuildFacts(t *testing.T) {
	const rev = "c8a796e0000000000000000000000000000000aa"
	head := func() string { return "4242" }
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		env      string
		head     func() string
		want     map[string]any
	}{
		{"stamped binary", []debug.BuildSetting{{Key: "GOEXPERIMENT", Value: "simd"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.modified", Value: "false"}}, "", head,
			map[string]any{"goexperiment": "simd", "git_commit": rev}},
		{"stamped from a changed tree", []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}},
			"simd", head, map[string]any{"goexperiment": "simd", "git_commit": rev + " with uncommitted changes"}},
		{"no stamp (go run, a notebook)", nil, "simd", head, map[string]any{"goexperiment": "simd", "git_head_at_finish": "4242"}},
		{"no stamp, no repository", nil, "", func() string { return "" }, map[string]any{"goexperiment": ""}},
	}
	for _, tt := range tests {
		if got := buildFacts(tt.settings, tt.env, tt.head); !maps.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
