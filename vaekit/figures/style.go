package figures

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// Style is the size, resolution and type size of every figure: one owner of how vaekit's
// figures look. The defaults fit a report's text column on A4 paper (15 cm wide) and stay
// legible there (9 pt labels); the PNGs have 150 dpi, enough for a screen and a draft, 300 for
// print. SVG and PDF are vector files: only Width and FontSize apply to them.
type Style struct {
	// Width of every figure in centimetres; each figure's height follows from it.
	Width float64
	// DPI of the PNG files.
	DPI int
	// FontSize of axis labels, tick labels and legends in points; titles are 1.15x larger.
	FontSize float64
}

// DefaultStyle is the style figures are drawn in unless SetStyle changes it.
var DefaultStyle = Style{Width: 15, DPI: 150, FontSize: 9}

var (
	styleMu sync.Mutex
	current = DefaultStyle
)

// Checked returns s with its zero fields set to the defaults, or an error naming the value out
// of range: a width of 5 to 60 cm, 50 to 1200 dpi, type of 5 to 24 points.
func (s Style) Checked() (Style, error) {
	if s.Width == 0 {
		s.Width = DefaultStyle.Width
	}
	if s.DPI == 0 {
		s.DPI = DefaultStyle.DPI
	}
	if s.FontSize == 0 {
		s.FontSize = DefaultStyle.FontSize
	}
	switch {
	case !(s.Width >= 5 && s.Width <= 60):
		return s, fmt.Errorf("figure width %g cm: expected 5 to 60", s.Width)
	case s.DPI < 50 || s.DPI > 1200:
		return s, fmt.Errorf("figure resolution %d dpi: expected 50 to 1200", s.DPI)
	case !(s.FontSize >= 5 && s.FontSize <= 24):
		return s, fmt.Errorf("figure font size %g pt: expected 5 to 24", s.FontSize)
	}
	return s, nil
}

// SetStyle sets the style of the figures drawn after it, checked first (Checked); a zero field
// keeps the default.
func SetStyle(s Style) error {
	s, err := s.Checked()
	if err != nil {
		return err
	}
	styleMu.Lock()
	defer styleMu.Unlock()
	current = s
	return nil
}

// CurrentStyle is the style figures are drawn in now.
func CurrentStyle() Style {
	styleMu.Lock()
	defer styleMu.Unlock()
	return current
}

// width is the style's figure width.
func (s Style) width() vg.Length { return vg.Length(s.Width) * vg.Centimeter }

// Okabe and Ito's colour-blind-safe palette (blue, vermillion, bluish green, orange, sky blue,
// reddish purple, yellow, black): lines use the first ones; classes use all eight plus grey and
// a dark brown, told apart by shape too where it matters.
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{213, 94, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{230, 159, 0, 255}, color.RGBA{86, 180, 233, 255}, color.RGBA{204, 121, 167, 255},
	color.RGBA{240, 228, 66, 255}, color.RGBA{0, 0, 0, 255},
}

// classColors: one per class, up to ten (the palette, then grey and brown).
var classColors = append(append([]color.Color{}, palette...), color.RGBA{136, 136, 136, 255}, color.RGBA{120, 70, 20, 255})

// newPlot is a plot in the current style: type sizes, a title, axis labels.
func newPlot(s Style, title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	size := vg.Points(s.FontSize)
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(size * 1.15)
	p.Title.Padding = vg.Points(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(size)
		a.Tick.Label.Font = sans(size * 0.9)
		a.Tick.Marker = sameDecimals{}
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.TextStyle.Font = sans(size * 0.9)
	return p
}

// termTitle is a loss term's name as a panel's title: words, not an identifier
// ("real_score" is "real score").
func termTitle(name string) string { return strings.ReplaceAll(name, "_", " ") }

// sans is the figures' typeface (Liberation Sans, which gonum embeds) at a size.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// logTicks label a logarithmic axis at 1, 2 and 5 times the powers of ten in its range (the
// powers alone when it spans three decades or more; all nine multiples when that leaves fewer
// than two labels), the others as minor ticks, with one number format per axis. On a vertical
// axis whose length is known (fitLogTicks), the 2s and 5s are left unlabelled where their labels
// would overlap their neighbours.
type logTicks struct {
	length, size vg.Length // the axis's length and its labels' type size; 0: unknown
}

func (l logTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := l.ticks(lo, hi)
	if l.length > 0 && hi/lo < 1e3 && crowded(ticks, lo, hi, l.length, l.size) {
		// The powers of ten alone, as over three decades.
		for i := range ticks {
			if m := ticks[i].Value / math.Pow(10, math.Floor(math.Log10(ticks[i].Value)+1e-9)); ticks[i].Label != "" && math.Abs(m-1) > 1e-6 {
				ticks[i].Label = ""
			}
		}
		if labelledCount(ticks) >= 2 {
			return sameFormat(ticks)
		}
		return l.ticks(lo, hi)
	}
	return ticks
}

// labelledCount is the number of ticks with a label.
func labelledCount(ticks []plot.Tick) int {
	n := 0
	for _, t := range ticks {
		if t.Label != "" {
			n++
		}
	}
	return n
}

// crowded reports whether two labelled ticks of a vertical logarithmic axis of the given length
// lie closer than a line of type of the given size (their labels would overlap).
func crowded(ticks []plot.Tick, lo, hi float64, length, size vg.Length) bool {
	last := math.Inf(-1)
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		y := float64(length) * math.Log10(t.Value/lo) / math.Log10(hi/lo)
		if y-last < float64(size)-slack {
			return true
		}
		last = y
	}
	return false
}

