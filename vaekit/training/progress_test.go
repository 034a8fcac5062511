package training

import (
	"strings"
	"testing"
	"time"
)

// clock is a fake time source for Phase.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestPhase(w *strings.Builder, total int, c *clock) *Phase {
	p := NewPhase(w, "NLL k=5000", total, "images")
	p.now, p.start = c.now, c.now()
	return p
}

// In a log (not a terminal), a phase writes a line at each tenth of the work once it has run
// for ShowAfter, with the rate and the time left worked out from the clock, then its length.
func TestPhaseLines(t *testing.T) {
	var w strings.Builder
	c := &clock{t: time.Unix(0, 0)}
	p := newTestPhase(&w, 1000, c)
	for range 100 { // 100 images in the first second: under ShowAfter, nothing shown
		c.advance(10 * time.Millisecond)
		p.Add(1)
	}
	if w.Len() != 0 {
		t.Fatalf("a phase shorter than %v wrote %q", ShowAfter, w.String())
	}
	for range 300 { // then 100 images per second: 400 images at 4 s
		c.advance(10 * time.Millisecond)
		p.Add(1)
	}
	// Tenths 2, 3 and 4 are crossed after ShowAfter (at 200 images, 2 s); one line for the
	// latest tenth reached at each Add: 200/1000 at 2s, 300 at 3s, 400 at 4s.
	want := []string{
		"NLL k=5000: 200/1000 images  100/s  2s<8s",
		"NLL k=5000: 300/1000 images  100/s  3s<7s",
		"NLL k=5000: 400/1000 images  100/s  4s<6s",
	}
	if got := strings.Split(strings.TrimSpace(w.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	w.Reset()
	c.advance(600 * time.Millisecond)
	if d := p.End(""); d != 4600*time.Millisecond || w.String() != "NLL k=5000: 400 images in 4.6s\n" {
		t.Errorf("End = %v, wrote %q", d, w.String())
	}
}

// A short phase writes nothing, unless it has a summary (an epoch's losses).
func TestPhaseShortAndSummary(t *testing.T) {
	var w strings.Builder
	c := &clock{t: time.Unix(0, 0)}
	p := newTestPhase(&w, 10, c)
	p.Add(10)
	c.advance(time.Second)
	p.End("")
	if w.Len() != 0 {
		t.Errorf("a 1 s phase wrote %q", w.String())
	}
	p = newTestPhase(&w, 10, c)
	p.Step("loss 1.5")
	c.advance(1500 * time.Millisecond)
	p.End("train: loss 1.5")
	if got, want := w.String(), "NLL k=5000 (1 images, 1.5s): train: loss 1.5\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	var nilPhase *Phase
	nilPhase.Add(1) // a nil phase (no progress wanted) is a no-op
	nilPhase.End("")
}
