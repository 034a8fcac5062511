// Package backends chooses and makes the GoMLX backend a model runs on: GOMLX_BACKEND when set
// (Env), else the one installed that suits the model's Workload (For: XLA where a PJRT plugin
// is installed, ONNX Runtime for convolutional models and likelihood estimates, the pure-Go
// backend with its SIMD kernels for MLPs; docs/bench.md). ONNX Runtime's threads are shared
// between the processes of one machine (share.go), and every backend made here passes
// variables to a graph as parameters, never as constants (VariablesAsParameters). The package
// knows nothing of models: it is below every other package of vaekit.
package backends

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// Env is the environment variable GoMLX reads to choose a backend ("go", "xla:cpu",
// "xla:cuda", "xla:/path/to/plugin.so").
const Env = "GOMLX_BACKEND"

// xlaPluginsOnDisk is set by backend_xla.go when XLA support is compiled in: it lists the PJRT
// plugins already installed (it never downloads).
var xlaPluginsOnDisk func() []string

// onnxLinked is set by backend_onnx.go when the ONNX Runtime backend is compiled in.
var onnxLinked bool

// Workload is what a backend will mostly run: which backend is faster differs (docs/bench.md).
type Workload int

const (
	// Convolutional models: conv encoders and decoders, the VQ-VAE, the PixelCNN prior, the
	// classifier.
	Convolutional Workload = iota
	// Dense models: MLP encoders and decoders.
	Dense
	// LikelihoodEstimate is the importance-weighted NLL: a decoder run k times for every test image,
	// whose large matrix products ONNX Runtime runs faster than the pure-Go backend, also for
	// an MLP (docs/bench.md, "Importance-weighted NLL").
	LikelihoodEstimate
)

// onnxLibrary is set by backend_onnx.go: the path of ONNX Runtime's library if it is
// installed where the ONNX backend looks for it ("" if not).
var onnxLibrary func() string

// ONNXRuntimeLibrary returns the path of the ONNX Runtime library the ONNX Runtime backend
// loads ("" when the backend is not compiled in or no library is installed), so that a run's
// record can name, and checksum, the library that computed it.
func ONNXRuntimeLibrary() string {
	if !onnxLinked || onnxLibrary == nil {
		return ""
	}
	return onnxLibrary()
}

// New is For(Convolutional).
func New() (backend compute.Backend, description string, err error) {
	return For(Convolutional)
}

// For chooses the backend: GOMLX_BACKEND if set; else XLA when a PJRT plugin is
// already on disk; else, for convolutional models, ONNX Runtime where its library is installed
// (`make onnxruntime`), and the pure-Go backend otherwise. Measured on two cores with
// `make bench` (docs/bench.md): ONNX Runtime trains the convolutional models up to 1.7 times as
// fast as the pure-Go backend (the large DCGAN about as fast), and the pure-Go backend trains
// the MLPs about as fast as ONNX Runtime with no library to install.
// It never downloads anything: the XLA auto-installer is not linked into vaekit, and
// GOMLX_NO_AUTO_INSTALL is set for any library that would try. It returns the backend and a
// one-line description of it, of why it was chosen and of the SIMD kernels.
func For(w Workload) (backend compute.Backend, description string, err error) {
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	defer func() {
		// compute.NewWithConfig panics on an unknown backend name.
		if r := recover(); r != nil {
			backend, description, err = nil, "", fmt.Errorf("%s=%q: %v (set %s=go for the pure-Go backend)", Env, os.Getenv(Env), r, Env)
		}
	}()
	config := os.Getenv(Env)
	reason := Env + " is set"
	if config == "" {
		config, reason = defaultBackend(w)
	}
	config, shared := withONNXThreads(config)
	if shared != "" {
		reason += "; " + shared
	}
	b, description, err := newBackend(config)
	if err != nil {
		return nil, "", err
	}
	return b, description + "; " + reason, nil
}

// ForWork returns the backend for work w of a run whose models are on backend run: run
// itself when GOMLX_BACKEND is set or w's default backend (For) is of the same kind;
// else w's default backend, made once per process, with a line saying which and why. Tensors
// belong to one backend: the caller moves the variables over (by reading the checkpoint again).
func ForWork(w Workload, run compute.Backend) (b compute.Backend, description string, err error) {
	if os.Getenv(Env) != "" {
		return run, "", nil
	}
	config, _ := defaultBackend(w)
	// Backend names: "Go Backend", "onnxruntime", "xla"; configurations: "go", "onnx:cpu", "xla".
	kind, _, _ := strings.Cut(config, ":")
	if strings.HasPrefix(strings.ToLower(run.Name()), kind) {
		return run, "", nil
	}
	made, _ := workBackends.LoadOrStore(w, sync.OnceValues(func() (workBackend, error) {
		b, d, err := For(w)
		return workBackend{b, d}, err
	}))
	wb, err := made.(func() (workBackend, error))()
	return wb.backend, wb.description, err
}

