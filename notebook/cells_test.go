package notebook

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/datasets"
)

// cell is a notebook cell as nbformat 4 stores it.
type cell struct {
	Type   string          `json:"cell_type"`
	Source json.RawMessage `json:"source"` // a string or a list of lines
}

// cellText is a cell's source or an output's text as one string: nbformat stores either as a
// string or a list of lines; absent is "".
func cellText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	return strings.Join(lines, ""), nil
}

// readCells returns the code cells of a notebook, each as one string.
func readCells(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct{ Cells []cell }
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		source, err := cellText(c.Source)
		if err != nil {
			t.Fatalf("%s: cell source: %v", path, err)
		}
		out = append(out, source)
	}
	return out
}

// goProgram turns a notebook's code cells and one of its cells with a "%%" line into the source
// of a Go main program, as GoNB does: declarations (functions, types, variables, imports)
// accumulate across cells, with the imports merged into one block; the part of the chosen cell
// after "%%" becomes main; the other cells' main parts, shell commands ("!") and magics
// ("%") are left out.
func goProgram(cells []string, body string) string {
	imports := map[string]bool{}
	var decls []string
	for _, c := range cells {
		c = "\n" + c
		if i := strings.Index(c, "\n%%"); i >= 0 {
			c = c[:i]
		}
		var kept []string
		inImports := false
		for _, line := range strings.Split(c, "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case inImports && trimmed == ")":
				inImports = false
			case inImports:
				if trimmed != "" {
					imports[trimmed] = true
				}
			case trimmed == "import (":
				inImports = true
			case strings.HasPrefix(trimmed, "import "):
				imports[strings.TrimPrefix(trimmed, "import ")] = true
			case strings.HasPrefix(line, "!") || strings.HasPrefix(line, "%"):
			default:
				kept = append(kept, line)
			}
		}
		decls = append(decls, strings.Join(kept, "\n"))
	}
	_, main, _ := strings.Cut(body, "%%")
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n")
	for _, imp := range slices.Sorted(maps.Keys(imports)) {
		src.WriteString("\t" + imp + "\n")
	}
	src.WriteString(")\n" + strings.Join(decls, "\n") + "\n\nfunc main() {\n" + main + "\n}\n")
	return src.String()
}

// repoRoot is the repository's root (the parent of this package's folder).
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The model each notebook writes in its cells trains exactly as the library's recipe of the same
// name: every "%%" cell of a notebook that calls experiments.CompareWithRecipe (or CompareModels,
// for the code prior) is built, with all
// of the notebook's declaration cells, into a program of its own (as GoNB builds it) and run;
// it fails when the notebook's model and the recipe's give different loss terms over two
// training steps (CompareWithRecipe's check; TestCompareWithRecipeFindsADifferentModel shows
// the check fails on a different model). So the notebooks and the library cannot drift apart.
func TestNotebookModelsAreTheRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program per notebook model (about 10 s each)")
	}
	for _, name := range []datasets.Name{datasets.MNIST, datasets.FashionMNIST} {
		if _, err := datasets.Load(name, datasets.Test, datasets.Options{Offline: true}); err != nil {
			if os.Getenv("VAEKIT_REQUIRE_DATA") == "1" {
				t.Fatal(err)
			}
			t.Skipf("data not installed (run `make data`): %v", err)
		}
	}
	root := repoRoot(t)
	notebooks, err := filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
	if err != nil || len(notebooks) == 0 {
		t.Fatalf("no notebooks under %s (%v)", root, err)
	}
	compared := 0
	for _, path := range notebooks {
		cells := readCells(t, path)
		for i, c := range cells {
			if !strings.Contains(c, "experiments.CompareWithRecipe(") && !strings.Contains(c, "experiments.CompareModels(") {
				continue
			}
			compared++
			t.Run(fmt.Sprintf("%s cell %d", filepath.Base(path), i), func(t *testing.T) {
				out := runCells(t, root, map[string]string{"main.go": goProgram(cells, c)})
				if !strings.Contains(out, "largest relative difference") {
					t.Errorf("the cell printed no comparison:\n%s", out)
				}
				t.Log(out)
			})
		}
	}
	if compared < 7 {
		t.Errorf("%d notebook cells compare a model with its recipe: expected at least 7 (the AE, the VAE, the conv VAE, the CVAE, the VQ-VAE, its PixelCNN, the GAN)", compared)
	}
}

// runCells writes files into a new module that uses this repository, completes the imports as
// GoNB does (goimports), and runs it, failing the test when it does not build or exits non-zero.
func runCells(t *testing.T, root string, files map[string]string) string {
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gomod := fmt.Sprintf("module cells\n\ngo 1.27\n\nrequire github.com/vaekit/vaekit v0.0.0-00010101000000-000000000000\n\nreplace github.com/vaekit/vaekit => %s\n", root)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	steps := [][]string{
		{goBin, "-C", root, "tool", "goimports", "-w", dir}, // the repository's pinned goimports
		{goBin, "mod", "tidy"},
		{goBin, "run", "."},
	}
	var out []byte
	for _, args := range steps {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		if out, err = cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args[1:], " "), err, out)
		}
	}
	return string(out)
}
