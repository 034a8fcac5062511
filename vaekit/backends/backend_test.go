package backends

import (
	"strings"
	"testing"
)

func TestNewBackendChoice(t *testing.T) {
	tests := []struct {
		env      string
		wantName string
		wantErr  string
	}{
		{"go", "Go Backend", ""},
		{"go:ops_sequential", "Go Backend", ""},
		{"bogus", "", `GOMLX_BACKEND="bogus": can't find backend "bogus"`},
		{"go:no_such_option", "", `unknown configuration option "no_such_option"`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(Env, tt.env)
			b, desc, err := New()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != tt.wantName || !strings.Contains(desc, "SIMD matmul") {
				t.Errorf("New() = %q, %q", b.Name(), desc)
			}
		})
	}
}

func TestGoBackendConfigAvoidsTheWorkerPoolDeadlock(t *testing.T) {
	tests := map[string]string{
		"":                 "parallelism=-1",
		"ops_sequential":   "ops_sequential,parallelism=-1",
		"parallelism=8":    "parallelism=8",
		"dependency_order": "dependency_order,parallelism=-1",
	}
	for in, want := range tests {
		if got := GoConfig(in); got != want {
			t.Errorf("GoConfig(%q) = %q, want %q", in, got, want)
		}
	}
}

// Without GOMLX_BACKEND: XLA where a plugin is installed; else MLPs on the pure-Go backend and
// convolutional models on ONNX Runtime where its library is installed (docs/bench.md).
func TestDefaultBackend(t *testing.T) {
	savedXLA, savedONNX, savedLinked := xlaPluginsOnDisk, onnxLibrary, onnxLinked
	defer func() { xlaPluginsOnDisk, onnxLibrary, onnxLinked = savedXLA, savedONNX, savedLinked }()
	tests := []struct {
		name       string
		xla, onnx  string
		workload   Workload
		wantConfig string
	}{
		{"mlp, nothing installed", "", "", Dense, "go"},
		{"conv, nothing installed", "", "", Convolutional, "go"},
		{"mlp, onnx installed", "", "/lib/libonnxruntime.so", Dense, "go"},
		{"conv, onnx installed", "", "/lib/libonnxruntime.so", Convolutional, "onnx:cpu"},
		{"conv, xla plugin", "/lib/pjrt_c_api_cpu_plugin.so", "/lib/libonnxruntime.so", Convolutional, "xla"},
		{"mlp, xla plugin", "/lib/pjrt_c_api_cpu_plugin.so", "", Dense, "xla"},
		{"nll, nothing installed", "", "", LikelihoodEstimate, "go"},
		{"nll, onnx installed", "", "/lib/libonnxruntime.so", LikelihoodEstimate, "onnx:cpu"},
		{"nll, xla plugin", "/lib/pjrt_c_api_cpu_plugin.so", "/lib/libonnxruntime.so", LikelihoodEstimate, "xla"},
	}
	for _, tt := range tests {
		xlaPluginsOnDisk = func() []string {
			if tt.xla == "" {
				return nil
			}
			return []string{tt.xla}
		}
		onnxLibrary = func() string { return tt.onnx }
		onnxLinked = true
		config, reason := defaultBackend(tt.workload)
		if config != tt.wantConfig || !strings.HasPrefix(reason, "default") {
			t.Errorf("%s: defaultBackend = %q (%s), want %q", tt.name, config, reason, tt.wantConfig)
		}
	}
}

// Work whose default backend is of the run's kind stays on the run's backend (the pure-Go
// backend is named "Go Backend", its configuration "go"), and so does all work when
// GOMLX_BACKEND is set.
func TestBackendForWorkKeepsTheRunsBackend(t *testing.T) {
	savedXLA, savedONNX, savedLinked := xlaPluginsOnDisk, onnxLibrary, onnxLinked
	defer func() { xlaPluginsOnDisk, onnxLibrary, onnxLinked = savedXLA, savedONNX, savedLinked }()
	xlaPluginsOnDisk, onnxLibrary = nil, func() string { return "" } // nothing installed
	run := Go()
	t.Setenv(Env, "")
	if b, d, err := ForWork(LikelihoodEstimate, run); err != nil || b != run || d != "" {
		t.Errorf("no ONNX Runtime: ForWork gave %v (%q, %v), want the run's pure-Go backend", b, d, err)
	}
	onnxLibrary, onnxLinked = func() string { return "/lib/libonnxruntime.so" }, true
	t.Setenv(Env, "go")
	if b, _, err := ForWork(LikelihoodEstimate, run); err != nil || b != run {
		t.Errorf("GOMLX_BACKEND=go: ForWork gave %v (%v), want the run's backend", b, err)
	}
}
