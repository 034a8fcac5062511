package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fileWriter writes test input files into a temporary folder and returns their paths.
func fileWriter(t *testing.T) func(name, text string) string {
	dir := t.TempDir()
	return func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func TestTableFromBenchOutput(t *testing.T) {
	write := fileWriter(t)
	goFile := write("go.txt", "BenchmarkTrainStep/conv-vae-2   10  300000000 ns/op  64.00 batch  400.0 first-step-ms  500.0 peak-MB  213.3 samples/s\n"+
		"BenchmarkTrainStepScaling/mlp-vae/batch=32-2   10  40000000 ns/op  32.00 batch  120.0 first-step-ms  50.00 peak-MB  800.0 samples/s\n")
	onnxFile := write("onnx.txt", "BenchmarkTrainStep/conv-vae-2   10  100000000 ns/op  64.00 batch  450.0 first-step-ms  300.0 peak-MB  640.0 samples/s\n"+
		"BenchmarkImportanceWeightedNLL-2   2  5598436442 ns/op  17.86 images/s  9.331 min-per-10k-images\n")
	torchFile := write("torch.jsonl", `{"name": "conv-vae", "batch": 64, "ms_per_step": 150.0, "first_step_ms": 190, "peak_mb": 400, "scaling": false}`+"\n"+
		`{"name": "mlp-vae", "batch": 32, "ms_per_step": 20.0, "first_step_ms": 30, "peak_mb": 300, "scaling": true}`+"\n")
	var out bytes.Buffer
	if err := run([]string{"-torch", torchFile, "go=" + goFile, "onnx=" + onnxFile}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// 300 ms per 64 images: 60000/64 steps of 0.3 s = 281 s per epoch; ratio 300/150.
		"| conv-vae | go | 64 | 213 | 300.0 | 281 | 400 | 500 | 150.0 | 141 | 190 | 400 | 2.00 |",
		"| conv-vae | onnx | 64 | 640 | 100.0 | 94 | 450 | 300 | 150.0 | 141 | 190 | 400 | 0.67 |",
		"| mlp-vae | 32 | 800 | - | 1600 |", // PyTorch: 32 images in 20 ms
		"| onnx | 17.9 | 9.3 |",             // the NLL benchmark's own metrics
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// The PixelCNN section gives both PyTorch forms of its masked layers with vaekit's ratio to
// each: the twin of the table that computes the kept taps, and the whole masked kernel.
func TestMaskedTapsSection(t *testing.T) {
	dir := t.TempDir()
	goFile := filepath.Join(dir, "go.txt")
	torchFile := filepath.Join(dir, "torch.jsonl")
	os.WriteFile(goFile, []byte("BenchmarkTrainStep/pixelcnn-prior-2   10  120000000 ns/op  128.0 batch  300.0 first-step-ms  400.0 peak-MB  1066 samples/s\n"), 0o644)
	os.WriteFile(torchFile, []byte(`{"name": "pixelcnn-prior", "batch": 128, "ms_per_step": 100.0, "first_step_ms": 190, "peak_mb": 300, "scaling": false}`+"\n"+
		`{"name": "pixelcnn-prior-all-taps", "batch": 128, "ms_per_step": 80.0, "first_step_ms": 190, "peak_mb": 300, "scaling": false}`+"\n"), 0o644)
	var out bytes.Buffer
	if err := run([]string{"-torch", torchFile, "go=" + goFile}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| pixelcnn-prior | go | 128 | 1066 | 120.0 |", "| 100.0 | 47 | 190 | 300 | 1.20 |", // the main table pairs the same taps: 469 steps of 0.1 s
		"| the kept taps (the table's twin) | 24, 5 | 100.0 | go 1.20 |",
		"| whole kernel times the mask | 49, 9 | 80.0 | go 1.50 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// The targets section pairs each model's default backend (pure Go for mlp-*, ONNX Runtime for
// the rest where it was measured) with PyTorch, says met or missed against 0.8 and the conv VAE's
// epoch against 45 s, and appends the notes.
func TestTargetsSection(t *testing.T) {
	write := fileWriter(t)
	goFile := write("go.txt", "BenchmarkTrainStep/conv-vae-2   10  30000000 ns/op  64.00 batch  400.0 first-step-ms  500.0 peak-MB  2133 samples/s\n"+
		"BenchmarkTrainStep/mlp-vae-2   10  12000000 ns/op  128.0 batch  60.0 first-step-ms  90.0 peak-MB  10666 samples/s\n")
	onnxFile := write("onnx.txt", "BenchmarkTrainStep/conv-vae-2   10  90000000 ns/op  64.00 batch  450.0 first-step-ms  300.0 peak-MB  711 samples/s\n"+
		"BenchmarkTrainStep/mlp-vae-2   10  5000000 ns/op  128.0 batch  60.0 first-step-ms  90.0 peak-MB  25600 samples/s\n")
	torchFile := write("torch.jsonl", `{"name": "conv-vae", "batch": 64, "ms_per_step": 100.0, "first_step_ms": 190, "peak_mb": 400, "scaling": false}`+"\n"+
		`{"name": "mlp-vae", "batch": 128, "ms_per_step": 24.0, "first_step_ms": 30, "peak_mb": 300, "scaling": false}`+"\n")
	notes := write("notes.md", "### Where the time goes\n\nA profile.\n")
	tests := []struct {
		name     string
		args     []string
		want     []string
		wantNone []string
	}{
		{"both backends", []string{"-torch", torchFile, "-notes", notes, "go=" + goFile, "onnx=" + onnxFile},
			[]string{
				"| conv-vae | onnx | 90.0 | 100.0 | 0.90 | **missed** |",                                           // ONNX Runtime is the conv VAE's default, slower or not
				"| mlp-vae | go | 12.0 | 24.0 | 0.50 | met |",                                                      // pure Go is the MLP's, although ONNX Runtime was faster here
				"The seed conv VAE on onnx: 84 s per epoch of 60000 images at batch 64 (target 45 s): **missed**.", // 937.5 steps of 90 ms
				"### Where the time goes\n\nA profile.\n",
			},
			[]string{"| conv-vae | go | 30.0 |", "| mlp-vae | onnx |"}},
		{"pure Go only", []string{"-torch", torchFile, "go=" + goFile},
			[]string{"| conv-vae | go | 30.0 | 100.0 | 0.30 | met |", "The seed conv VAE on go: 28 s per epoch of 60000 images at batch 64 (target 45 s): met."},
			[]string{"Where the time goes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(tt.args, &out); err != nil {
				t.Fatal(err)
			}
			_, targets, _ := strings.Cut(out.String(), "## Targets")
			targets, _, _ = strings.Cut(targets, "## The PixelCNN")
			for _, want := range tt.want {
				if !strings.Contains(targets, want) {
					t.Errorf("targets lack %q:\n%s", want, targets)
				}
			}
			for _, no := range tt.wantNone {
				if strings.Contains(targets, no) {
					t.Errorf("targets hold %q:\n%s", no, targets)
				}
			}
		})
	}
}

func TestMalformedInputsAreNamed(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "go.txt")
	os.WriteFile(bad, []byte("BenchmarkTrainStep/conv-vae-2   10  abc ns/op\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"go"}, "expected BACKEND=FILE"},
		{[]string{"go=" + bad}, "go.txt"},
		{[]string{"go=" + filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{nil, "usage"},
	}
	for _, tt := range tests {
		err := run(tt.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error naming %q", tt.args, err, tt.want)
		}
	}
}

// The README's speed table quotes docs/bench.md: every ratio it gives is the page's, so a
// regenerated page with other numbers fails until the README follows.
func TestReadmeSpeedTableIsTheBenchPage(t *testing.T) {
	page, err := os.ReadFile("../../docs/bench.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ratios := map[string]string{} // "model/backend" -> ratio, from the page's first table
	ms := map[string]float64{}    // "model/backend" -> ms/step
	for _, line := range strings.Split(string(page), "\n") {
		cells := tableCells(line)
		if len(cells) == 13 && cells[0] != "model" && !strings.HasPrefix(cells[0], "---") {
			ratios[cells[0]+"/"+cells[1]] = cells[12]
			if v, err := strconv.ParseFloat(cells[4], 64); err == nil {
				ms[cells[0]+"/"+cells[1]] = v
			}
		}
	}
	if len(ratios) == 0 {
		t.Fatal("docs/bench.md has no training-step table")
	}
	rows := 0
	for _, line := range strings.Split(string(readme), "\n") {
		cells := tableCells(line)
		if len(cells) != 4 {
			continue
		}
		if _, ok := ratios[cells[0]+"/go"]; !ok {
			continue
		}
		rows++
		for i, backend := range []string{"go", "onnx"} {
			if got, want := cells[2+i], ratios[cells[0]+"/"+backend]; got != want {
				t.Errorf("README: %s on %s reads %s, docs/bench.md %s", cells[0], backend, got, want)
			}
		}
	}
	if rows < 6 {
		t.Errorf("README quotes %d models of docs/bench.md, want its speed table of 6", rows)
	}
	// The sentence that sums the page up: the MLPs' ratios on the pure-Go backend, and how many
	// times faster ONNX Runtime trains each convolutional model than the pure-Go backend.
	claim := regexp.MustCompile(strings.ReplaceAll(`trains the MLP families ([\d.]+) to ([\d.]+) times PyTorch's step time, and ONNX Runtime trains the convolutional ones ([\d.]+) to ([\d.]+) times faster than the pure-Go backend`, " ", `\s+`))
	m := claim.FindStringSubmatch(string(readme))
	if m == nil {
		t.Fatalf("README lacks the sentence %q", claim)
	}
	mlp, conv := []float64{}, []float64{}
	for key, r := range ratios {
		model, backend, _ := strings.Cut(key, "/")
		if v, err := strconv.ParseFloat(r, 64); err == nil && backend == "go" && strings.HasPrefix(model, "mlp-") {
			mlp = append(mlp, v)
		}
		if onnx, ok := ms[model+"/onnx"]; ok && backend == "go" && !strings.HasPrefix(model, "mlp-") {
			conv = append(conv, ms[key]/onnx)
		}
	}
	if len(mlp) == 0 || len(conv) == 0 {
		t.Fatalf("docs/bench.md has %d MLP ratios and %d convolutional models on both backends", len(mlp), len(conv))
	}
	for i, want := range []float64{slices.Min(mlp), slices.Max(mlp), slices.Min(conv), slices.Max(conv)} {
		if got := m[1+i]; got != strconv.FormatFloat(want, 'f', 2, 64) {
			t.Errorf("README's %q: number %d is %s, docs/bench.md gives %.2f", m[0], i+1, got, want)
		}
	}
}

// tableCells splits a Markdown table row into its trimmed cells (nil for other lines).
func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
		return nil
	}
	cells := strings.Split(line[1:len(line)-1], "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}
