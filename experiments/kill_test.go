package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/datasets"
)

// killChildEnv names the runs folder of a child process started by TestKillAnywhereResumesExactly.
const killChildEnv = "VAEKIT_KILL_TEST_RUNS"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		os.Exit(killChild(dir))
	}
	os.Exit(m.Run())
}

// killChild is the training process the kill test starts: a VAE (so the random state matters)
// for 3 epochs of 12 steps, checkpointing after every step, then its evaluation and figures.
func killChild(dir string) int {
	exp, err := Lookup("mnist-mlp-vae")
	if err == nil {
		opts := Options{RunsDir: dir, Epochs: 3, TrainSubset: 1536, TestSubset: 256, CheckpointSteps: 1,
			MaxNLLSamples: 4, Log: io.Discard, Data: datasets.Options{Offline: true}}
		_, err = Run(context.Background(), exp, opts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startChild starts a training process writing into the runs folder dir.
func startChild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// Kill anywhere, resume exactly: a run killed with SIGKILL at random moments (during a step, a
// checkpoint write, the evaluation or a figure write) and restarted each time ends with the
// same history, metrics, figures and weights, bit for bit, as a run that was never interrupted.
// The long form kills 20 times, the short form (-short) 3 times.
func TestKillAnywhereResumesExactly(t *testing.T) {
	requireData(t, datasets.MNIST)
	kills := 20
	if testing.Short() {
		kills = 3
	}
	root := t.TempDir()
	reference, killed := filepath.Join(root, "reference"), filepath.Join(root, "killed")
	if err := startChild(t, reference).Wait(); err != nil {
		t.Fatalf("uninterrupted run: %v", err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	delivered, finishedEarly := 0, 0
	for delivered < kills {
		cmd := startChild(t, killed)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := time.Duration(200+rng.IntN(2300)) * time.Millisecond
		select {
		case err := <-done: // the process ended first: finished, or nothing left to do
			if err != nil {
				t.Fatalf("restart after %d kills: %v", delivered, err)
			}
			finishedEarly++
		case <-time.After(delay):
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-done
			delivered++
		}
	}
	if err := startChild(t, killed).Wait(); err != nil {
		t.Fatalf("final resume after %d kills: %v", delivered, err)
	}
	t.Logf("%d SIGKILLs at random moments (seed %d), %d restarts that ended before their kill", delivered, seed, finishedEarly)

	ref, got := filepath.Join(reference, "mnist-mlp-vae"), filepath.Join(killed, "mnist-mlp-vae")
	same := func(rel string) {
		a, errA := os.ReadFile(filepath.Join(ref, rel))
		b, errB := os.ReadFile(filepath.Join(got, rel))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the uninterrupted and the killed run (%v, %v)", rel, errA, errB)
		}
	}
	same("history.csv")
	same("params.json")
	figs, _ := filepath.Glob(filepath.Join(ref, "figures", "*"))
	for _, f := range figs {
		same(filepath.Join("figures", filepath.Base(f)))
	}
	var mRef, mGot Metrics
	for _, x := range []struct {
		dir string
		m   *Metrics
	}{{ref, &mRef}, {got, &mGot}} {
		data, err := os.ReadFile(filepath.Join(x.dir, "metrics.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, x.m); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(mRef.Test, mGot.Test) || !reflect.DeepEqual(mRef.Train, mGot.Train) || !reflect.DeepEqual(mRef.Extra, mGot.Extra) {
		t.Errorf("metrics differ:\n%+v\n%+v", mRef, mGot)
	}
	loaded := func(dir string) map[string]*tensors.Tensor {
		h, err := checkpoint.Build(model.NewStore()).Dir(filepath.Join(dir, "checkpoint")).Done()
		if err != nil {
			t.Fatal(err)
		}
		return h.LoadedVariables()
	}
	varsRef, varsGot := loaded(ref), loaded(got)
	if len(varsRef) != len(varsGot) || len(varsRef) < 10 {
		t.Fatalf("checkpoints hold %d and %d variables", len(varsRef), len(varsGot))
	}
	for path, a := range varsRef {
		if b, ok := varsGot[path]; !ok || !a.Equal(b) {
			t.Errorf("variable %s differs between the uninterrupted and the killed run (present: %v)", path, ok)
		}
	}
}
