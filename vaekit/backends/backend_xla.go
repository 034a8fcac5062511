//go:build !noxla && cgo && ((linux && (amd64 || arm64)) || (darwin && arm64))

package backends

import (
	"github.com/gomlx/go-xla/compute/xla"
)

// XLA is linked without its auto-installer: GetAvailablePlugins only lists plugins on disk
// (PJRT_PLUGIN_LIBRARY_PATH and the standard places).
func init() {
	xlaPluginsOnDisk = func() []string {
		xla.EnableAutoInstall(false)
		return xla.GetAvailablePlugins()
	}
}
