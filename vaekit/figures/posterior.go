package figures

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// KLPerDimension draws the KL of each latent dimension (kl, nats per image, averaged over a
// set of images) as bars, largest first, with the dimensions whose posterior mean varies over
// the images by more than threshold (active units, from meanVariance) in blue and the others
// (collapsed onto the prior) in vermillion, each marked with a cross (its bar is about 0 high); the title counts them and gives I(x; z) in nats (NaN:
// left out). A key under the plot says which colour is which.
func KLPerDimension(kl, meanVariance []float64, threshold, mutualInformation float64, title, base string) ([]string, error) {
	if len(kl) == 0 || len(meanVariance) != len(kl) {
		return nil, fmt.Errorf("KL per dimension %s: %d KL values and %d variances, expected one of each per latent dimension (at least 1)", base, len(kl), len(meanVariance))
	}
	order := make([]int, len(kl))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(kl[b], kl[a]) })
	active := 0
	for _, v := range meanVariance {
		if v > threshold {
			active++
		}
	}
	heading := fmt.Sprintf("%s\n%d of %d dimensions active", title, active, len(kl))
	if !math.IsNaN(mutualInformation) {
		heading += fmt.Sprintf("; I(x; z) = %.2f nats", mutualInformation)
	}
	st := CurrentStyle()
	p := newPlot(st, heading, "latent dimensions in order of KL (rank)", "KL, nats per image")
	w := st.width()
	barWidth := vg.Length(float64(w) * 0.75 / float64(len(kl)+1))
	var activeBars, inactiveBars plotter.Values
	for _, dim := range order {
		v := kl[dim]
		if meanVariance[dim] > threshold {
			activeBars, inactiveBars = append(activeBars, v), append(inactiveBars, 0)
		} else {
			activeBars, inactiveBars = append(activeBars, 0), append(inactiveBars, v)
		}
	}
	p.Add(plotter.NewGrid())
	for i, values := range []plotter.Values{activeBars, inactiveBars} {
		bars, err := plotter.NewBarChart(values, barWidth)
		if err != nil {
			return nil, fmt.Errorf("KL per dimension %s: %w", base, err)
		}
		bars.Color = palette[i]
		bars.LineStyle.Width = 0
		p.Add(data(bars))
	}
	// An inactive dimension's KL is about 0, a bar too low to see: a cross marks where it is.
	var collapsed plotter.XYs
	for rank, v := range inactiveBars {
		if meanVariance[order[rank]] <= threshold {
			collapsed = append(collapsed, plotter.XY{X: float64(rank), Y: v})
		}
	}
	if len(collapsed) > 0 {
		marks, err := plotter.NewScatter(collapsed)
		if err != nil {
			return nil, fmt.Errorf("KL per dimension %s: %w", base, err)
		}
		marks.GlyphStyle = draw.GlyphStyle{Color: palette[1], Radius: vg.Points(3), Shape: draw.CrossGlyph{}}
		p.Add(data(marks))
	}
	top := slices.Max(kl)
	p.Y.Min, p.Y.Max = 0, math.Max(top*1.08, 1e-3)
	p.X.Min, p.X.Max = -0.6, float64(len(kl))-0.4
	p.X.Tick.Marker = rankTicks{}
	key := []keyEntry{swatchKey(fmt.Sprintf("active: the posterior mean varies over the images by more than %g", threshold), palette[0]),
		glyphKeyEntry("inactive (collapsed onto the prior): a bar about 0 high, marked", draw.GlyphStyle{Color: palette[1], Radius: vg.Points(3), Shape: draw.CrossGlyph{}})}
	return saveWithKey([][]*plot.Plot{{p}}, w, w*0.55, "", key, base)
}
