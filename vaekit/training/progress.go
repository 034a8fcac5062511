package training

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vaekit/vaekit/vaekit/history"
	"golang.org/x/term"
)

// ShowAfter is how long a phase runs before Phase (or Timed) shows anything: shorter phases stay
// silent. A variable so that a test can see every phase's line (0: all shown).
var ShowAfter = 2 * time.Second

// Phase shows the progress of one phase of work that can take longer than a moment: an epoch
// of training, the BatchNorm estimate, an evaluation, encoding a data set, the
// importance-weighted likelihood, sampling, drawing figures. One line per phase:
//
//	NLL k=5000 [=========>          ] 4300/10000 images  24.1/s  2m58s<3m57s
//
// Where the line can be redrawn in place (a terminal, or a GoNB notebook cell, whose output
// area drops a line's text up to its last carriage return) it is redrawn at most 5 times a
// second; elsewhere (a log file) a line is written at every tenth of the work. Nothing is shown before ShowAfter, so a
// short phase writes nothing at all. A nil writer makes every method a no-op.
type Phase struct {
	w            io.Writer
	label, unit  string
	total, n     int
	status       string
	start, drawn time.Time
	redraw, ansi bool
	tenths       int // tenths of the work reported (line mode)
	shown        bool
	now          func() time.Time // time.Now; tests inject a clock
}

// NewPhase starts a phase of total units (images, steps, batches) on w.
func NewPhase(w io.Writer, label string, total int, unit string) *Phase {
	p := &Phase{w: w, label: label, total: total, unit: unit, now: time.Now}
	p.start = p.now()
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.redraw, p.ansi = true, true
	} else if os.Getenv("GONB_PIPE") != "" && (w == os.Stdout || w == os.Stderr) {
		p.redraw = true // a GoNB cell: Jupyter's output area applies "\r" but not ANSI codes
	}
	return p
}

// Add counts n more units done and redraws the line if it is due.
func (p *Phase) Add(n int) {
	if p != nil {
		p.advance(n, p.status)
	}
}

// Step counts one more unit with a status shown after the count (for example the last loss).
func (p *Phase) Step(status string) { p.advance(1, status) }

func (p *Phase) advance(n int, status string) {
	if p == nil || p.w == nil {
		return
	}
	p.n += n
	p.status = status
	elapsed := p.now().Sub(p.start)
	if elapsed < ShowAfter || p.total <= 0 {
		return
	}
	if !p.redraw {
		if tenth := 10 * p.n / p.total; tenth > p.tenths && p.n < p.total {
			p.tenths = tenth
			p.shown = true
			fmt.Fprintf(p.w, "%s: %s\n", p.label, p.counts(elapsed))
		}
		return
	}
	if p.now().Sub(p.drawn) < 200*time.Millisecond && p.n < p.total {
		return
	}
	p.drawn, p.shown = p.now(), true
	const width = 24
	filled := min(width*p.n/p.total, width)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	if filled < width {
		bar = bar[:filled] + ">" + bar[filled+1:]
	}
	fmt.Fprintf(p.w, "\r%s [%s] %s ", p.label, bar, p.counts(elapsed))
}

// counts is "n/total unit  rate/s  elapsed<left" and the status.
func (p *Phase) counts(elapsed time.Duration) string {
	rate := float64(p.n) / elapsed.Seconds()
	s := fmt.Sprintf("%d/%d %s  %s/s  %s<%s", p.n, p.total, p.unit, formatRate(rate), elapsed.Round(time.Second), p.left(elapsed).Round(time.Second))
	if p.status != "" {
		s += "  " + p.status
	}
	return s
}

// left estimates the time to finish from the rate so far.
func (p *Phase) left(elapsed time.Duration) time.Duration {
	if p.n == 0 {
		return 0
	}
	return time.Duration(float64(elapsed) / float64(p.n) * float64(max(p.total-p.n, 0)))
}

func formatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

// End closes the phase's line. With a summary (an epoch's losses), it writes "label (n unit,
// 12.3s): summary" whatever the phase's length; without one, it writes "label: n unit in
// 12.3s" only if the phase ran longer than ShowAfter. It returns the phase's duration.
func (p *Phase) End(summary string) time.Duration {
	if p == nil {
		return 0
	}
	elapsed := p.now().Sub(p.start)
	if p.w == nil {
		return elapsed
	}
	if p.shown {
		p.clearLine()
	}
	switch {
	case summary != "":
		fmt.Fprintf(p.w, "%s (%d %s, %.1fs): %s\n", p.label, p.n, p.unit, elapsed.Seconds(), summary)
	case elapsed >= ShowAfter:
		fmt.Fprintf(p.w, "%s: %d %s in %.1fs\n", p.label, p.n, p.unit, elapsed.Seconds())
	}
	return elapsed
}

// clearLine returns to the start of a line redrawn in place, and clears it where ANSI codes work
// (in a notebook cell the next text replaces the line anyway). It does nothing in line mode.
func (p *Phase) clearLine() {
	if !p.redraw {
		return
	}
	fmt.Fprint(p.w, "\r")
	if p.ansi {
		fmt.Fprint(p.w, "\033[K")
	}
}

// epochSummary is an epoch's closing line: every term on train and test.
func epochSummary(h *history.History) string {
	var parts []string
	for _, split := range []string{"train", "test"} {
		row, ok := h.Last(split)
		if !ok {
			continue
		}
		var vals []string
		for i, name := range h.Terms {
			vals = append(vals, fmt.Sprintf("%s %.4f", name, row.Values[i]))
		}
		parts = append(parts, h.SplitTitle(split)+": "+strings.Join(vals, ", "))
	}
	return strings.Join(parts, " | ")
}

// Timed runs fn as a phase whose amount of work is not known in advance (encoding a data set
// through a model, sampling, drawing figures): after ShowAfter it shows the label and the time
// so far, redrawn every second where lines can be redrawn, and when fn returns the phase's
// length (if it ran longer than ShowAfter). fn must not write to w itself.
func Timed(w io.Writer, label string, fn func() error) error {
	if w == nil {
		return fn()
	}
	p := NewPhase(w, label, 0, "")
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		wrote := false
		for {
			select {
			case <-done:
				if wrote {
					p.clearLine()
				}
				return
			case <-tick.C:
				elapsed := time.Since(p.start)
				if elapsed < ShowAfter || (!p.redraw && wrote) {
					continue
				}
				wrote = true
				if p.redraw {
					fmt.Fprintf(w, "\r%s ... %s ", label, elapsed.Round(time.Second))
				} else {
					fmt.Fprintf(w, "%s ...\n", label)
				}
			}
		}
	}()
	err := fn()
	close(done)
	<-stopped
	if elapsed := time.Since(p.start); elapsed >= ShowAfter {
		fmt.Fprintf(w, "%s: %.1fs\n", label, elapsed.Seconds())
	}
	return err
}
