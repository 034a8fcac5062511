// Command experiments runs vaekit's named experiments.
//
//	experiments list
//	experiments run [flags] NAME...
//
// Each run writes a run directory (see package experiments) under -runs and resumes it when
// started again.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/training"
)

func main() {
	if err := safeRun(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "experiments:", firstLine(err.Error()))
		os.Exit(1)
	}
}

// safeRun is run with any panic that still escapes (a graph that fails to build in a way no
// check foresaw) turned into an error: a user sees one line, never a stack trace.
func safeRun(args []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return run(args)
}

// firstLine is the first line of a message (flag usage and wrapped graph errors can run long).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 && !strings.HasPrefix(s, "usage:") {
		return s[:i]
	}
	return s
}

func usage() error {
	return fmt.Errorf("usage: experiments list | experiments run [-epochs N] [-quick] [-fresh] [-runs DIR] [-data DIR] [-on-nan stop|skip] [-set key=value]... NAME...\n" +
		"       experiments run -model FAMILY -dataset mnist|fashion-mnist [-set key=value]... custom (FAMILY: see experiments params)\n" +
		"       experiments params [FAMILY]          (every parameter: type, allowed values, who reads it, default)\n" +
		"       experiments table [-samples] RUNDIR... (the runs' measures side by side, a row per measure; -samples: how their samples score)\n" +
		"       experiments reproduce [-quick] [-force] [-runs DIR] [-records DIR] [NAME...] (every reproduction, or those named, resumable; finished ones skipped and recorded)\n" +
		"       experiments verify [-nll K] RECORD...    (a record's evaluation numbers and figures computed again from its weights and compared)\n" +
		"       experiments reevaluate RECORD...      (a record evaluated again from its weights, a measure added since filled in; metrics.json rewritten)\n" +
		"       experiments record [-o docs/records] [-redraw] RUNDIR... (a finished run's record: what the results page reads, no checkpoint; -redraw: its figures drawn again first; -redraw of a record itself redraws it in place)\n" +
		"       experiments results [-runs docs/records] [-o docs/RESULTS.md] (the results page, from the records or runs)\n" +
		"       experiments gallery [-o docs/figures.md] RUNDIR... (every figure kind, from the first run that draws it, on one page)\n" +
		"       experiments judge [-runs DIR] [-o experiments/judges] mnist|fashion-mnist (train the data set's classifier at full settings and record it as the judge every run embeds)\n" +
		"       experiments report [-o DIR] [-width CM] [-dpi N] [-font PT] RUNDIR... (report.md, report.html and LaTeX's report.tex with the table and the figures, redrawn at that size if given; -pdf: report.pdf through Chromium)")
}

// checkOnlyForTests makes every run a -check run: the fuzz test drives run with random
// arguments and must never start a training.
var checkOnlyForTests bool

// settings collects repeated -set key=value flags.
type settings map[string]any

func (s settings) String() string { return fmt.Sprint(map[string]any(s)) }

func (s settings) Set(v string) error {
	key, value, err := experiments.ParseSetting(v)
	if err != nil {
		return err
	}
	s[key] = value
	return nil
}

func run(args []string) error {
	if len(args) == 0 {
		return usage()
	}
	switch args[0] {
	case "params":
		return cmdParams(args)
	case "list":
		return cmdList(args)
	case "reproduce":
		return cmdReproduce(args)
	case "record":
		return cmdRecord(args)
	case "verify":
		return cmdVerify(args)
	case "reevaluate":
		return cmdReevaluate(args)
	case "results":
		return cmdResults(args)
	case "table", "report":
		return cmdTableOrReport(args)
	case "gallery":
		return cmdGallery(args)
	case "judge":
		return cmdJudge(args)
	case "run":
		return cmdRun(args)
	}
	return usage()
}

// cmdReevaluate runs `experiments reevaluate`.
func cmdReevaluate(args []string) error {
	if len(args) < 2 {
		return usage()
	}
	for _, dir := range args[1:] {
		start := time.Now()
		if err := experiments.Reevaluate(context.Background(), dir, experiments.Options{}); err != nil {
			return err
		}
		fmt.Printf("evaluated %s again from its weights (%s): metrics.json rewritten\n", dir, time.Since(start).Round(time.Second))
	}
	return nil
}

