package notebook

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeDisplay records what an explorer shows.
type fakeDisplay struct {
	shown    []string // captions of the views left in the notebook
	markdown []string
	updates  int
	removed  []string
}

func (*fakeDisplay) IsNotebook() bool                   { return true }
func (*fakeDisplay) Headless() bool                     { return false }
func (f *fakeDisplay) ShowPNG(_ []byte, caption string) { f.shown = append(f.shown, caption) }
func (f *fakeDisplay) ShowMarkdown(text string)         { f.markdown = append(f.markdown, text) }
func (f *fakeDisplay) Update(string, string)            { f.updates++ }
func (f *fakeDisplay) Remove(div string)                { f.removed = append(f.removed, div) }

// counter draws views captioned "view 1", "view 2", ...
func counter() func() (view, error) {
	n := 0
	return func() (view, error) { n++; return view{[]byte{0x89}, fmt.Sprintf("view %d", n)}, nil }
}

// Controls that never connect (the browser never acknowledges the widgets, so they never send a
// first value) end the explorer with a message and its first view, within the idle time.
func TestExplorerWhoseControlsNeverConnectEnds(t *testing.T) {
	t.Setenv("VAEKIT_EXPLORE_SECONDS", "0.3")
	out := &fakeDisplay{}
	never := func() (string, <-chan struct{}, <-chan int) { select {} }
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- explore(out, never, counter()) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the explorer still waits for its controls after 5 s")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the idle time", d)
	}
	if len(out.shown) != 1 || out.shown[0] != "view 1" || len(out.markdown) != 1 || !strings.Contains(out.markdown[0], "did not connect") {
		t.Errorf("shown %v, said %v; want the first view and a message that the controls did not connect", out.shown, out.markdown)
	}
}

// With connected controls: every change redraws, Done ends the explorer, the controls go and
// the last view stays.
func TestExplorerRedrawsUntilDone(t *testing.T) {
	t.Setenv("VAEKIT_EXPLORE_SECONDS", "10")
	out := &fakeDisplay{}
	changes := make(chan struct{})
	done := make(chan int)
	setup := func() (string, <-chan struct{}, <-chan int) { return "div-1", changes, done }
	errc := make(chan error, 1)
	go func() { errc <- explore(out, setup, counter()) }()
	changes <- struct{}{}
	changes <- struct{}{}
	done <- 1
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(out.shown) != 1 || out.shown[0] != "view 3" || len(out.removed) != 1 || out.removed[0] != "div-1" {
		t.Errorf("shown %v, removed %v; want the third view kept and the controls removed", out.shown, out.removed)
	}
	if out.updates < 3 {
		t.Errorf("%d updates of the view, want the first view and 2 redraws", out.updates)
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
