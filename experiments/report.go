package experiments

import (
	"cmp"
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
	textTemplate "text/template"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
)

// Finished is a run directory read back for reporting: its metrics and its PNG figures.
type Finished struct {
	Dir     string
	Metrics Metrics
	Figures []string // PNG files under figures/, sorted
	// TestSeen: the run trained on its test split's images too (its manifest's train_on_all, or
	// for a run without one its recipe's TrainOnAll), so its "test" numbers are not held out.
	TestSeen bool
	// Family is the run's model family (params.json), "" if it does not say.
	Family string
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
	f.TestSeen = testSeen(dir, f.Metrics.Experiment)
	if data, err := os.ReadFile(filepath.Join(dir, ParamsFile)); err == nil {
		var p map[string]any
		if json.Unmarshal(data, &p) == nil {
			f.Family, _ = p["/"+vaekit.ParamModel].(string)
		}
	}
	return f, nil
}

// testSeen says whether the run in dir trained on its test split: its manifest says so, or, for
// a run without one, its recipe (a variant's is its recipe's).
func testSeen(dir, experiment string) bool {
	if data, err := os.ReadFile(filepath.Join(dir, ManifestFile)); err == nil {
		var m struct {
			TrainOnAll *bool `json:"train_on_all"`
		}
		if json.Unmarshal(data, &m) == nil && m.TrainOnAll != nil {
			return *m.TrainOnAll
		}
	}
	recipe, _, _ := strings.Cut(experiment, "[")
	exp, err := Lookup(recipe)
	return err == nil && exp.TrainOnAll
}

