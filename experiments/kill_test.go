package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/vae"
)

// The kill test's child process reads its settings from these: the runs folder, the file its
// run's trace (Options.Trace) is appended to, and the phase after whose start it pauses, so that
// the test's SIGKILL lands in that phase.
const (
	killChildEnv = "VAEKIT_KILL_TEST_RUNS"
	killTraceEnv = "VAEKIT_KILL_TEST_TRACE"
	killPauseEnv = "VAEKIT_KILL_TEST_PAUSE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		os.Exit(killChild(dir))
	}
	// Every figure the tests' runs draw passes the layout check, or the run fails.
	figures.StrictLayout(true)
	os.Exit(m.Run())
}

// killChild is the training process the kill test starts: a VAE (so the random state matters)
// for 3 epochs of 12 steps, checkpointing after every step, then its evaluation (with the
// recorded MNIST judge) and figures. Its KL weight follows a cyclical schedule of 5
// steps with free bits (the history's kl_weight column then tells whether a resumed run went on
// from the step it stopped at). Every phase is appended to the trace file as
// it begins; after a phase starting with the pause prefix it sleeps, to be killed there.
func killChild(dir string) int {
	trace, err := os.OpenFile(os.Getenv(killTraceEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pause := os.Getenv(killPauseEnv)
	exp, err := Lookup("mnist-mlp-vae")
	if err == nil {
		opts := Options{RunsDir: dir, Epochs: 3, TrainSubset: 1536, TestSubset: 256, CheckpointSteps: 1,
			MaxNLLSamples: 4, SamplesPerClass: 10, Log: io.Discard, Data: datasets.Options{Offline: true},
			Overrides: map[string]any{vae.ParamKLSchedule: "cyclical", vae.ParamKLScheduleLength: 5, vae.ParamFreeBits: 0.05},
			Trace: func(event string) {
				fmt.Fprintf(trace, "%d %s\n", os.Getpid(), event)
				if pause != "" && strings.HasPrefix(event, pause) {
					time.Sleep(2 * time.Second)
				}
			}}
		_, err = Run(context.Background(), exp, opts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startChild starts a training process writing into the runs folder dir and its trace into
// trace, pausing at the start of the phase pause ("" for none).
func startChild(t *testing.T, dir, trace, pause string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killTraceEnv+"="+trace, killPauseEnv+"="+pause)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// killPhases are the phases the kill test kills the run in, in the order the run reaches them
// (each a prefix of the trace's events): a training step and a checkpoint write in the first
// and in a later epoch, the test evaluation and the history write after an epoch, each part of
// the evaluation (the samples are judged by the recorded MNIST judge, which does not train), the
// metrics and manifest writes, and every figure.
var killPhases = []string{
	"mnist-mlp-vae step 3", "mnist-mlp-vae checkpoint 5", "mnist-mlp-vae evaluate 1", "mnist-mlp-vae history 1",
	"mnist-mlp-vae step 20", "mnist-mlp-vae checkpoint 30", "mnist-mlp-vae evaluate 3", "mnist-mlp-vae history 3",
	"mnist-mlp-vae evaluate reconstruction errors", "mnist-mlp-vae evaluate posterior", "mnist-mlp-vae evaluate nll",
	"mnist-mlp-vae evaluate sample quality", "mnist-mlp-vae evaluate sample distances",
	"mnist-mlp-vae metrics", "mnist-mlp-vae manifest", "mnist-mlp-vae figure loss_curves", "mnist-mlp-vae figure kl_per_dimension",
	"mnist-mlp-vae figure reconstructions", "mnist-mlp-vae figure samples", "mnist-mlp-vae figure label_clusters",
	"mnist-mlp-vae figure interpolation",
}

// traceLine is one event of a child's trace.
type traceLine struct {
	pid        int
	run, event string // the run's name; the event after it ("step 3")
}

// readTrace parses the trace file.
func readTrace(t *testing.T, path string) []traceLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []traceLine
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.SplitN(line, " ", 3)
		if len(fields) < 3 {
			continue
		}
		pid, _ := strconv.Atoi(fields[0])
		out = append(out, traceLine{pid: pid, run: fields[1], event: fields[2]})
	}
	return out
}

// Kill anywhere, resume exactly: a run is killed with SIGKILL in every phase of its life (a
// training step, a checkpoint write, the evaluation after an epoch, the history write, each part
// of the final evaluation, the metrics and manifest writes, each figure), restarted after each kill, and must end with the same history, metrics,
// figures and weights, bit for bit, as a run that was never interrupted. Each kill's phase and
// step come from the run's own trace, not from timing; every restart must resume each run from
// its newest complete checkpoint (the last "saved N" of its trace), never from scratch.
func TestKillAnywhereResumesExactly(t *testing.T) {
	t.Parallel() // tens of seconds, mostly on one core: beside the package's other long tests
	requireData(t, datasets.MNIST)
	root := t.TempDir()
	reference, killed := filepath.Join(root, "reference"), filepath.Join(root, "killed")
	tracePath := filepath.Join(root, "trace")
	if err := startChild(t, reference, filepath.Join(root, "reference-trace"), "").Wait(); err != nil {
		t.Fatalf("uninterrupted run: %v", err)
	}
	for _, phase := range killPhases {
		cmd := startChild(t, killed, tracePath, phase)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
	wait:
		for {
			select {
			case err := <-done:
				t.Fatalf("the run ended (%v) without reaching the phase %q", err, phase)
			case <-time.After(10 * time.Millisecond):
				for _, l := range readTrace(t, tracePath) {
					if l.pid == cmd.Process.Pid && strings.HasPrefix(l.run+" "+l.event, phase) {
						break wait
					}
				}
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-done
		t.Logf("killed in %q", phase)
	}
	if err := startChild(t, killed, tracePath, "").Wait(); err != nil {
		t.Fatalf("final resume after %d kills: %v", len(killPhases), err)
	}
	// Every start of every run resumed from the newest checkpoint its earlier processes saved.
	saved := map[string]int{}
	resumes := 0
	for _, l := range readTrace(t, tracePath) {
		var n int
		if _, err := fmt.Sscanf(l.event, "saved %d", &n); err == nil {
			saved[l.run] = n
		}
		if _, err := fmt.Sscanf(l.event, "resume %d", &n); err == nil {
			resumes++
			if n != saved[l.run] {
				t.Errorf("process %d resumed %s after %d steps; its newest complete checkpoint holds %d", l.pid, l.run, n, saved[l.run])
			}
		}
	}
	if resumes < len(killPhases) {
		t.Errorf("%d resumptions traced for %d kills", resumes, len(killPhases))
	}

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
	// Every step was trained by a process that left its segment: the uninterrupted run one, the
	// killed run one per process that saved a checkpoint, together covering every step once.
	for _, x := range []struct {
		dir  string
		many bool
	}{{ref, false}, {got, true}} {
		segs, err := ReadSegments(x.dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckSegments(segs, 36); err != nil {
			t.Errorf("%s: %v", x.dir, err)
		}
		if (len(segs) > 1) != x.many {
			t.Errorf("%s: %d training segments", x.dir, len(segs))
		}
	}
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
