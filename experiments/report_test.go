package experiments

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/figures"
)

// fakeRun writes a run directory holding metrics and the named (dummy) figures.
func fakeRun(t *testing.T, dir string, m Metrics, figures ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "figures"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range figures {
		if err := os.WriteFile(filepath.Join(dir, "figures", f), []byte("png of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTableAndReport(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, filepath.Join(root, "a"), Metrics{Experiment: "vae-run", Epochs: 20, Test: map[string]float64{"kl": 24.4, "loss": 101.4, "reconstruction": 77},
		SecondsPerEpoch: 27.8, Backend: `Go Backend (GOMLX_BACKEND="go"), SIMD`}, "samples.png", "loss_curves.png")
	fakeRun(t, filepath.Join(root, "b"), Metrics{Experiment: "vq-run", Epochs: 2, Test: map[string]float64{"loss": 198.65, "codebook": 30.29},
		Extra: map[string]float64{"codes_in_use_fraction": 0.8828125}, Backend: "XLA"}, "code_map.png")
	runs := readRuns(t, root, "a", "b")
	if got := []string{filepath.Base(runs[0].Figures[0]), filepath.Base(runs[0].Figures[1])}; !slices.Equal(got, []string{"loss_curves.png", "samples.png"}) {
		t.Errorf("figures in order %v, want loss curves first", got)
	}
	// The text table is the report's: a row per measure with its unit and split, a column per
	// run, a loss term in its run's figures' unit; the extras named, united and printed to their
	// precision; a run trained on its test split marked.
	runs[1].TestSeen = true
	var text strings.Builder
	if err := WriteTable(&text, runs); err != nil {
		t.Fatal(err)
	}
	runs[1].TestSeen = false
	wantText := "measure                  unit       on    vae-run     vq-run†\n" +
		"epochs trained                            20          2\n" +
		"loss                     per image  test  101.40      198.65\n" +
		"codebook                 per image  test              30.29\n" +
		"kl                       per image  test  24.4\n" +
		"reconstruction           per image  test  77\n" +
		"codes in use             fraction   test              0.883\n" +
		"training time per epoch  seconds          27.8        0\n" +
		"backend                                   Go Backend  XLA\n" +
		seenNote("vq-run") + "\n"
	if text.String() != wantText {
		t.Errorf("WriteTable:\n%s\nwant\n%s", text.String(), wantText)
	}

	out := filepath.Join(root, "report")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	written, err := WriteReport(out, runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 7 {
		t.Errorf("wrote %d files, want 3 figures, report.md, report.html, report.tex and report-standalone.tex", len(written))
	}
	// LaTeX: a booktabs table with the same rows, escaped, and a figure environment per figure.
	tex, _ := os.ReadFile(filepath.Join(out, "report.tex"))
	for _, want := range []string{`\begin{tabular}{lllrr}`, `measure & unit & on & vae-run & vq-run \\`, `codes in use & fraction & test &  & 0.883 \\`,
		`\includegraphics[width=\linewidth]{figures/vq-run/code_map.png}`, `\caption{Test images above their VQ-VAE code grids: the seven codes used most in them in a colour each, the others in grey, and each cell's code written in it where the cells leave room for 7 pt type. Run vq-run, after 2 epochs.}`} {
		if !strings.Contains(string(tex), want) {
			t.Errorf("report.tex lacks %q:\n%s", want, tex)
		}
	}
	if got := latexEscape(`50% of x_1 & {a} #2 $3 ~ ^`); got != `50\% of x\_1 \& \{a\} \#2 \$3 \textasciitilde{} \textasciicircum{}` {
		t.Errorf("latexEscape = %q", got)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	// One row per measure with its unit and split and a column per run; the extras named and
	// printed to their precision (3 digits for a fraction), defined under the table; captions
	// that say what the figure shows, of which run, after how many epochs; no absolute paths.
	for _, want := range []string{
		"| measure | unit | on | vae-run | vq-run |",
		"| epochs trained |  |  | 20 | 2 |",
		"| loss | per image | test | 101.40 | 198.65 |",
		"| codes in use | fraction | test |  | 0.883 |",
		"- **codes in use**: share of the codebook chosen at least once on the test images.",
		"## vq-run\n\nRun directory: `b`",
		"![Test images above their VQ-VAE code grids: the seven codes used most in them in a colour each, the others in grey, and each cell's code written in it where the cells leave room for 7 pt type. Run vq-run, after 2 epochs.](figures/vq-run/code_map.png)",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "figures", "vq-run", "code_map.png")); err != nil || string(b) != "png of code_map.png" {
		t.Errorf("copied figure: %q, %v", b, err)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(html), `<img src="figures/vae-run/loss_curves.png"`) || !strings.Contains(string(html), "<td>101.40</td>") ||
		!strings.Contains(string(html), "<dt>codes in use</dt>") || strings.Contains(string(html), root) {
		t.Errorf("report.html lacks the table or the figures:\n%s", html)
	}
	if _, err := WriteReport(out, nil); err == nil {
		t.Error("WriteReport of no runs: want an error")
	}
	if _, err := ReadFinished(filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "metrics") {
		t.Errorf("ReadFinished of a missing run: error %v", err)
	}
}

// Measures print to their precision without an exponent, and an NLL key of any k is named with it.
func TestMetricDescriptions(t *testing.T) {
	for _, tt := range []struct {
		v      float64
		digits int
		want   string
	}{{101.4026, 4, "101.4"}, {0.8828125, 3, "0.883"}, {95.624, 4, "95.62"}, {8, 2, "8.0"}, {0.0043, 3, "0.00430"}, {24012.6, 4, "24013"}, {0, 3, "0"}} {
		if got := formatDigits(tt.v, tt.digits); got != tt.want {
			t.Errorf("formatDigits(%g, %d) = %q, want %q", tt.v, tt.digits, got, tt.want)
		}
	}
	if m := describeMetric("test_nll_iw_k5000_nats"); m.name != "NLL, k = 5000" || m.unit != "nats per image" {
		t.Errorf("describeMetric(test_nll_iw_k5000_nats) = %+v", m)
	}
	if m := describeMetric("something_new"); m.name != "something_new" || m.about != "" {
		t.Errorf("describeMetric of an unknown key = %+v, want the key as its name", m)
	}
	// Every extra the evaluation writes has a description (the keys are spelled in the code).
	for _, key := range []string{"test_reconstruction_bce_nats", "test_reconstruction_squared_error", "test_active_units_dimensions",
		"test_mutual_information_nats", "sample_frechet_distance_features", "sample_kernel_distance_features", "sample_precision_fraction",
		"sample_recall_fraction", "sample_score_classes", "sample_confidence_fraction", "sample_class_entropy_nats", "class_fidelity_fraction",
		"classifier_test_accuracy_fraction", "test_accuracy_fraction", "codebook_perplexity_codes", "codes_in_use_fraction", "code_prior_test_nll_nats"} {
		if describeMetric(key).about == "" {
			t.Errorf("%s has no description", key)
		}
	}
}

// A run that trained on its test split (its manifest's train_on_all, or its recipe's
// TrainOnAll) is marked in the table with a note under it, and its captions call its test
// images what they are; a held-out run is not marked.
func TestReportMarksRunsThatTrainedOnTheirTestSplit(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, filepath.Join(root, "seen"), Metrics{Experiment: "seen-run", Epochs: 3, Test: map[string]float64{"loss": 150}},
		"reconstructions.png", "label_clusters.png")
	if err := os.WriteFile(filepath.Join(root, "seen", ManifestFile), []byte(`{"train_on_all": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fakeRun(t, filepath.Join(root, "held"), Metrics{Experiment: "mnist-mlp-vae", Epochs: 2, Test: map[string]float64{"loss": 100}},
		"reconstructions.png")
	fakeRun(t, filepath.Join(root, "recipe"), Metrics{Experiment: "mnist-keras-vae", Epochs: 2, Test: map[string]float64{"loss": 140}})
	runs := readRuns(t, root, "seen", "held", "recipe")
	out := filepath.Join(root, "report")
	if _, err := WriteReport(out, runs); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"report.md", "report.html", "report.tex"} {
		text, err := os.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		s := string(text)
		if file == "report.html" {
			s = html.UnescapeString(s)
		}
		for _, want := range []string{"seen-run†", "† seen-run trained on the test split's images too", "mnist-keras-vae†",
			"† trained on the test split: its test images are ones it trained on.",
			"The latent points of test-split images (trained on), coloured by class"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
		if strings.Contains(s, "mnist-mlp-vae†") || strings.Contains(s, "† mnist-mlp-vae") {
			t.Errorf("%s marks the held-out run mnist-mlp-vae as trained on its test split", file)
		}
	}
}

// A loss term of one name and two meanings (a VAE's negative ELBO, a GAN's players' sum: their
// units say so) gets a row per meaning, named by its families and filled only for their runs;
// two GAN families share theirs, and one meaning keeps one row.
func TestReportSplitsATermOfTwoMeanings(t *testing.T) {
	root := t.TempDir()
	for name, family := range map[string]string{"v": "vae", "g": "gan", "w": "vae", "d": "dcgan"} {
		units := map[string]string{"vae": "negative ELBO", "gan": "players' sum", "dcgan": "players' sum"}[family]
		fakeRun(t, filepath.Join(root, name), Metrics{Experiment: name + "-run", Epochs: 1, Units: units,
			Test: map[string]float64{"loss": map[string]float64{"vae": 100, "gan": 2, "dcgan": 3}[family]}})
		if err := os.WriteFile(filepath.Join(root, name, ParamsFile), []byte(`{"/model": "`+family+`"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runs := readRuns(t, root, "v", "g", "w", "d")
	rows, _ := reportTable(runs)
	got := map[string][]string{}
	for _, r := range rows {
		got[r.Name] = r.Values
	}
	if v := got["loss (vae)"]; !slices.Equal(v, []string{"100.00", "", "100.00", ""}) {
		t.Errorf("loss (vae) row %q, want the two VAE runs only", v)
	}
	if v := got["loss (gan, dcgan)"]; !slices.Equal(v, []string{"", "2", "", "3"}) {
		t.Errorf("loss (gan, dcgan) row %q, want the two GAN runs only (rows %v)", v, got)
	}
	if _, ok := got["loss"]; ok {
		t.Error("a single loss row mixes the two families")
	}
	one, _ := reportTable(runs[:1])
	if one[1].Name != "loss" {
		t.Errorf("one family: row %q, want \"loss\"", one[1].Name)
	}
}

// Several runs: the image grids two or more of them drew stand side by side (out of the runs' own
// sections), in all three forms, and the differences of every row with two numbers are stated.
func TestReportPutsRunsSideBySide(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, filepath.Join(root, "a"), Metrics{Experiment: "a-run", Epochs: 2, Test: map[string]float64{"loss": 100}}, "samples.png", "loss_curves.png")
	fakeRun(t, filepath.Join(root, "b"), Metrics{Experiment: "b-run", Epochs: 3, Test: map[string]float64{"loss": 90}}, "samples.png", "reconstructions.png")
	runs := readRuns(t, root, "a", "b")
	out := filepath.Join(root, "report")
	if _, err := WriteReport(out, runs); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	tex, _ := os.ReadFile(filepath.Join(out, "report.tex"))
	caption := "Left to right: a-run (after 2 epochs), b-run (after 3 epochs)."
	for file, text := range map[string]string{"md": string(md), "html": html.UnescapeString(string(page)), "tex": string(tex)} {
		if !strings.Contains(text, caption) || !strings.Contains(text, "loss: lowest 90 (b-run), highest 100.00 (a-run)") {
			t.Errorf("%s: no side-by-side caption %q or stated difference:\n%s", file, caption, text)
		}
		if n := strings.Count(text, "samples.png"); file != "tex" && n != 2 {
			t.Errorf("%s: samples.png %d times, want once per run (side by side only)", file, n)
		}
		if !strings.Contains(text, "reconstructions.png") && !strings.Contains(text, "reconstructions") {
			t.Errorf("%s: the figure only one run drew is gone", file)
		}
	}
	if n := strings.Count(string(tex), "minipage}[t]{0.480"); n != 2 {
		t.Errorf("tex: %d side-by-side minipages of 0.48 of the line, want 2:\n%s", n, tex)
	}
}

// readRuns reads the finished runs in the named folders of root.
func readRuns(t *testing.T, root string, dirs ...string) []*Finished {
	t.Helper()
	var runs []*Finished
	for _, d := range dirs {
		r, err := ReadFinished(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

// A notebook's own figures are drawn into the report's folder in the style in force and shown
// after the runs' figures, with their captions, in all three forms; bad own figures are refused
// before anything is drawn.
func TestReportHoldsANotebooksOwnFigures(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, filepath.Join(root, "a"), Metrics{Experiment: "a-run", Epochs: 2, Test: map[string]float64{"loss": 100}}, "samples.png", "samples.svg")
	runs := readRuns(t, root, "a")
	out := filepath.Join(root, "report")
	grid := func(base string) ([]string, error) {
		return figures.ImageGrid([][]float32{make([]float32, 4), make([]float32, 4)}, 2, 2, 2, nil, "two blank images", base)
	}
	caption := "Two blank test images, side by side."
	drawn, err := drawOwn(out, []OwnFigure{{Name: "blanks", Caption: caption, Draw: grid}})
	if err != nil {
		t.Fatal(err)
	}
	written, err := writeReport(out, runs, drawn)
	if err != nil {
		t.Fatal(err)
	}
	if p := filepath.Join(out, "figures", "a-run", "samples.svg"); !slices.Contains(written, p) {
		t.Errorf("written files %v lack the run's SVG twin %s", written, p)
	}
	for _, ext := range []string{".png", ".svg", ".pdf"} {
		p := filepath.Join(out, "figures", "notebook", "blanks"+ext)
		if !slices.Contains(written, p) {
			t.Errorf("written files %v lack %s", written, p)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	tex, _ := os.ReadFile(filepath.Join(out, "report.tex"))
	for file, want := range map[string][]string{
		"md":   {"## Figures the notebook drew\n\n![" + caption + "](figures/notebook/blanks.png)"},
		"html": {"<h2>Figures the notebook drew</h2>\n<figure><img src=\"figures/notebook/blanks.png\"", "<figcaption>" + caption + "</figcaption>"},
		"tex":  {`\includegraphics[width=\linewidth]{figures/notebook/blanks.pdf}` + "\n" + `\caption{` + caption + `}`},
	} {
		text := map[string]string{"md": string(md), "html": html.UnescapeString(string(page)), "tex": string(tex)}[file]
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", file, w, text)
			}
		}
		if file != "tex" && strings.Count(text, "Run directory") != 1 {
			t.Errorf("%s: %d run-directory lines, want one (the run's, none for the notebook's figures)", file, strings.Count(text, "Run directory"))
		}
	}

	for _, c := range []struct {
		own  []OwnFigure
		want string
	}{
		{[]OwnFigure{{Name: "a/b", Caption: "c", Draw: grid}}, `own figure 0 is named "a/b": expected a plain file name`},
		{[]OwnFigure{{Name: "x.png", Caption: "c", Draw: grid}}, `named "x.png"`},
		{[]OwnFigure{{Name: "x", Caption: "c", Draw: grid}, {Name: "x", Caption: "d", Draw: grid}}, `own figure "x" is given twice`},
		{[]OwnFigure{{Name: "x", Draw: grid}}, `own figure "x" has no caption`},
		{[]OwnFigure{{Name: "x", Caption: "c"}}, `own figure "x" has no drawing function`},
	} {
		dir := filepath.Join(root, "refused")
		_, err := ExportNotebook(dir, figures.CurrentStyle(), c.own, &Trained{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ExportNotebook(%v): error %v, want %q", c.own, err, c.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("ExportNotebook(%v) refused, but wrote %s", c.own, dir)
		}
	}
}

// Two runs of one experiment (a notebook's run of a recipe and the recipe's record) get a column,
// a section and a figure folder each: the record is called so, and its figures do not overwrite
// the run's.
func TestReportTellsRunsOfOneExperimentApart(t *testing.T) {
	root := t.TempDir()
	record := filepath.Join(root, "docs", "records", "vq")
	fakeRun(t, filepath.Join(root, "runs", "vq"), Metrics{Experiment: "vq", Epochs: 5, Test: map[string]float64{"loss": 2}}, "samples.png")
	fakeRun(t, record, Metrics{Experiment: "vq", Epochs: 30, Test: map[string]float64{"loss": 1}}, "samples.png")
	fakeRun(t, filepath.Join(root, "again", "vq"), Metrics{Experiment: "vq", Epochs: 1, Test: map[string]float64{"loss": 3}}, "samples.png")
	runs := readRuns(t, root, "runs/vq", "docs/records/vq", "again/vq")
	if got, want := runLabels(runs), []string{"vq", "vq (record)", "vq (2)"}; !slices.Equal(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
	out := filepath.Join(root, "report")
	written, err := WriteReport(out, runs)
	if err != nil {
		t.Fatal(err)
	}
	for _, folder := range []string{"vq", "vq-record", "vq-2"} {
		p := filepath.Join(out, "figures", folder, "samples.png")
		if data, err := os.ReadFile(p); err != nil || !slices.Contains(written, p) || string(data) != "png of samples.png" {
			t.Errorf("figure %s: %v, listed %v", p, err, slices.Contains(written, p))
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"| measure | unit | on | vq | vq (record) | vq (2) |", "## vq (record)", "vq (record) (after 30 epochs)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
}
