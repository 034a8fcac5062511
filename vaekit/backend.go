package vaekit

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// BackendEnv is the environment variable GoMLX reads to choose a backend ("go", "xla:cpu",
// "xla:cuda", "xla:/path/to/plugin.so").
const BackendEnv = "GOMLX_BACKEND"

// xlaPluginsOnDisk is set by backend_xla.go when XLA support is compiled in: it lists the PJRT
// plugins already installed (it never downloads).
var xlaPluginsOnDisk func() []string

// NewBackend chooses the backend: GOMLX_BACKEND if set; else XLA when a PJRT plugin is already
// on disk; else the pure-Go backend. It never downloads anything: the XLA auto-installer is not
// linked into vaekit, and GOMLX_NO_AUTO_INSTALL is set for any library that would try.
// It returns the backend and a one-line description of it and of the SIMD kernels.
func NewBackend() (compute.Backend, string, error) {
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	config := os.Getenv(BackendEnv)
	if config == "" {
		if xlaPluginsOnDisk != nil && len(xlaPluginsOnDisk()) > 0 {
			config = "xla"
		} else {
			config = "go"
		}
	}
	if config == "go" || strings.HasPrefix(config, "go:") {
		b, err := gobackend.New(strings.TrimPrefix(strings.TrimPrefix(config, "go"), ":"))
		if err != nil {
			return nil, "", fmt.Errorf("backend %q: %w", config, err)
		}
		return b, describe(b, config), nil
	}
	if strings.HasPrefix(config, "xla") && xlaPluginsOnDisk == nil {
		return nil, "", fmt.Errorf("%s=%q: this binary was built without XLA (build tag noxla, or no cgo); use %s=go", BackendEnv, config, BackendEnv)
	}
	b, err := compute.NewWithConfig(config)
	if err != nil {
		return nil, "", fmt.Errorf("%s=%q: %w (set %s=go for the pure-Go backend)", BackendEnv, config, err, BackendEnv)
	}
	return b, describe(b, config), nil
}

func describe(b compute.Backend, config string) string {
	d := fmt.Sprintf("%s (%s=%q)", b.Name(), BackendEnv, config)
	if strings.HasPrefix(config, "go") {
		d += ", SIMD matmul " + SIMDStatus()
	}
	return d
}