// cmdVerify runs `experiments verify`.
func cmdVerify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	nll := fs.Int("nll", 0, "also estimate the test NLL again with this many importance samples (minutes per record)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usage()
	}
	failed := 0
	for _, dir := range fs.Args() {
		start := time.Now()
		v, err := experiments.VerifyRecord(context.Background(), dir, experiments.Options{MaxNLLSamples: *nll})
		if err != nil {
			return err
		}
		status := "ok  "
		if !v.OK() {
			status, failed = "FAIL", failed+1
		}
		fmt.Printf("%s %s: %d evaluation numbers from its weights (largest relative difference %.2g), %d figures; %s\n",
			status, dir, v.Numbers, v.MaxRelative, v.Figures, time.Since(start).Round(time.Second))
		for _, d := range v.Differing {
			fmt.Printf("     %s\n", d)
		}
		for _, f := range v.FiguresDiffering {
			fmt.Printf("     figure %s differs from the record's (another style? `experiments record -redraw` the run)\n", f)
		}
	}
	if failed > 0 {
		return fmt.Errorf("verify: %d of %d records differ from what their weights give", failed, fs.NArg())
	}
	return nil
}

// cmdParams runs `experiments params`.
func cmdParams(args []string) error {
	family := ""
	if len(args) > 2 {
		return usage()
	}
	if len(args) == 2 {
		family = args[1]
	}
	return experiments.WriteParamTable(os.Stdout, family)
}

// cmdList runs `experiments list`.
func cmdList(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	readme := fs.String("readme", "", "write the table of experiments into this README, between its markers, instead of listing them")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *readme != "" {
		return experiments.WriteReadmeTable(*readme)
	}
	width := 0
	for _, e := range experiments.Registry {
		width = max(width, len(e.Name))
	}
	for _, e := range experiments.Registry {
		fmt.Printf("%-*s  %s\n", width, e.Name, e.Description)
	}
	return nil
}

// cmdReproduce runs `experiments reproduce`.
func cmdReproduce(args []string) error {
	fs := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "quick mode: 2 epochs of 3 steps on small subsets")
	force := fs.Bool("force", false, "rerun finished experiments from scratch")
	runsDir := fs.String("runs", filepath.Join(experiments.DefaultRunsDir, "reproduce"), "parent folder of the run directories")
	records := fs.String("records", "", "where the records of finished runs go (default "+experiments.DefaultRecordsDir+"; -quick: RUNS/records)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	opts := experiments.ReproduceOptions{Options: experiments.Options{RunsDir: *runsDir}, Force: *force, Only: fs.Args(), RecordsDir: *records}
	if *quick {
		opts.Options = experiments.QuickOptions(*runsDir)
	}
	if opts.RecordsDir == "" {
		opts.RecordsDir = experiments.DefaultRecordsDir
		if *quick {
			opts.RecordsDir = filepath.Join(*runsDir, "records")
		}
	}
	opts.Data = datasets.Options{Log: os.Stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return experiments.Reproduce(ctx, opts)
}

// cmdRecord runs `experiments record`.
func cmdRecord(args []string) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	out := fs.String("o", experiments.DefaultRecordsDir, "the folder of records")
	redraw := fs.Bool("redraw", false, "first draw the run's figures again from its checkpoint, in the current figure style")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usage()
	}
	// Interrupted, a record being assembled is removed and the older one stays.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, dir := range fs.Args() {
		if *redraw {
			if err := experiments.RedrawFigures(dir, experiments.Options{}); err != nil {
				return err
			}
			if experiments.IsRecordOf(dir, *out) {
				// A record redrawn from its weights is already where it belongs: copying it onto
				// itself would drop the weights and what was added to it in place.
				fmt.Printf("redrew the figures of the record %s in place\n", dir)
				continue
			}
		}
		if err := experiments.Record(ctx, dir, *out, experiments.Options{}); err != nil {
			return err
		}
		fmt.Printf("recorded %s in %s\n", dir, filepath.Join(*out, filepath.Base(filepath.Clean(dir))))
	}
	return nil
}

