package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/training"
)

// segment is a complete segment of the given steps.
func segment(first, last int) Segment {
	return Segment{FirstStep: first, LastStep: last, Build: map[string]any{"git_commit": "abc"}, Go: "go1.27.3", Backend: "go",
		CPU: "cpu", Cores: 2, Data: map[string]string{"f": "0"}}
}

func TestCheckSegments(t *testing.T) {
	onnx := segment(1, 10)
	onnx.Backend = "onnxruntime"
	noData := segment(1, 10)
	noData.Data = nil
	for _, tc := range []struct {
		name  string
		segs  []Segment
		steps int
		want  string // "" for no error
	}{
		{"one", []Segment{segment(1, 10)}, 10, ""},
		{"three", []Segment{segment(1, 4), segment(5, 5), segment(6, 10)}, 10, ""},
		{"gap", []Segment{segment(1, 4), segment(6, 10)}, 10, "segment 2 trains steps 6 to 10, expected it to start at step 5"},
		{"overlap", []Segment{segment(1, 4), segment(4, 10)}, 10, "expected it to start at step 5"},
		{"short", []Segment{segment(1, 4)}, 10, "cover steps 1 to 4, expected 1 to 10"},
		{"none", nil, 10, "cover steps 1 to 0"},
		{"no data checksums", []Segment{noData}, 10, "lacks its build, backend, CPU or data checksums"},
		{"ONNX Runtime unnamed", []Segment{onnx}, 10, "without naming its library"},
	} {
		err := CheckSegments(tc.segs, tc.steps)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: CheckSegments = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A process's segment replaces its own earlier writes and cuts short an earlier process's
// segment whose last steps it trained again (a kill after that process's last checkpoint, or a
// truncated checkpoint set aside).
func TestSegmentRecorderKeepsEarlierProcesses(t *testing.T) {
	dir := t.TempDir()
	first := newSegmentRecorder(dir, "go", "mnist")
	first.event("resume 0")
	for _, e := range []string{"saved 3", "saved 6"} {
		first.event(e)
	}
	second := newSegmentRecorder(dir, "go", "mnist")
	second.event("resume 3") // the checkpoint of step 6 was broken: resumed from the one of step 3
	second.event("saved 9")
	third := newSegmentRecorder(dir, "go", "mnist")
	third.event("resume 9")
	third.event("saved 12")
	for _, r := range []*segmentRecorder{first, second, third} {
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	segs, err := ReadSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for _, s := range segs {
		got = append(got, [2]int{s.FirstStep, s.LastStep})
	}
	want := [][2]int{{1, 3}, {4, 9}, {10, 12}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("segments %v, want %v", got, want)
	}
	if err := CheckSegments(segs, 12); err != nil {
		t.Error(err)
	}
}

// The results page names the builds that trained a record from its segments, in training
// order, each once; a record without segments.json says its provenance is unknown.
func TestTrainedBy(t *testing.T) {
	tests := []struct {
		name   string
		builds []map[string]any // nil: no segments.json
		want   string
	}{
		{"no segments", nil, "unknown (no segments.json)"},
		{"one stamped build", []map[string]any{{"git_commit": "d720c89a26620846bc75ce59a3d620d29638dbac"}}, "d720c89"},
		{"resumed by two builds, one dirty", []map[string]any{{"git_commit": "aaaaaaa1111"}, {"git_commit": "aaaaaaa1111"},
			{"git_commit": "bbbbbbb2222 with uncommitted changes"}}, "aaaaaaa, bbbbbbb (with uncommitted changes)"},
		{"unstamped", []map[string]any{{"git_head_at_finish": "ccccccc3333"}}, "unstamped, HEAD ccccccc"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if tt.builds != nil {
			var segs []Segment
			for _, b := range tt.builds {
				segs = append(segs, Segment{Build: b})
			}
			data, err := json.Marshal(segs)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, SegmentsFile), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := trainedBy(dir); err != nil || got != tt.want {
			t.Errorf("%s: trainedBy = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// awaitingRerun are the committed records trained before segments.json existed: their re-runs
// (docs/RESULTS.md names them) replace them. Each must still lack segments, so that a re-run
// recorded without taking it off this list fails here.
var awaitingRerun = map[string]bool{}

// Every committed record says what trained it: segments that cover each of its steps (epochs
// times the steps of an epoch of its data set and batch size), each naming its build, backend,
// machine and data (CheckSegments), and the same for its code prior.
func TestEveryRecordNamesWhatTrainedIt(t *testing.T) {
	records, err := filepath.Glob(filepath.Join("..", DefaultRecordsDir, "*", MetricsFile))
	if err != nil || len(records) == 0 {
		t.Fatalf("no records under %s (%v)", DefaultRecordsDir, err)
	}
	for _, metricsFile := range records {
		dir := filepath.Dir(metricsFile)
		name := filepath.Base(dir)
		segs, err := ReadSegments(dir)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if awaitingRerun[name] {
			if segs != nil {
				t.Errorf("%s has segments now: take it off awaitingRerun", name)
			}
			continue
		}
		f, err := ReadFinished(dir)
		if err != nil {
			t.Fatal(err)
		}
		images := trainingImages(t, name)
		params, err := readParams(dir)
		if err != nil {
			t.Fatal(err)
		}
		batch, ok := params["/"+training.ParamBatchSize].(float64) // the store's names, from the root scope
		if !ok || batch < 1 {
			t.Fatalf("%s: params.json's /%s = %v", name, training.ParamBatchSize, params["/"+training.ParamBatchSize])
		}
		if err := CheckSegments(segs, f.Metrics.Epochs*(images/int(batch))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		prior := filepath.Join(dir, codePriorDir)
		if _, err := os.Stat(prior); err != nil {
			continue
		}
		h, err := history.Read(filepath.Join(prior, history.File))
		if err != nil {
			t.Fatal(err)
		}
		segs, err = ReadSegments(prior)
		if err != nil || len(segs) == 0 {
			t.Errorf("%s's code prior: no segments (%v)", name, err)
			continue
		}
		steps := segs[len(segs)-1].LastStep
		if err := CheckSegments(segs, steps); err != nil || steps%h.Epochs() != 0 {
			t.Errorf("%s's code prior: %d steps in %d epochs: %v", name, steps, h.Epochs(), err)
		}
	}
}

// trainingImages is the number of images a recipe trains on: its data set's training split, and
// its test split too where the recipe trains on all images.
func trainingImages(t *testing.T, name string) int {
	t.Helper()
	exp, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	data, err := datasets.Describe(exp.Data)
	if err != nil {
		t.Fatal(err)
	}
	images := data.Images[datasets.Train]
	if exp.TrainOnAll {
		images += data.Images[datasets.Test]
	}
	return images
}
