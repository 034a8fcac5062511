package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

func TestMetricsTableAndReport(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, filepath.Join(root, "a"), Metrics{Experiment: "vae-run", Epochs: 20, Test: map[string]float64{"kl": 24.4, "loss": 101.4, "reconstruction": 77},
		SecondsPerEpoch: 27.8, Backend: `Go Backend (GOMLX_BACKEND="go"), SIMD`}, "samples.png", "loss_curves.png")
	fakeRun(t, filepath.Join(root, "b"), Metrics{Experiment: "vq-run", Epochs: 2, Test: map[string]float64{"loss": 198.65, "codebook": 30.29},
		Extra: map[string]float64{"codes_in_use_fraction": 0.8828125}, Backend: "XLA"}, "code_map.png")
	var runs []*Finished
	for _, d := range []string{"a", "b"} {
		r, err := ReadFinished(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	if got := []string{filepath.Base(runs[0].Figures[0]), filepath.Base(runs[0].Figures[1])}; !slices.Equal(got, []string{"loss_curves.png", "samples.png"}) {
		t.Errorf("figures in order %v, want loss curves first", got)
	}
	header, rows := MetricsTable(runs)
	wantHeader := []string{"run", "epochs", "test loss", "test codebook", "test kl", "test reconstruction", "codes_in_use_fraction", "s/epoch", "backend"}
	if !slices.Equal(header, wantHeader) {
		t.Errorf("header %q, want %q", header, wantHeader)
	}
	wantRows := [][]string{
		{"vae-run", "20", "101.40", "", "24.4", "77", "", "27.8", "Go Backend"},
		{"vq-run", "2", "198.65", "30.29", "", "", "0.8828", "0", "XLA"},
	}
	for i := range wantRows {
		if !slices.Equal(rows[i], wantRows[i]) {
			t.Errorf("row %d %q, want %q", i, rows[i], wantRows[i])
		}
	}

	out := filepath.Join(root, "report")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	written, err := WriteReport(out, runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 5 {
		t.Errorf("wrote %d files, want 3 figures, report.md and report.html", len(written))
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"| vae-run | 20 | 101.40 |", "## vq-run", "![code map](figures/vq-run/code_map.png)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "figures", "vq-run", "code_map.png")); err != nil || string(b) != "png of code_map.png" {
		t.Errorf("copied figure: %q, %v", b, err)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(html), `<img src="figures/vae-run/loss_curves.png"`) || !strings.Contains(string(html), "<td>101.40</td>") {
		t.Errorf("report.html lacks the table or the figures:\n%s", html)
	}
	if _, err := WriteReport(out, nil); err == nil {
		t.Error("WriteReport of no runs: want an error")
	}
	if _, err := ReadFinished(filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "metrics") {
		t.Errorf("ReadFinished of a missing run: error %v", err)
	}
}
