package backends

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gofrs/flock"
)

// Processes registered in the folder (files another holder keeps locked) share the cores; a
// file nobody holds is a process that has ended, and is removed.
func TestONNXShare(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("VAEKIT_ACTIVE_DIR", dir)
	if threads, n := onnxShare(); n != 1 || threads != runtime.NumCPU() {
		t.Fatalf("alone: %d threads, %d processes; want %d, 1", threads, n, runtime.NumCPU())
	}
	if _, err := os.Stat(filepath.Join(dir, strconv.Itoa(os.Getpid()))); err != nil {
		t.Errorf("this process is not registered: %v", err)
	}
	other := flock.New(filepath.Join(dir, "999999")) // another process, running
	if ok, err := other.TryLock(); err != nil || !ok {
		t.Fatal(err)
	}
	defer other.Unlock()
	stale := filepath.Join(dir, "999998") // a process that ended without removing its file
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	threads, n := onnxShare()
	if want := max(1, runtime.NumCPU()/2); n != 2 || threads != want {
		t.Errorf("with one other process: %d threads, %d processes; want %d, 2", threads, n, want)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale file is still there: %v", err)
	}
	config, why := withONNXThreads("onnx:cpu")
	if !strings.HasPrefix(config, "onnx:cpu,intra_op_num_threads=") || !strings.Contains(why, "2 vaekit processes") {
		t.Errorf("withONNXThreads = %q, %q", config, why)
	}
	for _, c := range []string{"go", "onnx:cpu,intra_op_num_threads=2", "xla:cpu"} {
		if got, _ := withONNXThreads(c); got != c {
			t.Errorf("withONNXThreads(%q) = %q, want it unchanged", c, got)
		}
	}
}