// cmdResults runs `experiments results`.
func cmdResults(args []string) error {
	fs := flag.NewFlagSet("results", flag.ContinueOnError)
	runsDir := fs.String("runs", experiments.DefaultRecordsDir, "parent folder of the runs or their records")
	out := fs.String("o", "docs/RESULTS.md", "the results page to write (its figures go into results/ beside it)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := experiments.WriteResults(*out, *runsDir); err != nil {
		return err
	}
	fmt.Println("wrote", *out)
	return nil
}

// cmdGallery runs `experiments gallery`.
func cmdGallery(args []string) error {
	fs := flag.NewFlagSet("gallery", flag.ContinueOnError)
	out := fs.String("o", "docs/figures.md", "the page to write; the figures go into a folder figures beside it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usage()
	}
	if err := experiments.WriteGallery(*out, fs.Args(), experiments.Options{}); err != nil {
		return err
	}
	fmt.Println("wrote", *out)
	return nil
}

// cmdJudge runs `experiments judge`.
func cmdJudge(args []string) error {
	fs := flag.NewFlagSet("judge", flag.ContinueOnError)
	runs := fs.String("runs", experiments.DefaultRunsDir, "the runs folder the classifier trains in (resumed if it is there)")
	out := fs.String("o", filepath.Join("experiments", experiments.JudgesDir), "the folder of the recorded judges")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usage()
	}
	data := datasets.Name(fs.Arg(0))
	if _, err := experiments.ClassifierFor(data); err != nil {
		return fmt.Errorf("data set %q: %w", fs.Arg(0), err)
	}
	if checkOnlyForTests {
		return nil
	}
	dir, err := experiments.RecordJudge(context.Background(), data, *out, experiments.Options{RunsDir: *runs})
	if err != nil {
		return err
	}
	fmt.Println("wrote", dir, "(build the package again to embed it)")
	return nil
}

// cmdTableOrReport runs `experiments table` and `experiments report`.
func cmdTableOrReport(args []string) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	out := fs.String("o", "report", "report: the folder to write report.md, report.html and the figures into")
	width := fs.Float64("width", 0, "report: redraw the figures this many centimetres wide (0: copy the run's own)")
	dpi := fs.Int("dpi", 0, "report: redraw the figures' PNGs at this resolution (0: copy the run's own)")
	fontSize := fs.Float64("font", 0, "report: redraw the figures with type of this many points (0: copy the run's own)")
	pdf := fs.Bool("pdf", false, "report: also print report.html to report.pdf (A4) with Debian's Chromium")
	samples := fs.Bool("samples", false, "table: how the runs' samples score (the judge's view and the distances to the test images) in place of the measures")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *samples && args[0] != "table" {
		return fmt.Errorf("-samples is a flag of `experiments table`, not of `experiments %s`", args[0])
	}
	chromium := ""
	if *pdf {
		// Checked before any run is read, so that a missing browser is one line, not a report
		// without its PDF.
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
		if chromium == "" {
			return fmt.Errorf("-pdf: no chromium on PATH: expected Debian's (sudo apt-get install chromium), which prints the HTML report to PDF")
		}
	}
	redraw := *width != 0 || *dpi != 0 || *fontSize != 0
	style := figures.Style{Width: *width, DPI: *dpi, FontSize: *fontSize}
	if redraw {
		// Checked before any run is read: a bad size is one line, not a half-written report.
		if _, err := style.Checked(); err != nil {
			return err
		}
	}
	if fs.NArg() == 0 {
		return usage()
	}
	var runs []*experiments.Finished
	for _, dir := range fs.Args() {
		r, err := experiments.ReadFinished(dir)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	if args[0] == "table" && *samples {
		return experiments.WriteSampleMeasures(os.Stdout, runs...)
	}
	if args[0] == "table" {
		return experiments.WriteTable(os.Stdout, runs)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("report folder: %w", err)
	}
	var written []string
	var err error
	if redraw {
		var trained []*experiments.Trained
		for _, r := range runs {
			t, err := experiments.OpenDir(r.Dir, experiments.Options{})
			if err != nil {
				return err
			}
			trained = append(trained, t)
		}
		written, err = experiments.ExportReport(*out, style, trained...)
	} else {
		written, err = experiments.WriteReport(*out, runs)
	}
	if err != nil {
		return err
	}
	fmt.Printf("wrote report.md, report.html, report.tex and report-standalone.tex in %s (%d figures)\n", *out, len(experiments.PNGs(written)))
	if chromium != "" {
		html, err := filepath.Abs(filepath.Join(*out, "report.html"))
		if err != nil {
			return err
		}
		pdfPath := filepath.Join(*out, "report.pdf")
		cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf="+pdfPath, "file://"+html)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("printing %s to PDF with %s: %v\n%s", html, chromium, err, msg)
		}
		if _, err := os.Stat(pdfPath); err != nil {
			return fmt.Errorf("printing %s to PDF with %s: no PDF written", html, chromium)
		}
		fmt.Println("printed", pdfPath)
	}
	return nil
}

