package experiments

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/backends"
)

// Segment is what one process contributed to a run's training: the steps from FirstStep to
// LastStep (counted from the run's start; the last one its newest checkpoint saved, so the next
// process starts at LastStep + 1), from Start to End.
type Segment struct {
	FirstStep int     `json:"first_step"`
	LastStep  int     `json:"last_step"`
	Start     string  `json:"start"`
	End       string  `json:"end"`
	Seconds   float64 `json:"seconds"`
	// Build is the commit the binary was built from (with "with uncommitted changes" when the
	// tree was dirty) or, unstamped, the HEAD at the time, and GOEXPERIMENT (buildFacts).
	Build   map[string]any    `json:"build"`
	Go      string            `json:"go"`
	Modules map[string]string `json:"modules"`
	Backend string            `json:"backend"`
	// ONNXRuntime is the SHA-256 and path of the ONNX Runtime library, when the backend is it.
	ONNXRuntime string `json:"onnxruntime,omitempty"`
	CPU         string `json:"cpu"`
	Cores       int    `json:"cores"`
	// Data holds the SHA-256 of each IDX file's content, as verified when the data was read.
	Data    map[string]string `json:"data_sha256"`
	Command string            `json:"command"`
}

// segmentRecorder keeps the segment of this process in a run directory's segments.json: it
// starts when the training loop reports where it resumes ("resume N") and is written, with the
// segments of earlier processes, after every checkpoint this process saves ("saved N").
type segmentRecorder struct {
	dir     string
	earlier []Segment // the segments of earlier processes, read when this one resumes
	current *Segment
	start   time.Time
	err     error
}

// newSegmentRecorder prepares the segment of a fit into dir on the given backend and data.
func newSegmentRecorder(dir, backend string, data datasets.Name) *segmentRecorder {
	seg := &Segment{Build: buildFactsOfThisBinary(), Go: runtime.Version(), Modules: moduleVersions(), Backend: backend,
		CPU: cpuModel(), Cores: runtime.NumCPU(), Data: dataChecksums(data), Command: strings.Join(os.Args, " ")}
	if strings.HasPrefix(backend, "onnx") {
		seg.ONNXRuntime = onnxRuntimeIdentity()
	}
	return &segmentRecorder{dir: dir, current: seg}
}

// event takes the training loop's trace events (training.FitOptions.Trace).
func (r *segmentRecorder) event(event string) {
	var n int
	switch {
	case strings.HasPrefix(event, "resume "):
		if _, err := fmt.Sscanf(event, "resume %d", &n); err == nil {
			r.current.FirstStep, r.current.LastStep = n+1, n
			r.start = time.Now()
			r.current.Start = r.start.UTC().Format(time.RFC3339Nano)
			if r.earlier, err = ReadSegments(r.dir); err != nil && r.err == nil {
				r.err = err
			}
		}
	case strings.HasPrefix(event, "saved "):
		if _, err := fmt.Sscanf(event, "saved %d", &n); err == nil && n >= r.current.FirstStep {
			r.current.LastStep = n
			now := time.Now()
			r.current.End = now.UTC().Format(time.RFC3339Nano)
			r.current.Seconds = now.Sub(r.start).Seconds()
			if err := r.write(); err != nil && r.err == nil {
				r.err = err
			}
		}
	}
}

// write replaces this process's segment in the directory's list (the earlier processes' stay).
func (r *segmentRecorder) write() error {
	var kept []Segment
	for _, s := range r.earlier {
		// A segment this process's steps overlap was cut short by a kill after its last
		// checkpoint; those steps are this process's now (it trained them again).
		if s.FirstStep < r.current.FirstStep {
			s.LastStep = min(s.LastStep, r.current.FirstStep-1)
			kept = append(kept, s)
		}
	}
	return writeJSON(filepath.Join(r.dir, SegmentsFile), append(kept, *r.current))
}

// ReadSegments returns the training segments of a run directory (none if it has no file).
func ReadSegments(dir string) ([]Segment, error) {
	data, err := os.ReadFile(filepath.Join(dir, SegmentsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var segs []Segment
	if err := json.Unmarshal(data, &segs); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SegmentsFile), err)
	}
	return segs, nil
}

// CheckSegments returns an error unless the segments cover the steps 1 to steps, each once, in
// order, and each names its build, backend, machine and data.
func CheckSegments(segs []Segment, steps int) error {
	next := 1
	for i, s := range segs {
		if s.FirstStep != next || s.LastStep < s.FirstStep {
			return fmt.Errorf("segment %d trains steps %d to %d, expected it to start at step %d", i+1, s.FirstStep, s.LastStep, next)
		}
		if len(s.Build) == 0 || s.Backend == "" || s.CPU == "" || s.Cores == 0 || len(s.Data) == 0 || s.Go == "" {
			return fmt.Errorf("segment %d (steps %d to %d) lacks its build, backend, CPU or data checksums", i+1, s.FirstStep, s.LastStep)
		}
		if strings.HasPrefix(s.Backend, "onnx") && s.ONNXRuntime == "" {
			return fmt.Errorf("segment %d (steps %d to %d) ran on ONNX Runtime without naming its library", i+1, s.FirstStep, s.LastStep)
		}
		next = s.LastStep + 1
	}
	if next != steps+1 {
		return fmt.Errorf("the segments cover steps 1 to %d, expected 1 to %d", next-1, steps)
	}
	return nil
}

// cpuModel is the processor's model name (Linux: /proc/cpuinfo), else the architecture.
var cpuModel = sync.OnceValue(func() string {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
})

// onnxRuntimeIdentity is the SHA-256 and path of the ONNX Runtime library the backend loads.
var onnxRuntimeIdentity = sync.OnceValue(func() string {
	path := backends.ONNXRuntimeLibrary()
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return path
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return path
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)) + " " + path
})

// dataChecksums are the registered data set's file checksums (none for an unknown name).
func dataChecksums(name datasets.Name) map[string]string {
	d, _ := datasets.Describe(name)
	return d.Checksums
}