// seenNote is the line a report gives a run that trained on its test split, under the table.
func seenNote(name string) string {
	return "† " + name + " trained on the test split's images too (its recipe's choice, after its source): its test " +
		"numbers and the figures of test images are of images it trained on, not held out."
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

// metricColumns are the measures several runs hold: every test loss term (the objective first,
// then by name) and every extra, by name.
func metricColumns(runs []*Finished) (terms, extras []string) {
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
	return terms, extras
}

// cell is a measure printed by format, or empty when m lacks it.
func cell(m map[string]float64, key string, format func(float64) string) string {
	if v, ok := m[key]; ok {
		return format(v)
	}
	return ""
}

// backendName is the name of a run's training backend, without its configuration.
func backendName(m Metrics) string {
	name, _, _ := strings.Cut(m.Backend, " (")
	return name
}

// formatNumber prints a figure with 4 significant digits, or 2 decimals when it is 100 or more.
func formatNumber(v float64) string {
	if v >= 100 || v <= -100 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// WriteTable prints the runs' measures side by side as aligned text: the table of a report
// (one row per measure, with its unit and the images it is measured on, and one column per run),
// so that a notebook, the command line and a report show the same names, units and digits.
func WriteTable(w io.Writer, runs []*Finished) error {
	rows, _ := reportTable(runs)
	names, notes := columnNames(runs, runLabels(runs))
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(append([]string{"measure", "unit", "on"}, names...), "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(append([]string{r.Name, r.Unit, r.Split}, r.Values...), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var out strings.Builder
	for line := range strings.Lines(table.String()) { // without the padding of empty last cells
		out.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	for _, n := range notes {
		out.WriteString(n + "\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// ExportReport writes a report (WriteReport) of the trained runs into dir with every figure drawn
// again in the given style (its size, resolution and type: figures.Style) under
// dir/figures/<experiment>/, as PNG, SVG and PDF: "export the figures for a report" in one call.
// The style is checked before anything is drawn; the runs' own figures stay as they are, and the
// figure style in force before is restored.
func ExportReport(dir string, style figures.Style, runs ...*Trained) ([]string, error) {
	return ExportNotebook(dir, style, nil, runs...)
}

// OwnFigure is a figure a notebook draws itself (a temperature row, a traversal, the class
// means), beside the figure kinds every run draws: Draw writes it as base.png, .svg and .pdf in
// the current figure style and returns the paths (figures.ImageGrid and the other figures
// functions do). Name is its file name, Caption says what it shows, on which data, and how to
// read it.
type OwnFigure struct {
	Name, Caption string
	Draw          func(base string) ([]string, error)
}

// ExportNotebook is ExportReport with a notebook's own figures too: each is drawn again in the
// style under dir/figures/notebook/ and the report shows them after the runs' figures, under
// the heading "Figures the notebook drew", with their captions. Every name is checked (a plain
// file name, given once) and every figure must have a caption and a drawing function before
// anything is drawn.
func ExportNotebook(dir string, style figures.Style, own []OwnFigure, runs ...*Trained) ([]string, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("export: no runs given")
	}
	names := map[string]bool{}
	for i, f := range own {
		switch {
		case f.Name == "" || f.Name != filepath.Base(f.Name) || strings.ContainsAny(f.Name, `/\.`):
			return nil, fmt.Errorf("export: own figure %d is named %q: expected a plain file name without extension, such as \"temperature\"", i, f.Name)
		case names[f.Name]:
			return nil, fmt.Errorf("export: own figure %q is given twice: expected each name once", f.Name)
		case f.Caption == "":
			return nil, fmt.Errorf("export: own figure %q has no caption: expected what it shows, on which data, and how to read it", f.Name)
		case f.Draw == nil:
			return nil, fmt.Errorf("export: own figure %q has no drawing function", f.Name)
		}
		names[f.Name] = true
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
		finished = append(finished, f)
	}
	labels := runLabels(finished)
	for i, t := range runs {
		paths, err := t.FiguresIn(filepath.Join(dir, "figures", labelFolder(labels[i])))
		if err != nil {
			return nil, err
		}
		finished[i].Figures = PNGs(paths)
	}
	drawn, err := drawOwn(dir, own)
	if err != nil {
		return nil, err
	}
	return writeReport(dir, finished, drawn)
}

// drawOwn draws a notebook's own figures into the report folder dir, in the current style.
func drawOwn(dir string, own []OwnFigure) ([]ownDrawn, error) {
	var drawn []ownDrawn
	for _, f := range own {
		base := filepath.Join(dir, "figures", ownFiguresDir, f.Name)
		if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
			return nil, err
		}
		paths, err := f.Draw(base)
		if err != nil {
			return nil, fmt.Errorf("export: own figure %q: %w", f.Name, err)
		}
		png := PNGs(paths)
		if len(png) != 1 {
			return nil, fmt.Errorf("export: own figure %q drew %d PNG files (%v): expected one", f.Name, len(png), paths)
		}
		drawn = append(drawn, ownDrawn{caption: f.Caption, png: png[0]})
	}
	return drawn, nil
}

// ownFiguresDir is the folder of a report's figures under which a notebook's own figures go.
const ownFiguresDir = "notebook"

// ownHeading is the report's heading over a notebook's own figures.
const ownHeading = "Figures the notebook drew"

// ownDrawn is a notebook's own figure drawn for a report: its caption and its PNG (its SVG and
// PDF twins beside it).
type ownDrawn struct{ caption, png string }

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

// reportRow is one measure of a report's table: its name, unit and split, and its value for each
// run (empty where a run lacks it).
type reportRow struct {
	Name, Unit, Split string
	Values            []string
}

// reportTable lays out the runs' measures with one row per measure and one column per run, so
// that it fits a page for a few runs: the epochs, every test loss term (the objective first, in
// the unit its run's figures use), every extra (named, united and ordered by metricInfos, printed
// to its precision), the seconds per epoch and the backend. It returns the rows and the
// descriptions of the extras shown, for the definitions under the table.
func reportTable(runs []*Finished) (rows []reportRow, defs []metricInfo) {
	terms, extras := metricColumns(runs)
	slices.SortStableFunc(extras, func(a, b string) int { return metricRank(a) - metricRank(b) })
	each := func(f func(r *Finished) string) []string {
		v := make([]string, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		return v
	}
	rows = append(rows, reportRow{Name: "epochs trained", Values: each(func(r *Finished) string { return strconv.Itoa(r.Metrics.Epochs) })})
	for _, term := range terms {
		unit := "per image"
		for _, r := range runs {
			if a, ok := r.Metrics.Axes[term]; ok && a.Unit != "" {
				unit = a.Unit
				break
			}
		}
		// A term of the same name means another thing where the runs' units say another thing (a
		// VAE's loss is its negative ELBO, a GAN's the sum of its players' losses): one row per
		// meaning then, named by the families that share it.
		var meanings []string
		families := map[string][]string{}
		for _, r := range runs {
			if _, ok := r.Metrics.Test[term]; !ok {
				continue
			}
			if !slices.Contains(meanings, r.Metrics.Units) {
				meanings = append(meanings, r.Metrics.Units)
			}
			if f := r.Family; f != "" && !slices.Contains(families[r.Metrics.Units], f) {
				families[r.Metrics.Units] = append(families[r.Metrics.Units], f)
			}
		}
		for _, meaning := range meanings {
			name := strings.ReplaceAll(term, "_", " ")
			if len(meanings) > 1 && len(families[meaning]) > 0 {
				name += " (" + strings.Join(families[meaning], ", ") + ")"
			}
			rows = append(rows, reportRow{Name: name, Unit: unit, Split: "test", Values: each(func(r *Finished) string {
				if len(meanings) > 1 && r.Metrics.Units != meaning {
					return ""
				}
				return cell(r.Metrics.Test, term, formatNumber)
			})})
		}
	}
	for _, key := range extras {
		m := describeMetric(key)
		format := func(v float64) string { return formatDigits(v, m.digits) }
		rows = append(rows, reportRow{Name: m.name, Unit: m.unit, Split: m.split,
			Values: each(func(r *Finished) string { return cell(r.Metrics.Extra, key, format) })})
		if m.about != "" {
			defs = append(defs, m)
		}
	}
	rows = append(rows, reportRow{Name: "training time per epoch", Unit: "seconds",
		Values: each(func(r *Finished) string { return formatNumber(r.Metrics.SecondsPerEpoch) })})
	rows = append(rows, reportRow{Name: "backend", Values: each(func(r *Finished) string { return backendName(r.Metrics) })})
	return rows, defs
}

// figureCaption is a report figure's caption: what the figure kind shows (figureKinds), of which
// run (its label: runLabels) after how many epochs, so that it stands alone when pasted elsewhere.
func figureCaption(file, label string, m Metrics) string {
	return fmt.Sprintf("%s. Run %s, after %d epochs.", kindAbout(strings.TrimSuffix(filepath.Base(file), ".png")), label, m.Epochs)
}

// runLabels names the runs of a report: each its experiment, and where two or more runs share
// one (a notebook's run of a recipe beside the recipe's record), a record among them is called
// "NAME (record)" and any still alike "NAME (2)", "NAME (3)", in order, so that no two columns,
// sections or figure folders share a name.
func runLabels(runs []*Finished) []string {
	count := map[string]int{}
	for _, r := range runs {
		count[r.Metrics.Experiment]++
	}
	labels := make([]string, len(runs))
	used := map[string]int{}
	for i, r := range runs {
		label := r.Metrics.Experiment
		if count[label] > 1 && isRecordDir(r.Dir) {
			label += " (record)"
		}
		if used[label]++; used[label] > 1 {
			label = fmt.Sprintf("%s (%d)", label, used[label])
		}
		labels[i] = label
	}
	return labels
}

// columnNames are the runs' labels as a table's columns name them, a run that trained on its
// test split marked "†", and the notes that say so.
func columnNames(runs []*Finished, labels []string) (names, notes []string) {
	for i, r := range runs {
		name := labels[i]
		if r.TestSeen {
			name += "†"
			notes = append(notes, seenNote(r.Metrics.Experiment))
		}
		names = append(names, name)
	}
	return names, notes
}

// labelFolder is the folder of a run's figures in a report: its label as a file name
// ("mnist-vqvae (record)" -> "mnist-vqvae-record").
func labelFolder(label string) string {
	return strings.NewReplacer(" (", "-", ")", "", " ", "-").Replace(label)
}

// seenCaption is figureCaption for a run that trained on its test split: its test images are
// called what they are.
func seenCaption(caption string) string {
	return strings.NewReplacer("Test images", "Test-split images (trained on)", "test images", "test-split images (trained on)",
		"the test set", "the test split (trained on)").Replace(caption)
}

// figure is one figure of a report; section is one run's figures.
type (
	figure  struct{ Caption, Path, PDF string }
	section struct {
		Name, Dir string
		Figures   []figure
	}
	// group is a figure kind that several runs drew, shown side by side: one cell per run.
	group struct {
		Caption string
		Cells   []groupCell
	}
	groupCell struct{ Run, Path, PDF string }
)

// sideKinds are the figure kinds a report of several runs puts side by side: image grids, which
// stay readable at a fraction of the page's width (curves keep the width of their own section).
var sideKinds = []string{"samples", "class_samples", "reconstructions", "latent_manifold"}

// sideBySide takes out of sections the figures of every kind of sideKinds that two or more runs
// drew and returns them as groups, in sideKinds' order, with a caption naming the runs left to
// right (names carry the dagger of a run that trained on its test split).
func sideBySide(sections []section, names []string, runs []*Finished) []group {
	var groups []group
	for _, kind := range sideKinds {
		var g group
		var labels []string
		for i := range sections {
			for _, f := range sections[i].Figures {
				if filepath.Base(f.Path) == kind+".png" {
					g.Cells = append(g.Cells, groupCell{Run: names[i], Path: f.Path, PDF: f.PDF})
					labels = append(labels, fmt.Sprintf("%s (after %d epochs)", names[i], runs[i].Metrics.Epochs))
				}
			}
		}
		if len(g.Cells) < 2 {
			continue
		}
		for i := range sections {
			sections[i].Figures = slices.DeleteFunc(sections[i].Figures, func(f figure) bool { return filepath.Base(f.Path) == kind+".png" })
		}
		about := kindAbout(kind)
		g.Caption = fmt.Sprintf("%s. Left to right: %s.", about, strings.Join(labels, ", "))
		for _, c := range g.Cells {
			if strings.HasSuffix(c.Run, "†") && strings.Contains(strings.ToLower(about), "test") {
				g.Caption += " † trained on the test split: its test images are ones it trained on."
				break
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// statedDifferences says, for every row of the table with a number for two or more runs, where
// it is lowest and where highest (or that it is the same in all), so that a comparison's
// differences are read off in words.
func statedDifferences(rows []reportRow, names []string) []string {
	var out []string
	for _, r := range rows {
		type value struct {
			v    float64
			text string
			run  string
		}
		var vs []value
		for i, text := range r.Values {
			if v, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64); err == nil && text != "" {
				vs = append(vs, value{v, text, names[i]})
			}
		}
		if len(vs) < 2 || r.Name == "epochs trained" {
			continue
		}
		lo := slices.MinFunc(vs, func(a, b value) int { return cmp.Compare(a.v, b.v) })
		hi := slices.MaxFunc(vs, func(a, b value) int { return cmp.Compare(a.v, b.v) })
		if lo.v == hi.v {
			where := "every run"
			if len(vs) < len(names) {
				where = fmt.Sprintf("the %d runs that have it", len(vs))
			}
			out = append(out, fmt.Sprintf("%s: %s in %s", r.Name, lo.text, where))
			continue
		}
		out = append(out, fmt.Sprintf("%s: lowest %s (%s), highest %s (%s)", r.Name, lo.text, lo.run, hi.text, hi.run))
	}
	return out
}

// WriteReport writes report.md, report.html, report.tex (to \input) and report-standalone.tex
// into dir: the runs' measures in one table (a row
// per measure with its unit and split, a column per run) with their definitions, then every
// run's figures with captions that stand alone, copied under dir/figures/<experiment>/ so that
// the folder can be moved or attached as it is. It returns the paths written. Every file is
// written whole or not at all.
func WriteReport(dir string, runs []*Finished) ([]string, error) {
	return writeReport(dir, runs, nil)
}

// writeReport is WriteReport with a notebook's own figures, already drawn into the report's
// folder, shown after the runs' figures.
func writeReport(dir string, runs []*Finished, own []ownDrawn) ([]string, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("report: no runs given: expected one or more run directories")
	}
	var written []string
	var sections []section
	labels := runLabels(runs)
	names, notes := columnNames(runs, labels)
	for i, r := range runs {
		s := section{Name: labels[i], Dir: filepath.Base(filepath.Clean(r.Dir))}
		for _, src := range r.Figures {
			rel := filepath.ToSlash(filepath.Join("figures", labelFolder(labels[i]), filepath.Base(src)))
			placed, pdf, err := placeFigure(dir, src, rel)
			written = append(written, placed...)
			if err != nil {
				return written, err
			}
			caption := figureCaption(src, labels[i], r.Metrics)
			if r.TestSeen {
				caption = seenCaption(caption)
			}
			s.Figures = append(s.Figures, figure{Caption: caption, Path: rel, PDF: pdf})
		}
		sections = append(sections, s)
	}
	rows, defs := reportTable(runs)
	groups := sideBySide(sections, names, runs)
	differences := statedDifferences(rows, names)
	if len(own) > 0 {
		s := section{Name: ownHeading}
		for _, f := range own {
			rel := filepath.ToSlash(filepath.Join("figures", ownFiguresDir, filepath.Base(f.png)))
			placed, pdf, err := placeFigure(dir, f.png, rel)
			written = append(written, placed...)
			if err != nil {
				return written, err
			}
			s.Figures = append(s.Figures, figure{Caption: f.caption, Path: rel, PDF: pdf})
		}
		sections = append(sections, s)
	}

	type definition struct{ Name, About string }
	var definitions []definition
	for _, d := range defs {
		definitions = append(definitions, definition{d.name, d.about})
	}
	model := map[string]any{"Runs": names, "Rows": rows, "Notes": notes, "Definitions": definitions,
		"Differences": differences, "Groups": groups, "Sections": sections}
	for _, form := range []struct {
		file string
		tmpl interface{ Execute(io.Writer, any) error }
	}{{"report.md", reportMarkdown}, {"report.html", reportHTML}, {"report.tex", reportLaTeX}} {
		path := filepath.Join(dir, form.file)
		if err := atomicfile.WriteFunc(path, func(w io.Writer) error { return form.tmpl.Execute(w, model) }); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	standalone := filepath.Join(dir, "report-standalone.tex")
	doc := "\\documentclass[a4paper,11pt]{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[margin=2cm]{geometry}\n" +
		"\\usepackage{booktabs,graphicx}\n\\begin{document}\n\\section*{vaekit report}\n\\input{report}\n\\end{document}\n"
	if err := atomicfile.Write(standalone, []byte(doc)); err != nil {
		return written, err
	}
	return append(written, standalone), nil
}

// placeFigure puts the PNG src into the report folder dir at rel (a slash path), with its SVG
// twin (for pages and slides) and its PDF twin (for LaTeX) where they lie beside it; a file
// already in place is not copied. It returns the files placed and the path report.tex includes:
// the PDF twin, else the PNG (a record keeps PNGs only, which LaTeX takes too).
func placeFigure(dir, src, rel string) (placed []string, tex string, err error) {
	tex = rel
	for _, ext := range []string{".png", ".svg", ".pdf"} {
		from := strings.TrimSuffix(src, ".png") + ext
		if ext != ".png" && !fileExists(from) {
			continue
		}
		to := strings.TrimSuffix(rel, ".png") + ext
		if err := copyFile(from, filepath.Join(dir, filepath.FromSlash(to))); err != nil {
			return placed, tex, err
		}
		placed = append(placed, filepath.Join(dir, filepath.FromSlash(to)))
		if ext == ".pdf" {
			tex = to
		}
	}
	return placed, tex, nil
}

// latexEscape makes text safe in LaTeX's text mode.
func latexEscape(s string) string {
	r := strings.NewReplacer(`\`, `\textbackslash{}`, "&", `\&`, "%", `\%`, "$", `\$`, "#", `\#`, "_", `\_`,
		"{", `\{`, "}", `\}`, "~", `\textasciitilde{}`, "^", `\textasciicircum{}`)
	return r.Replace(s)
}

// fileExists says whether path names a file that can be stat'ed.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// The report's three forms are one model (the runs' names, the table's rows, the notes,
// definitions and stated differences, the side-by-side groups and each run's figures) rendered
// by three templates: Markdown, HTML (reportHTML, with its stylesheet) and a LaTeX fragment.
var textFuncs = textTemplate.FuncMap{
	"tex":      latexEscape,
	"rule":     func(n int) string { return strings.Repeat(" --- |", n) },
	"columns":  func(n int) string { return strings.Repeat("r", n) },
	"minipage": func(n int) string { return fmt.Sprintf("%.3f", 0.96/float64(n)) },
	"add":      func(a, b int) int { return a + b },
}

var reportMarkdown = textTemplate.Must(textTemplate.New("report.md").Funcs(textFuncs).Parse("# vaekit report\n\n" +
	"Each run's measures after its last epoch, per image where the unit says so.\n\n" +
	"| measure | unit | on |{{range .Runs}} {{.}} |{{end}}\n" +
	"|{{rule (add 3 (len .Runs))}}\n" +
	"{{range .Rows}}| {{.Name}} | {{.Unit}} | {{.Split}} |{{range .Values}} {{.}} |{{end}}\n{{end}}" +
	"{{if .Notes}}\n{{range $i, $n := .Notes}}{{if $i}}\n\n{{end}}{{$n}}{{end}}\n{{end}}" +
	"{{if .Definitions}}\n{{range .Definitions}}- **{{.Name}}**: {{.About}}.\n{{end}}{{end}}" +
	"{{if .Differences}}\nDifferences between the runs:\n\n{{range .Differences}}- {{.}}\n{{end}}{{end}}" +
	"{{if .Groups}}\n## Side by side\n{{range .Groups}}\n|{{range .Cells}} {{.Run}} |{{end}}\n|{{rule (len .Cells)}}\n|" +
	"{{range .Cells}} ![{{.Run}}]({{.Path}}) |{{end}}\n\n{{.Caption}}\n{{end}}{{end}}" +
	"{{range .Sections}}\n## {{.Name}}\n{{if .Dir}}\nRun directory: `{{.Dir}}`\n{{end}}" +
	"{{range .Figures}}\n![{{.Caption}}]({{.Path}})\n\n{{.Caption}}\n{{end}}{{end}}"))

// reportLaTeX is report.tex, to \input in a document that loads booktabs and graphicx
// (report-standalone.tex is one): a booktabs table and a figure environment per figure (the PDF
// twin where there is one).
var reportLaTeX = textTemplate.Must(textTemplate.New("report.tex").Funcs(textFuncs).Parse(
	`% vaekit report: \input{report} in a document that loads booktabs and graphicx
% (report-standalone.tex is one). Generated by experiments report; do not edit.
\begin{table}[htbp]
\centering\small
\begin{tabular}{lll{{columns (len .Runs)}}}
\toprule
measure & unit & on{{range .Runs}} & {{tex .}}{{end}} \\
\midrule
{{range .Rows}}{{tex .Name}} & {{tex .Unit}} & {{tex .Split}}{{range .Values}} & {{tex .}}{{end}} \\
{{end}}\bottomrule
\end{tabular}
\caption{Each run's measures after its last epoch, per image where the unit says so.}
\end{table}
{{range .Notes}}
{{tex .}}
{{end}}{{if .Definitions}}\begin{description}
{{range .Definitions}}\item[{{tex .Name}}] {{tex .About}}.
{{end}}\end{description}
{{end}}{{if .Differences}}Differences between the runs:
\begin{itemize}
{{range .Differences}}\item {{tex .}}
{{end}}\end{itemize}
{{end}}{{range .Groups}}\begin{figure}[htbp]
\centering
{{$w := minipage (len .Cells)}}{{range .Cells}}\begin{minipage}[t]{ {{- $w}}\linewidth}\centering\includegraphics[width=\linewidth]{ {{- .PDF}}}\\\small {{tex .Run}}\end{minipage}\hfill
{{end}}\caption{ {{- tex .Caption}}}
\end{figure}
{{end}}{{range .Sections}}{{range .Figures}}\begin{figure}[htbp]
\centering
\includegraphics[width=\linewidth]{ {{- .PDF}}}
\caption{ {{- tex .Caption}}}
\end{figure}
{{end}}{{end}}`))

var reportHTML = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vaekit report</title>
<style>
body{font-family:"DejaVu Sans",sans-serif;max-width:60em;margin:1em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ccc;padding:.25em .6em;text-align:right}
td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}th{border-bottom:2px solid #444}
dl{font-size:.9em}dt{font-weight:bold;float:left;clear:left;margin-right:.4em;break-after:avoid}dd{margin:0 0 .3em 0;break-before:avoid}
.def{break-inside:avoid}
figure{margin:1em 0;break-inside:avoid;page-break-inside:avoid}img{max-width:100%}figcaption{font-size:.9em;color:#333}
h2{break-after:avoid}
.cells{display:flex;gap:.6em}.cell{flex:1;min-width:0;text-align:center}.cell img{width:100%}.run{font-size:.85em}
.diffs{font-size:.9em}.diffs li{break-inside:avoid}
@media print{body{max-width:none;margin:0}table{font-size:.85em}@page{size:A4;margin:15mm}}
</style></head><body>
<h1>vaekit report</h1>
<p>Each run's measures after its last epoch, per image where the unit says so.</p>
<table><tr><th>measure</th><th>unit</th><th>on</th>{{range .Runs}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{.Unit}}</td><td>{{.Split}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Notes}}<p>{{.}}</p>
{{end}}{{if .Definitions}}<dl>{{range .Definitions}}<div class="def"><dt>{{.Name}}</dt><dd>{{.About}}.</dd></div>{{end}}</dl>{{end}}
{{if .Differences}}<p>Differences between the runs:</p><ul class="diffs">{{range .Differences}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Groups}}<h2>Side by side</h2>
{{range .Groups}}<figure class="side"><div class="cells">{{range .Cells}}<div class="cell"><img src="{{.Path}}" alt="{{.Run}}"><div class="run">{{.Run}}</div></div>{{end}}</div><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{end}}
{{range .Sections}}<h2>{{.Name}}</h2>{{if .Dir}}<p>Run directory: <code>{{.Dir}}</code></p>{{end}}
{{range .Figures}}<figure><img src="{{.Path}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{end}}</body></html>
`))