// workBackends holds the backends ForWork made, by workload.
var workBackends sync.Map

type workBackend struct {
	backend     compute.Backend
	description string
}

// defaultBackend is the configuration For uses when GOMLX_BACKEND is not set, and why.
func defaultBackend(w Workload) (config, reason string) {
	switch {
	case xlaPluginsOnDisk != nil && len(xlaPluginsOnDisk()) > 0:
		return "xla", "default: a PJRT plugin for XLA is installed"
	case w == Dense:
		return "go", "default for MLPs: it needs nothing installed and trains them about as fast as ONNX Runtime (docs/bench.md)"
	case onnxLinked && onnxLibrary != nil && onnxLibrary() != "" && w == LikelihoodEstimate:
		return "onnx:cpu", "default for the importance-weighted NLL: ONNX Runtime is installed and runs it faster than the pure-Go backend (docs/bench.md)"
	case onnxLinked && onnxLibrary != nil && onnxLibrary() != "":
		return "onnx:cpu", "default for convolutional models: ONNX Runtime is installed and trains most of them faster than the pure-Go backend (docs/bench.md)"
	}
	return "go", "default: ONNX Runtime is not installed (`make onnxruntime` makes convolutional models faster)"
}

// newBackend creates the backend of a configuration.
func newBackend(config string) (compute.Backend, string, error) {
	if config == "go" || strings.HasPrefix(config, "go:") {
		b, err := newGoBackend(GoConfig(strings.TrimPrefix(strings.TrimPrefix(config, "go"), ":")))
		if err != nil {
			return nil, "", fmt.Errorf("backend %q: %w", config, err)
		}
		return b, describe(b, config), nil
	}
	if strings.HasPrefix(config, "xla") && xlaPluginsOnDisk == nil {
		return nil, "", fmt.Errorf("%s=%q: this binary was built without XLA (build tag noxla, or no cgo); use %s=go", Env, config, Env)
	}
	if strings.HasPrefix(config, "onnx") && !onnxLinked {
		return nil, "", fmt.Errorf("%s=%q: this binary was built without ONNX Runtime (build tag noonnx, or no cgo); use %s=go", Env, config, Env)
	}
	b, err := compute.NewWithConfig(config)
	if err != nil {
		if strings.HasPrefix(config, "onnx") {
			return nil, "", fmt.Errorf("%s=%q: %w (`make onnxruntime` installs ONNX Runtime's library from npm; or set %s=go for the pure-Go backend)", Env, config, err, Env)
		}
		return nil, "", fmt.Errorf("%s=%q: %w (set %s=go for the pure-Go backend)", Env, config, err, Env)
	}
	return VariablesAsParameters(b), describe(b, config), nil
}

// Go is the pure-Go backend with GoConfig(""), created once. Use it instead of
// gobackend.GetBackend, whose default configuration can hang (see GoConfig).
var Go = sync.OnceValue(func() compute.Backend {
	b, err := newGoBackend(GoConfig(""))
	if err != nil {
		panic(err)
	}
	return b
})

// GoConfig adds "parallelism=-1" to a pure-Go backend configuration unless it sets the
// parallelism itself: with a bounded worker pool, independent matrix products of one gradient
// can each hold a slot while asking the pool for more workers, and wait for each other forever
// (docs/DESIGN.md, "The pure-Go backend's worker pool").
func GoConfig(config string) string {
	if strings.Contains(config, "parallelism") {
		return config
	}
	if config == "" {
		return "parallelism=-1"
	}
	return config + ",parallelism=-1"
}

// newGoBackend creates a pure-Go backend, wrapped by VariablesAsParameters (since compute
// v0.1.14 the pure-Go backend, like ONNX Runtime, asks for variables as constants).
// gobackend.New prints a line to standard output when the parallelism is set; it is swallowed,
// so that notebooks and logs show only vaekit's own description of the backend.
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
	d := fmt.Sprintf("%s (%q)", b.Name(), config)
	if strings.HasPrefix(config, "go") {
		d += ", SIMD matmul " + SIMDStatus()
	}
	return d
}

// IsGo reports whether b is the pure-Go backend (wrapped or not), whose elementwise operations
// differ in speed from the other backends' (its Log and Log1p run one float at a time).
func IsGo(b compute.Backend) bool {
	return b != nil && b.Name() == "Go Backend"
}
