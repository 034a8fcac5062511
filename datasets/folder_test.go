package datasets

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePNG writes a w x h image of one colour (grey when c is a color.Gray).
func writePNG(t *testing.T, path string, w, h int, c color.Color) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var img image.Image
	if g, ok := c.(color.Gray); ok {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for i := range m.Pix {
			m.Pix[i] = g.Y
		}
		img = m
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, c)
			}
		}
		img = m
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// A folder with a sub-folder per class: the classes sorted by name, colour read as RGB with
// pixels in [0, 1], a fixed split of 1 in 6 (rounded) into the test set, registered under the
// folder's name.
func TestFolderOfColourImages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shapes")
	for i := range 6 {
		writePNG(t, filepath.Join(dir, "red", fmt.Sprintf("%d.png", i)), 4, 2, color.RGBA{255, 0, 0, 255})
		writePNG(t, filepath.Join(dir, "blue", fmt.Sprintf("%d.png", i)), 4, 2, color.RGBA{0, 0, 255, 255})
	}
	d, err := Folder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "shapes" || d.Height != 2 || d.Width != 4 || d.Channels != 3 || d.Images[Train] != 10 || d.Images[Test] != 2 ||
		strings.Join(d.ClassNames, ",") != "blue,red" || len(d.Checksums) != 1 {
		t.Errorf("descriptor %+v", d)
	}
	train, err := Load("shapes", Train, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 10 || train.ImageSize() != 2*4*3 || len(train.Images) != 10*24 {
		t.Fatalf("training set of %d images of %d values (%d in all)", train.N, train.ImageSize(), len(train.Images))
	}
	for i := range train.N {
		want := [3]float32{0, 0, 1} // blue, label 0
		if train.Labels[i] == 1 {
			want = [3]float32{1, 0, 0}
		}
		if px := train.Image(i)[:3]; [3]float32(px) != want {
			t.Errorf("image %d (label %d): first pixel %v, want %v", i, train.Labels[i], px, want)
		}
	}
	if _, err := Folder(dir, FolderOptions{}); err == nil || !strings.Contains(err.Error(), `data set "shapes" is already registered`) {
		t.Errorf("registering the folder twice: error %v", err)
	}
	again, err := Folder(dir, FolderOptions{Name: "shapes-again"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Checksums[fmt.Sprintf("shapes (12 PNG files)")] != d.Checksums["shapes (12 PNG files)"] {
		t.Errorf("the same files gave checksums %v and %v", d.Checksums, again.Checksums)
	}
	test2, _ := Load("shapes-again", Test, Options{})
	test1, _ := Load("shapes", Test, Options{})
	if fmt.Sprint(test1.Labels, test1.Images) != fmt.Sprint(test2.Labels, test2.Images) {
		t.Error("the same folder split two ways")
	}
}

// Grey images give one channel; classes can come from a CSV file.
func TestFolderOfGreyImagesWithLabels(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), 3, 3, color.Gray{Y: uint8(85 * i)})
	}
	csv := filepath.Join(t.TempDir(), "labels.csv")
	if err := os.WriteFile(csv, []byte("file,class\n0.png,even\n1.png,odd\n2.png,even\n3.png,odd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Folder(dir, FolderOptions{Name: "grey-csv", Labels: csv, TestFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if d.Channels != 1 || d.Images[Train] != 2 || d.Images[Test] != 2 || strings.Join(d.ClassNames, ",") != "even,odd" {
		t.Errorf("descriptor %+v", d)
	}
	all := map[float32]int32{}
	for _, split := range []Split{Train, Test} {
		s, _ := Load("grey-csv", split, Options{})
		for i := range s.N {
			all[s.Image(i)[0]] = s.Labels[i]
		}
	}
	for i, want := range []int32{0, 1, 0, 1} {
		if got, ok := all[float32(85*i)/255]; !ok || got != want {
			t.Errorf("image %d.png: label %d (found %v), want %d", i, got, ok, want)
		}
	}
}

// Bad folders are refused before anything is read into a set, with the file and what was
// expected named.
func TestFolderRefusals(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(dir string) FolderOptions
		wantErr string
	}{
		{"no PNG files", func(dir string) FolderOptions { return FolderOptions{} }, "holds no PNG files"},
		{"another size", func(dir string) FolderOptions {
			writePNG(t, filepath.Join(dir, "a", "1.png"), 4, 4, color.Gray{})
			writePNG(t, filepath.Join(dir, "a", "2.png"), 5, 4, color.Gray{})
			return FolderOptions{}
		}, "2.png is 5x4: expected 4x4"},
		{"unreadable file", func(dir string) FolderOptions {
			writePNG(t, filepath.Join(dir, "a", "1.png"), 4, 4, color.Gray{})
			os.WriteFile(filepath.Join(dir, "a", "2.png"), []byte("not a png"), 0o644)
			return FolderOptions{}
		}, "2.png: png: invalid format: not a PNG file: expected a PNG file"},
		{"a single image", func(dir string) FolderOptions {
			writePNG(t, filepath.Join(dir, "a", "1.png"), 4, 4, color.Gray{})
			return FolderOptions{}
		}, "holds 1 images: expected at least 2"},
		{"a file without a label", func(dir string) FolderOptions {
			writePNG(t, filepath.Join(dir, "1.png"), 4, 4, color.Gray{})
			writePNG(t, filepath.Join(dir, "2.png"), 4, 4, color.Gray{})
			csv := filepath.Join(dir, "labels.csv")
			os.WriteFile(csv, []byte("1.png,x\n"), 0o644)
			return FolderOptions{Labels: csv}
		}, "2.png has no row in"},
		{"a bad test fraction", func(dir string) FolderOptions { return FolderOptions{TestFraction: 1.5} }, "test fraction 1.5: expected a fraction in (0, 1)"},
	}
	for i, tt := range tests {
		dir := t.TempDir()
		opts := tt.setup(dir)
		opts.Name = Name(fmt.Sprintf("refused-%d", i))
		if _, err := Folder(dir, opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
		if _, err := Describe(opts.Name); err == nil {
			t.Errorf("%s: the refused folder was registered", tt.name)
		}
	}
}

// The IDX data sets describe themselves; an unknown name lists the registered ones.
func TestDescribe(t *testing.T) {
	d, err := Describe(MNIST)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d.ImageShape()) != "[28 28 1]" || d.Images[Train] != 60000 || d.Images[Test] != 10000 || len(d.ClassNames) != 10 || len(d.Checksums) != 4 {
		t.Errorf("mnist: %+v", d)
	}
	if _, err := ParseName("cifar"); err == nil || !strings.Contains(err.Error(), `unknown data set "cifar": expected one of [`) || !strings.Contains(err.Error(), " mnist") {
		t.Errorf("ParseName(cifar) error = %v", err)
	}
	if err := Register(Descriptor{Name: "odd", Height: 2, Width: 2, Channels: 2}); err == nil || !strings.Contains(err.Error(), "expected a positive size and 1 (grey) or 3 (colour) channels") {
		t.Errorf("two channels: error %v", err)
	}
}
