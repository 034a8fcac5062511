package notebook

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDisplay records what an explorer shows.
type fakeDisplay struct {
	shown    []string // captions of the views left in the notebook
	markdown []string
	updates  int
	divs     int
	removed  []string
	headless bool // no browser attached (nbconvert, CI)
}

func (*fakeDisplay) IsNotebook() bool                   { return true }
func (f *fakeDisplay) Headless() bool                   { return f.headless }
func (f *fakeDisplay) ShowPNG(_ []byte, caption string) { f.shown = append(f.shown, caption) }
func (f *fakeDisplay) ShowMarkdown(text string)         { f.markdown = append(f.markdown, text) }
func (f *fakeDisplay) Update(string, string)            { f.updates++ }
func (f *fakeDisplay) NewDiv() string                   { f.divs++; return fmt.Sprintf("div-%d", f.divs) }
func (f *fakeDisplay) Remove(div string)                { f.removed = append(f.removed, div) }

// counter draws views captioned "view 1", "view 2", ...
func counter() func() (view, error) {
	n := 0
	return func() (view, error) { n++; return view{[]byte{0x89}, fmt.Sprintf("view %d", n)}, nil }
}

// With no browser attached the explorer leaves its first view and says why there are no
// controls, without making any or waiting for them.
func TestHeadlessExplorerShowsItsFirstView(t *testing.T) {
	t.Setenv("VAEKIT_EXPLORE_SECONDS", "0.2") // so that an explorer that waits for controls ends
	out := &fakeDisplay{headless: true}
	made := 0
	setup := func(string) (<-chan struct{}, <-chan int) { made++; return nil, nil }
	if err := explore(out, setup, counter()); err != nil {
		t.Fatal(err)
	}
	if len(out.shown) != 1 || out.shown[0] != "view 1" || made != 0 || out.divs != 0 {
		t.Errorf("shown %v, controls made %d times, %d divs; want the first view and no controls", out.shown, made, out.divs)
	}
	if len(out.markdown) != 1 || !strings.Contains(out.markdown[0], "no browser attached") {
		t.Errorf("said %q; want why there are no controls", out.markdown)
	}
}

// Controls that never connect (the browser never acknowledges the widgets, so they never send a
// first value) are made again explorerConnectTries times, each in a new div and the last one's
// removed, then the explorer ends with a message and its first view; never later than the idle
// time.
func TestExplorerWhoseControlsNeverConnectEnds(t *testing.T) {
	defer func(d time.Duration) { explorerConnectTimeout = d }(explorerConnectTimeout)
	explorerConnectTimeout = 100 * time.Millisecond
	never := func(string) (<-chan struct{}, <-chan int) { select {} }
	for _, tc := range []struct {
		idle       string
		tries      int
		atLeast    time.Duration
		wantPrefix string
	}{
		{"10", explorerConnectTries, time.Duration(explorerConnectTries) * explorerConnectTimeout, "*The explorer's controls did not connect to the notebook in 3 tries over 300ms"},
		{"0.15", 2, 150 * time.Millisecond, "*The explorer's controls did not connect to the notebook in 2 tries over 150ms"},
	} {
		t.Setenv("VAEKIT_EXPLORE_SECONDS", tc.idle)
		out := &fakeDisplay{}
		start := time.Now()
		errc := make(chan error, 1)
		go func() { errc <- explore(out, never, counter()) }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("idle %s s: the explorer still waits for its controls after 5 s", tc.idle)
		}
		if d := time.Since(start); d < tc.atLeast {
			t.Errorf("idle %s s: gave up after %v, before %v", tc.idle, d, tc.atLeast)
		}
		if len(out.shown) != 1 || out.shown[0] != "view 1" || len(out.markdown) != 1 || !strings.HasPrefix(out.markdown[0], tc.wantPrefix) {
			t.Errorf("idle %s s: shown %v, said %q; want the first view and %q...", tc.idle, out.shown, out.markdown, tc.wantPrefix)
		}
		if out.divs != tc.tries || len(out.removed) != tc.tries {
			t.Errorf("idle %s s: %d divs made, %v removed; want %d of each", tc.idle, out.divs, out.removed, tc.tries)
		}
	}
}

