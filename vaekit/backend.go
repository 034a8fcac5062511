package vaekit

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// BackendEnv is the environment variable GoMLX reads to choose a backend ("go", "xla:cpu",
// "xla:cuda", "xla:/path/to/plugin.so").
const BackendEnv = "GOMLX_BACKEND"

// xlaPluginsOnDisk is set by backend_xla.go when XLA support is compiled in: it lists the PJRT
// plugins already installed (it never downloads).
var xlaPluginsOnDisk func() []string

// onnxLinked is set by backend_onnx.go when the ONNX Runtime backend is compiled in.
var onnxLinked bool

// NewBackend chooses the backend: GOMLX_BACKEND if set; else XLA when a PJRT plugin is already
// on disk; else the pure-Go backend. It never downloads anything: the XLA auto-installer is not
// linked into vaekit, and GOMLX_NO_AUTO_INSTALL is set for any library that would try.
// It returns the backend and a one-line description of it and of the SIMD kernels.
func NewBackend() (backend compute.Backend, description string, err error) {
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	defer func() {
		// compute.NewWithConfig panics on an unknown backend name.
		if r := recover(); r != nil {
			backend, description, err = nil, "", fmt.Errorf("%s=%q: %v (set %s=go for the pure-Go backend)", BackendEnv, os.Getenv(BackendEnv), r, BackendEnv)
		}
	}()
	config := os.Getenv(BackendEnv)
	if config == "" {
		if xlaPluginsOnDisk != nil && len(xlaPluginsOnDisk()) > 0 {
			config = "xla"
		} else {
			config = "go"
		}
	}
	if config == "go" || strings.HasPrefix(config, "go:") {
		b, err := newGoBackend(GoBackendConfig(strings.TrimPrefix(strings.TrimPrefix(config, "go"), ":")))
		if err != nil {
			return nil, "", fmt.Errorf("backend %q: %w", config, err)
		}
		return b, describe(b, config), nil
	}
	if strings.HasPrefix(config, "xla") && xlaPluginsOnDisk == nil {
		return nil, "", fmt.Errorf("%s=%q: this binary was built without XLA (build tag noxla, or no cgo); use %s=go", BackendEnv, config, BackendEnv)
	}
	if strings.HasPrefix(config, "onnx") && !onnxLinked {
		return nil, "", fmt.Errorf("%s=%q: this binary was built without ONNX Runtime (build tag noonnx, or no cgo); use %s=go", BackendEnv, config, BackendEnv)
	}
	b, err := compute.NewWithConfig(config)
	if err != nil {
		if strings.HasPrefix(config, "onnx") {
			return nil, "", fmt.Errorf("%s=%q: %w (`make onnxruntime` installs ONNX Runtime's library from npm; or set %s=go for the pure-Go backend)", BackendEnv, config, err, BackendEnv)
		}
		return nil, "", fmt.Errorf("%s=%q: %w (set %s=go for the pure-Go backend)", BackendEnv, config, err, BackendEnv)
	}
	return VariablesAsParameters(b), describe(b, config), nil
}

// GoBackend is the pure-Go backend with GoBackendConfig(""), created once. Use it instead of
// gobackend.GetBackend, whose default configuration can hang (see GoBackendConfig).
var GoBackend = sync.OnceValue(func() compute.Backend {
	b, err := newGoBackend(GoBackendConfig(""))
	if err != nil {
		panic(err)
	}
	return b
})

// GoBackendConfig adds "parallelism=-1" to a pure-Go backend configuration unless it sets the
// parallelism itself. Why: in github.com/gomlx/compute v0.1.6 the backend runs independent ops
// in parallel, each holding a slot of a worker pool of 2 x GOMAXPROCS slots, and a matrix
// product asks the same pool for more workers (workerspool.Pool.Saturate) without giving its
// own slot up. On two cores, four independent matrix products of one gradient fill the four
// slots and wait for each other forever (seen here: training hung after a few dozen steps).
// With no limit on the pool, no op waits for a slot, each matrix product still fans out to
// GOMAXPROCS workers, and the training step is as fast (measured: conv VAE 370 ms, MLP VAE
// 51 ms per step, against 602 and 105 ms with "ops_sequential").
func GoBackendConfig(config string) string {
	if strings.Contains(config, "parallelism") {
		return config
	}
	if config == "" {
		return "parallelism=-1"
	}
	return config + ",parallelism=-1"
}

// newGoBackend creates a pure-Go backend, wrapped by VariablesAsParameters (since compute v0.1.14
// the pure-Go backend, like ONNX Runtime, asks for variables as constants). gobackend.New prints a line to standard output when
// the parallelism is set; it is swallowed, so that notebooks and logs show only vaekit's own
// description of the backend.
func newGoBackend(config string) (compute.Backend, error) {
	stdout := os.Stdout
	if devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = devNull
		defer func() { os.Stdout = stdout; devNull.Close() }()
	}
	b, err := gobackend.New(config)
	if err != nil {
		return nil, err
	}
	return VariablesAsParameters(b), nil
}

func describe(b compute.Backend, config string) string {
	d := fmt.Sprintf("%s (%s=%q)", b.Name(), BackendEnv, config)
	if strings.HasPrefix(config, "go") {
		d += ", SIMD matmul " + SIMDStatus()
	}
	return d
}
