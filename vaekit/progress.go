package vaekit

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows the steps of an epoch: a bar redrawn in place on a terminal; elsewhere (logs,
// notebooks) a line at every tenth of a long epoch, then the epoch's summary line.
type progress struct {
	w        io.Writer
	label    string
	total    int
	n        int
	lastLoss float64
	start    time.Time
	lastDraw time.Time
	terminal bool
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal = true
	}
	return p
}

func (p *progress) step(loss float64) {
	if p.w == nil {
		return
	}
	p.n++
	p.lastLoss = loss
	if !p.terminal {
		if tenth := max(p.total/10, 1); p.total >= 100 && p.n%tenth == 0 && p.n < p.total {
			fmt.Fprintf(p.w, "%s: step %d/%d, loss %.4g, %s\n", p.label, p.n, p.total, loss, time.Since(p.start).Round(time.Second))
		}
		return
	}
	if time.Since(p.lastDraw) < 200*time.Millisecond && p.n < p.total {
		return
	}
	p.lastDraw = time.Now()
	const width = 30
	filled := width * p.n / p.total
	elapsed := time.Since(p.start)
	eta := time.Duration(float64(elapsed) / float64(p.n) * float64(p.total-p.n))
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d loss %.4g  %s<%s ", p.label, strings.Repeat("=", filled),
		strings.Repeat(" ", width-filled), p.n, p.total, loss, elapsed.Round(time.Second), eta.Round(time.Second))
}

// done prints the epoch's summary: every term on train and test, and the time it took.
func (p *progress) done(h *History) {
	if p.w == nil {
		return
	}
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
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
		parts = append(parts, split+": "+strings.Join(vals, ", "))
	}
	fmt.Fprintf(p.w, "%s (%d steps, %.1fs): %s\n", p.label, p.n, time.Since(p.start).Seconds(), strings.Join(parts, " | "))
}
