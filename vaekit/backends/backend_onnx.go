//go:build !noonnx && cgo && (linux || darwin)

package backends

// The ONNX Runtime backend: GOMLX_BACKEND=onnx (or onnx:cpu, or onnx:/path/to/libonnxruntime.so).
// It loads ONNX Runtime's shared library at run time, from ONNXRUNTIME_SHARED_LIBRARY_PATH or
// ~/.local/lib/onnxruntime/libonnxruntime.so (`make onnxruntime` puts it there, from npm);
// New disables its auto-installer, so a missing library is an error, never a download.
// Build with -tags noonnx to leave it out.
import (
	"os"
	"path/filepath"

	_ "github.com/gomlx/compute-onnx"
)

func init() { onnxLinked = true }

func init() {
	onnxLibrary = func() string {
		path := os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH")
		if path == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			path = filepath.Join(home, ".local", "lib", "onnxruntime", "libonnxruntime.so")
		}
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path
		}
		return ""
	}
}