// With connected controls: every change redraws, Done ends the explorer, the controls go and
// the last view stays. Controls that fail to connect at first (GoNB's browser side gave up on a
// late acknowledgement) are made again in a new div, the failed one removed; a late answer of
// the abandoned try changes nothing.
func TestExplorerRedrawsUntilDone(t *testing.T) {
	defer func(d time.Duration) { explorerConnectTimeout = d }(explorerConnectTimeout)
	explorerConnectTimeout = 100 * time.Millisecond
	t.Setenv("VAEKIT_EXPLORE_SECONDS", "10")
	for _, failures := range []int{0, 1, explorerConnectTries - 1} {
		out := &fakeDisplay{}
		changes := make(chan struct{})
		done := make(chan int)
		var tries atomic.Int32 // each try's setup runs in a goroutine of its own
		setup := func(div string) (<-chan struct{}, <-chan int) {
			if int(tries.Add(1)) <= failures {
				// Connects half-way through the next try, after the explorer gave up on it.
				time.Sleep(explorerConnectTimeout * 3 / 2)
				return make(chan struct{}), make(chan int)
			}
			time.Sleep(explorerConnectTimeout * 4 / 5)
			return changes, done
		}
		errc := make(chan error, 1)
		go func() { errc <- explore(out, setup, counter()) }()
		send := func(what string, send func()) {
			sent := make(chan struct{})
			go func() { send(); close(sent) }()
			select {
			case <-sent:
			case <-time.After(5 * time.Second):
				t.Fatalf("%d failed tries: the explorer took no %s in 5 s (listening to controls it gave up on?)", failures, what)
			}
		}
		send("change", func() { changes <- struct{}{} })
		send("change", func() { changes <- struct{}{} })
		send("Done", func() { done <- 1 })
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("div-%d", failures+1)
		if len(out.shown) != 1 || out.shown[0] != "view 3" || len(out.markdown) != 0 {
			t.Errorf("%d failed tries: shown %v, said %v; want the third view kept and nothing said", failures, out.shown, out.markdown)
		}
		if out.divs != failures+1 || len(out.removed) != failures+1 || out.removed[failures] != want {
			t.Errorf("%d failed tries: %d divs made, %v removed; want %d, the last %s", failures, out.divs, out.removed, failures+1, want)
		}
		if out.updates < 3 {
			t.Errorf("%d failed tries: %d updates of the view, want the first view and 2 redraws", failures, out.updates)
		}
	}
}

// A shared run is shown once per kernel: GoNB runs each cell as a program of its own (here: the
// in-process memory cleared), so the marker in the kernel's GONB_TMP_DIR carries it between
// cells; a restarted kernel (a new GONB_TMP_DIR) shows it again.
func TestFirstShowingOncePerKernel(t *testing.T) {
	kernel1, kernel2 := t.TempDir(), t.TempDir()
	dir := filepath.Join(t.TempDir(), "mnist-classifier")
	for _, tc := range []struct {
		step   string
		kernel string
		dir    string
		want   bool
	}{
		{"first cell", kernel1, dir, true},
		{"second cell, same kernel", kernel1, dir, false},
		{"another run", kernel1, dir + "-other", true},
		{"restarted kernel", kernel2, dir, true},
		{"restarted kernel, next cell", kernel2, dir, false},
	} {
		t.Setenv("GONB_TMP_DIR", tc.kernel)
		shownHere.Clear() // a new cell is a new program
		if got := firstShowing(tc.dir); got != tc.want {
			t.Errorf("%s: firstShowing = %v, want %v", tc.step, got, tc.want)
		}
		if tc.want && firstShowing(tc.dir) {
			t.Errorf("%s: shown twice in one cell", tc.step)
		}
	}
}
