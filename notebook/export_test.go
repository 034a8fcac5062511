package notebook

import (
	"bytes"
	"path/filepath"
	"testing"
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