func (logTicks) ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	labelled := 0
	for _, all := range []bool{false, true} {
		ticks, labelled = ticks[:0], 0
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for m := 1.0; m <= 9; m++ {
				v := m * math.Pow(10, e)
				if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
					continue
				}
				t := plot.Tick{Value: v}
				if all || m == 1 || (m == 2 || m == 5) && hi/lo < 1e3 {
					t.Label = "x"
					labelled++
				}
				ticks = append(ticks, t)
			}
		}
		if labelled >= 2 {
			return sameFormat(ticks)
		}
	}
	// Less than a step of one multiple of the decade's power: plain ticks, at their places on
	// the logarithmic axis.
	return sameDecimals{}.Ticks(lo, hi)
}

// epochTicks label whole epochs at multiples of a 1-2-5 step that gives at most six labels.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		step = s
		if (last-first)/s+1 <= 6 {
			break
		}
	}
	var ticks []plot.Tick
	for e := (first + step - 1) / step * step; e <= last; e += step {
		ticks = append(ticks, plot.Tick{Value: float64(e), Label: strconv.Itoa(e)})
	}
	return ticks
}

// fitTitle wraps a title to the width of its plot, at the style's title size (a character of
// Liberation Sans is about half the type size wide).
func fitTitle(s Style, title string, width vg.Length) string {
	chars := int(float64(width) / (s.FontSize * 1.15 * 0.55))
	var lines []string
	for _, line := range strings.Split(title, "\n") {
		lines = append(lines, wrap(line, max(chars, 20)))
	}
	return strings.Join(lines, "\n")
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// sameDecimals are 1-2-5 ticks (niceTicks) labelled with one number format per axis: as many
// decimals as the finest tick needs, the same for all ("0.5, 1.0, 1.5", never "0.5, 1, 1.50").
type sameDecimals struct{}

func (sameDecimals) Ticks(lo, hi float64) []plot.Tick {
	return sameFormat(niceTicks(lo, hi))
}

// maxLabels is the most labelled ticks niceTicks puts on an axis: enough to read a value off at
// report size, few enough that the labels of a short y-axis never crowd.
const maxLabels = 5

// niceTicks labels the multiples of the smallest step of 1, 2 or 5 times a power of ten that
// gives at most maxLabels labels in [lo, hi], with minor ticks at a fifth of a 1 or 5 step and
// a quarter of a 2 step. gonum's own ticks also take steps of 2.5, 3 and 4 times a power of ten
// ("150, 210, 270" on a loss axis), which a reader cannot interpolate at a glance.
func niceTicks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: "x"}}
	}
	step, minors := 0.0, 0
	for e := math.Floor(math.Log10(hi-lo)) - 1; step == 0; e++ {
		for _, m := range []struct {
			mantissa float64
			minors   int
		}{{1, 5}, {2, 4}, {5, 5}} {
			s := m.mantissa * math.Pow(10, e)
			if math.Floor(hi/s+1e-9)-math.Ceil(lo/s-1e-9)+1 <= maxLabels {
				step, minors = s, m.minors
				break
			}
		}
	}
	var ticks []plot.Tick
	minor := step / float64(minors)
	for i := math.Ceil(lo/minor - 1e-9); i <= math.Floor(hi/minor+1e-9); i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if k := math.Round(v / step); math.Abs(v-k*step) <= 1e-9*step {
			t.Value, t.Label = k*step+0, "x" // exact multiples (+0 turns -0 into 0), so that 0 is "0", not 1e-17
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// sameFormat relabels the labelled ticks with one number format: as many decimals as the finest
// needs.
func sameFormat(ticks []plot.Tick) []plot.Tick {
	decimals := 0
	for _, t := range ticks {
		if t.Label != "" {
			decimals = max(decimals, decimalsOf(t.Value))
		}
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', decimals, 64)
		}
	}
	return ticks
}

// decimalsOf is the number of decimals v needs (at most 6), from its shortest representation.
func decimalsOf(v float64) int {
	for d := 0; d < 6; d++ {
		if r := math.Pow(10, float64(d)); math.Abs(math.Round(v*r)/r-v) <= 1e-9*math.Max(1, math.Abs(v)) {
			return d
		}
	}
	return 6
}

// padRange sets an axis's range to [lo, hi] widened by a share of its span on both sides, so
// that no point or glyph sits on the frame.
func padRange(a *plot.Axis, lo, hi, share float64) {
	span := hi - lo
	if span <= 0 {
		span = math.Max(math.Abs(hi), 1)
	}
	a.Min, a.Max = lo-share*span, hi+share*span
}
