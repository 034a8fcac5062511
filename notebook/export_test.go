package notebook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/experiments"
)

func TestPrintWritten(t *testing.T) {
	dir := filepath.Join("runs", "02-vae", "report")
	in := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, filepath.FromSlash(n)))
		}
		return out
	}
	for _, c := range []struct {
		name    string
		written []string
		want    string
	}{
		{"formats once per folder", in("figures/a/loss_curves.png", "figures/a/loss_curves.svg", "figures/a/loss_curves.pdf",
			"figures/a/samples.png", "figures/a/samples.svg", "figures/a/samples.pdf", "report.md", "report.html"),
			"  figures/a/: loss_curves, samples (.png .svg .pdf each)\n  .: report.md, report.html\n"},
		{"mixed formats listed whole", in("figures/r/samples.png", "figures/r/curves.png", "figures/r/curves.pdf"),
			"  figures/r/: samples.png, curves.png, curves.pdf\n"},
		{"outside the folder: as given", []string{"/elsewhere/x.png"}, "  /elsewhere/: x.png\n"},
	} {
		var b bytes.Buffer
		PrintWritten(&b, dir, c.written)
		if b.String() != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, b.String(), c.want)
		}
	}
}

// A shared run trains once: the first call trains it in the other notebook's runs folder, the
// second reads it back from there, and each says which.
func TestSharedRunTrainsOnce(t *testing.T) {
	t.Setenv("VAEKIT_QUICK", "1")
	runsDir := filepath.Join(t.TempDir(), "01-autoencoders")
	exp, err := experiments.Lookup("mnist-mlp-ae")
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	a, err := shared(context.Background(), &first, exp, runsDir)
	if err != nil {
		t.Fatal(err)
	}
	checkpoint := filepath.Join(a.Dir, "metrics.json")
	before, err := os.Stat(checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	b, err := shared(context.Background(), &second, exp, runsDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(runsDir, "quick", "mnist-mlp-ae")
	if want := "mnist-mlp-ae: not finished in " + dir + "; training it there"; !strings.HasPrefix(first.String(), want) {
		t.Errorf("first call said %q, want it to start with %q", first.String(), want)
	}
	if want := "mnist-mlp-ae: read back from " + dir + " (finished there, 2 epochs)\n"; second.String() != want {
		t.Errorf("second call said %q, want %q", second.String(), want)
	}
	after, err := os.Stat(checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || a.Dir != b.Dir {
		t.Errorf("the second call wrote the run again (metrics.json %v, then %v) or opened another (%s, %s)", before.ModTime(), after.ModTime(), a.Dir, b.Dir)
	}
}
