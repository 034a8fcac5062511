package figures

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// keyEntry is one entry of a figure's key: a sample of how something is drawn (a line, a
// glyph on it, a filled swatch, or several of these) and what it is.
type keyEntry struct {
	label string
	line  *draw.LineStyle  // a line across the sample
	glyph *draw.GlyphStyle // a glyph at its centre
	fill  color.Color      // a filled swatch
}

// lineKey, glyphKeyEntry and swatchKey make the usual entries.
func lineKey(label string, line draw.LineStyle, glyph *draw.GlyphStyle) keyEntry {
	return keyEntry{label: label, line: &line, glyph: glyph}
}

func glyphKeyEntry(label string, glyph draw.GlyphStyle) keyEntry {
	return keyEntry{label: label, glyph: &glyph}
}

func swatchKey(label string, fill color.Color) keyEntry { return keyEntry{label: label, fill: fill} }

// The key's geometry: a sample 9 mm wide, its label 1.5 mm after it, 4 mm between entries.
const (
	keySample = 9 * vg.Millimeter
	keyGap    = 1.5 * vg.Millimeter
	keySpace  = 4 * vg.Millimeter
)

func keyStyle() text.Style {
	return text.Style{Color: color.Black, Font: sans(vg.Points(CurrentStyle().FontSize * 0.9)),
		XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

// keyRows packs entries into rows no wider than width, in order; a label too long for a row of
// its own is wrapped.
func keyRows(entries []keyEntry, width vg.Length) [][]keyEntry {
	st := keyStyle()
	var rows [][]keyEntry
	var row []keyEntry
	used := vg.Length(0)
	for _, e := range entries {
		room := width - keySample - keyGap
		if st.Width(e.label) > room {
			e.label = wrap(e.label, int(float64(room)/(float64(st.Font.Size)*0.52)))
		}
		w := keySample + keyGap + st.Width(e.label)
		if len(row) > 0 && used+keySpace+w > width {
			rows, row, used = append(rows, row), nil, 0
		}
		if len(row) > 0 {
			used += keySpace
		}
		row = append(row, e)
		used += w
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// keyHeight is the height the key of entries takes at width, with its margins.
func keyHeight(entries []keyEntry, width vg.Length) vg.Length {
	if len(entries) == 0 {
		return 0
	}
	st := keyStyle()
	h := 2 * vg.Millimeter
	for _, row := range keyRows(entries, width) {
		h += rowHeight(st, row)
	}
	return h
}

func rowHeight(st text.Style, row []keyEntry) vg.Length {
	h := st.Font.Size * 1.5
	for _, e := range row {
		h = max(h, st.Height(e.label)+st.Font.Size*0.5)
	}
	return h
}

// drawKey draws the key at the bottom of dc, each row centred, and returns dc without it.
func drawKey(dc draw.Canvas, entries []keyEntry) draw.Canvas {
	if len(entries) == 0 {
		return dc
	}
	st := keyStyle()
	width := dc.Max.X - dc.Min.X
	rows := keyRows(entries, width)
	y := dc.Min.Y + vg.Millimeter
	for i := len(rows) - 1; i >= 0; i-- {
		row := rows[i]
		h := rowHeight(st, row)
		total := vg.Length(0)
		for j, e := range row {
			if j > 0 {
				total += keySpace
			}
			total += keySample + keyGap + st.Width(e.label)
		}
		x := dc.Min.X + (width-total)/2
		mid := y + h/2
		for _, e := range row {
			sample := vg.Rectangle{Min: vg.Point{X: x, Y: mid - st.Font.Size*0.45}, Max: vg.Point{X: x + keySample, Y: mid + st.Font.Size*0.45}}
			if e.fill != nil {
				dc.SetColor(e.fill)
				dc.Fill(sample.Path())
			}
			if e.line != nil {
				dc.StrokeLine2(*e.line, sample.Min.X, mid, sample.Max.X, mid)
			}
			if e.glyph != nil {
				dc.DrawGlyph(*e.glyph, vg.Point{X: x + keySample/2, Y: mid})
			}
			x += keySample + keyGap
			dc.FillText(st, vg.Point{X: x, Y: mid}, e.label)
			x += st.Width(e.label) + keySpace
		}
		y += h
	}
	return draw.Crop(dc, 0, 0, y-dc.Min.Y+vg.Millimeter, 0)
}
