package notebook

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/figures"
)

// ShowOwn draws one of the notebook's own figures as dir/<name>.png, .svg and .pdf and shows
// it. The export cell draws the same figure again at the report's style
// (experiments.ExportNotebook), so what a learner sees and what a report holds come from one
// function.
func ShowOwn(f experiments.OwnFigure, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	paths, err := f.Draw(filepath.Join(dir, f.Name))
	if err != nil {
		return err
	}
	return Show(paths...)
}

// Export writes the report of the notebook's runs and own figures into dir at the style
// (experiments.ExportNotebook) and prints every file it wrote, a line per folder.
func Export(dir string, style figures.Style, own []experiments.OwnFigure, runs ...*experiments.Trained) error {
	written, err := experiments.ExportNotebook(dir, style, own, runs...)
	if err != nil {
		return err
	}
	fmt.Printf("%d files written at %g cm and %d dpi into %s:\n", len(written), style.Width, style.DPI, dir)
	PrintWritten(os.Stdout, dir, written)
	fmt.Printf("open %s\n", filepath.Join(dir, "report.html"))
	return nil
}

// PrintWritten lists files written under dir, a line per folder relative to dir: the files'
// names, and the figures' formats once ("loss_curves, samples (.png .svg .pdf each)") when
// every figure of the folder has the same ones.
func PrintWritten(w io.Writer, dir string, written []string) {
	var folders []string
	files := map[string][]string{}
	for _, p := range written {
		rel, err := filepath.Rel(dir, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = p
		}
		folder, name := filepath.Split(filepath.ToSlash(rel))
		if _, ok := files[folder]; !ok {
			folders = append(folders, folder)
		}
		files[folder] = append(files[folder], name)
	}
	for _, folder := range folders {
		var stems []string
		exts := map[string][]string{}
		for _, name := range files[folder] {
			ext := filepath.Ext(name)
			stem := strings.TrimSuffix(name, ext)
			if _, ok := exts[stem]; !ok {
				stems = append(stems, stem)
			}
			exts[stem] = append(exts[stem], ext)
		}
		same := len(exts[stems[0]]) > 1 && slices.Contains(exts[stems[0]], ".png") // figures, not the report's files
		for _, s := range stems {
			same = same && slices.Equal(exts[s], exts[stems[0]])
		}
		label := folder
		if label == "" {
			label = "."
		}
		if same {
			fmt.Fprintf(w, "  %s: %s (%s each)\n", label, strings.Join(stems, ", "), strings.Join(exts[stems[0]], " "))
		} else {
			fmt.Fprintf(w, "  %s: %s\n", label, strings.Join(files[folder], ", "))
		}
	}
}

// Shared returns a finished run that another notebook trains (notebook 1's autoencoder, read by
// notebook 2), from that notebook's runs folder runsDir, so that it is trained once: read back
// when it has finished there, else trained there now (where the other notebook reads it back
// in turn). A line says which, and where.
func Shared(ctx context.Context, exp experiments.Experiment, runsDir string) (*experiments.Trained, error) {
	return shared(ctx, os.Stdout, exp, runsDir)
}

// shared is Shared saying which on w.
func shared(ctx context.Context, w io.Writer, exp experiments.Experiment, runsDir string) (*experiments.Trained, error) {
	opts := Options(runsDir)
	dir := filepath.Join(opts.RunsDir, exp.Name)
	if f, err := experiments.ReadFinished(dir); err == nil {
		fmt.Fprintf(w, "%s: read back from %s (finished there, %d epochs)\n", exp.Name, dir, f.Metrics.Epochs)
	} else {
		fmt.Fprintf(w, "%s: not finished in %s; training it there, where its notebook reads it back\n", exp.Name, dir)
		if _, err := experiments.Run(ctx, exp, opts); err != nil {
			return nil, err
		}
	}
	return experiments.Open(exp, opts)
}
