package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit/figures"
)

// Finished is a run directory read back for reporting: its metrics and its PNG figures.
type Finished struct {
	Dir     string
	Metrics Metrics
	Figures []string // PNG files under figures/, sorted
}

// ReadFinished reads the metrics.json and lists the figures of a run directory.
func ReadFinished(dir string) (*Finished, error) {
	path := filepath.Join(dir, MetricsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("run %s: no metrics (is it a run directory that finished?): %w", dir, err)
	}
	f := &Finished{Dir: dir}
	if err := json.Unmarshal(data, &f.Metrics); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Metrics.Experiment == "" {
		return nil, fmt.Errorf("%s: no experiment name: expected a metrics.json written by a vaekit run", path)
	}
	if f.Figures, err = drawnFigures(dir); err != nil {
		return nil, err
	}
	return f, nil
}

// PNGs returns the PNG files among paths, in report order.
func PNGs(paths []string) []string {
	var out []string
	for _, p := range paths {
		if filepath.Ext(p) == ".png" {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return compareFigures(filepath.Base(a), filepath.Base(b)) })
	return out
}

// drawnFigures lists the PNG figures of a run directory, in report order.
func drawnFigures(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, FiguresDir, "*.png"))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(paths, func(a, b string) int { return compareFigures(filepath.Base(a), filepath.Base(b)) })
	return paths, nil
}

// MetricsTable lays out the test metrics of several runs side by side: one row per run; columns
// for the epochs, every test loss term (the objective first), every extra figure, the seconds
// per epoch and the backend. A run without a column's figure gets an empty cell.
func MetricsTable(runs []*Finished) (header []string, rows [][]string) {
	var terms, extras []string
	for _, r := range runs {
		for k := range r.Metrics.Test {
			if !slices.Contains(terms, k) {
				terms = append(terms, k)
			}
		}
		for k := range r.Metrics.Extra {
			if !slices.Contains(extras, k) {
				extras = append(extras, k)
			}
		}
	}
	slices.SortFunc(terms, func(a, b string) int { // the objective first
		if (a == "loss") != (b == "loss") {
			if a == "loss" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	slices.Sort(extras)
	header = []string{"run", "epochs"}
	for _, t := range terms {
		header = append(header, "test "+t)
	}
	header = append(header, extras...)
	header = append(header, "s/epoch", "backend")
	cell := func(m map[string]float64, k string) string {
		if v, ok := m[k]; ok {
			return formatNumber(v)
		}
		return ""
	}
	for _, r := range runs {
		row := []string{r.Metrics.Experiment, strconv.Itoa(r.Metrics.Epochs)}
		for _, t := range terms {
			row = append(row, cell(r.Metrics.Test, t))
		}
		for _, e := range extras {
			row = append(row, cell(r.Metrics.Extra, e))
		}
		backend, _, _ := strings.Cut(r.Metrics.Backend, " (")
		rows = append(rows, append(row, formatNumber(r.Metrics.SecondsPerEpoch), backend))
	}
	return header, rows
}

// formatNumber prints a figure with 4 significant digits, or 2 decimals when it is 100 or more.
func formatNumber(v float64) string {
	if v >= 100 || v <= -100 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// WriteTable prints the metrics table as aligned text.
func WriteTable(w io.Writer, runs []*Finished) error {
	header, rows := MetricsTable(runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// ExportReport writes a report (WriteReport) of the trained runs into dir with every figure drawn
// again in the given style (its size, resolution and type: figures.Style) under
// dir/figures/<experiment>/, as PNG, SVG and PDF: "export the figures for a report" in one call.
// The style is checked before anything is drawn; the runs' own figures stay as they are, and the
// figure style in force before is restored.
func ExportReport(dir string, style figures.Style, runs ...*Trained) ([]string, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("export: no runs given")
	}
	before := figures.CurrentStyle()
	if err := figures.SetStyle(style); err != nil {
		return nil, err
	}
	defer figures.SetStyle(before)
	var finished []*Finished
	for _, t := range runs {
		f, err := ReadFinished(t.Dir)
		if err != nil {
			return nil, err
		}
		paths, err := t.FiguresIn(filepath.Join(dir, "figures", f.Metrics.Experiment))
		if err != nil {
			return nil, err
		}
		f.Figures = PNGs(paths)
		finished = append(finished, f)
	}
	return WriteReport(dir, finished)
}

// copyFile copies src to dst whole (nothing to do when they are the same file).
func copyFile(src, dst string) error {
	if a, b := filepath.Clean(src), filepath.Clean(dst); a == b {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(dst, data)
}

// WriteReport writes report.md and report.html into dir: the metrics table of the runs, then
// every run's figures, copied under dir/figures/<experiment>/ so that the folder can be moved or
// attached as it is. It returns the paths written. Every file is written whole or not at all.
func WriteReport(dir string, runs []*Finished) ([]string, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("report: no runs given: expected one or more run directories")
	}
	var written []string
	type figure struct{ Title, Path string }
	type section struct {
		Name, Dir string
		Figures   []figure
	}
	var sections []section
	for _, r := range runs {
		s := section{Name: r.Metrics.Experiment, Dir: r.Dir}
		for _, src := range r.Figures {
			rel := filepath.ToSlash(filepath.Join("figures", r.Metrics.Experiment, filepath.Base(src)))
			dst := filepath.Join(dir, filepath.FromSlash(rel))
			if err := copyFile(src, dst); err != nil {
				return written, err
			}
			written = append(written, dst)
			title := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(src), ".png"), "_", " ")
			s.Figures = append(s.Figures, figure{Title: title, Path: rel})
		}
		sections = append(sections, s)
	}
	header, rows := MetricsTable(runs)

	var md bytes.Buffer
	md.WriteString("# vaekit report\n\n")
	md.WriteString("Test figures per image after the last epoch; loss terms in the units of each run's metrics.json.\n\n")
	md.WriteString("| " + strings.Join(header, " | ") + " |\n")
	md.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, row := range rows {
		md.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	for _, s := range sections {
		fmt.Fprintf(&md, "\n## %s\n\nRun directory: `%s`\n", s.Name, s.Dir)
		for _, f := range s.Figures {
			fmt.Fprintf(&md, "\n![%s](%s)\n", f.Title, f.Path)
		}
	}
	mdPath := filepath.Join(dir, "report.md")
	if err := atomicfile.Write(mdPath, md.Bytes()); err != nil {
		return written, err
	}
	written = append(written, mdPath)

	htmlPath := filepath.Join(dir, "report.html")
	err := atomicfile.WriteFunc(htmlPath, func(w io.Writer) error {
		return reportHTML.Execute(w, map[string]any{"Header": header, "Rows": rows, "Sections": sections})
	})
	if err != nil {
		return written, err
	}
	return append(written, htmlPath), nil
}

var reportHTML = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vaekit report</title>
<style>body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:.5em}img{max-width:32em}</style></head><body>
<h1>vaekit report</h1>
<p>Test figures per image after the last epoch; loss terms in the units of each run's metrics.json.</p>
<table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Sections}}<h2>{{.Name}}</h2><p>Run directory: <code>{{.Dir}}</code></p>
{{range .Figures}}<figure><img src="{{.Path}}" alt="{{.Title}}"><figcaption>{{.Title}}</figcaption></figure>
{{end}}{{end}}</body></html>
`))
