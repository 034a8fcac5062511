package backends

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/gofrs/flock"
)

// Sharing the cores between vaekit processes that run ONNX Runtime at the same time.
//
// ONNX Runtime's worker threads spin while they wait for work, so two trainings on the same
// cores, each with a thread per core, slow each other far more than twice (docs/DESIGN.md,
// "ONNX Runtime"). compute-onnx v0.1.13 cannot turn the spinning off, but it sets the number of
// intra-op threads: each process that starts an ONNX Runtime session registers itself (a file
// it keeps locked in activeDir until it exits) and takes the cores divided by the processes
// registered, at least one.

// activeDir holds one locked file per running vaekit process that uses ONNX Runtime.
func activeDir() string {
	if d := os.Getenv("VAEKIT_ACTIVE_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "vaekit-onnx-processes")
}

var (
	registerMu sync.Mutex
	registered = map[string]*flock.Flock{} // by folder; held until the process exits
)

// onnxShare registers this process and returns the intra-op threads it should use and the
// number of vaekit ONNX Runtime processes running, itself included.
func onnxShare() (threads, processes int) {
	dir := activeDir()
	registerMu.Lock()
	if registered[dir] == nil && os.MkdirAll(dir, 0o777) == nil {
		lock := flock.New(filepath.Join(dir, strconv.Itoa(os.Getpid())))
		if ok, err := lock.TryLock(); err == nil && ok {
			registered[dir] = lock
		}
	}
	registerMu.Unlock()
	processes = 1
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == strconv.Itoa(os.Getpid()) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		other := flock.New(filepath.Join(dir, e.Name()))
		ok, err := other.TryLock()
		if err != nil {
			continue
		}
		if ok { // its process has ended: the file is stale
			os.Remove(other.Path())
			other.Unlock()
			continue
		}
		processes++
	}
	return max(1, runtime.NumCPU()/processes), processes
}

// withONNXThreads adds the intra-op thread count of onnxShare to an ONNX Runtime configuration
// that does not set one, and says so.
func withONNXThreads(config string) (string, string) {
	if !strings.HasPrefix(config, "onnx") || strings.Contains(config, "intra") {
		return config, ""
	}
	threads, processes := onnxShare()
	if processes == 1 {
		return config, ""
	}
	if config == "onnx" {
		config = "onnx:cpu"
	}
	return config + ",intra_op_num_threads=" + strconv.Itoa(threads),
		fmt.Sprintf("%d intra-op threads: %d vaekit processes run ONNX Runtime on %d cores", threads, processes, runtime.NumCPU())
}