// cmdRun runs `experiments run`.
func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	epochs := fs.Int("epochs", 0, "number of epochs (0: the experiment's own)")
	maxSteps := fs.Int("max-steps", 0, "cap on the steps per epoch (0: whole epochs)")
	quick := fs.Bool("quick", os.Getenv("VAEKIT_QUICK") == "1", "quick mode: 2 epochs of 3 steps on small subsets (also VAEKIT_QUICK=1)")
	fresh := fs.Bool("fresh", false, "delete the run directory and start over instead of resuming")
	runsDir := fs.String("runs", experiments.DefaultRunsDir, "parent folder of the run directories")
	dataDir := fs.String("data", "", "folder holding the IDX files (default: VAEKIT_DATA_DIR, the cache, system packages)")
	modelName := fs.String("model", "", "for the experiment named custom: the model family")
	dataName := fs.String("dataset", "", "for the experiment named custom: mnist, fashion-mnist, or the name of the -data-dir folder (default: its base name)")
	imagesDir := fs.String("data-dir", "", "for the experiment named custom: a folder of PNG images (grey or colour, one size), a sub-folder per class, split 5:1 into training and test")
	labels := fs.String("labels", "", "with -data-dir: a CSV file of file,class rows giving the classes instead of the sub-folders")
	onNaN := fs.String("on-nan", "", "what a loss term that is not finite does: stop (the default) or skip the batch")
	check := fs.Bool("check", false, "check the parameters, the backend and the runs folder, then stop (nothing is read or written)")
	nllSamples := fs.Int("nll-samples", 0, "cap on the importance samples of the test NLL (0: the experiment's own)")
	set := settings{}
	fs.Var(set, "set", "a parameter, key=value (repeatable), applied over the experiment's own; see `go doc` of the Param constants")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usage()
	}
	if *epochs < 0 || *maxSteps < 0 || *nllSamples < 0 {
		return fmt.Errorf("-epochs %d, -max-steps %d, -nll-samples %d: expected zero or more", *epochs, *maxSteps, *nllSamples)
	}
	opts := experiments.Options{RunsDir: *runsDir, Epochs: *epochs, MaxSteps: *maxSteps, Fresh: *fresh}
	if *quick {
		q := experiments.QuickOptions(*runsDir)
		q.Fresh = *fresh
		opts = q
	}
	opts.Data = datasets.Options{Dir: *dataDir, Log: os.Stderr}
	opts.CheckOnly = *check || checkOnlyForTests
	if *nllSamples > 0 {
		opts.MaxNLLSamples = *nllSamples
	}
	if *onNaN != "" {
		set[training.ParamOnNaN] = *onNaN
	}
	opts.Overrides = set
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *imagesDir != "" {
		if !slices.Equal(fs.Args(), []string{"custom"}) {
			return fmt.Errorf("-data-dir %s: expected the experiment named custom (with -model), got %v", *imagesDir, fs.Args())
		}
		d, err := datasets.Folder(*imagesDir, datasets.FolderOptions{Name: datasets.Name(*dataName), Labels: *labels})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "data set %s: %dx%d images with %d channel(s), %d training and %d test, classes %v\n", d.Name, d.Height, d.Width,
			d.Channels, d.Images[datasets.Train], d.Images[datasets.Test], d.ClassNames)
		*dataName = string(d.Name)
	}
	for _, name := range fs.Args() {
		var exp experiments.Experiment
		var err error
		if name == "custom" {
			exp, err = experiments.Custom(*modelName, *dataName, map[string]any{})
		} else {
			exp, err = experiments.Lookup(name)
		}
		if err != nil {
			return err
		}
		if _, err := experiments.Run(ctx, exp, opts); err != nil {
			return err
		}
	}
	return nil
}
