package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FolderOptions say how Folder reads a folder of images.
type FolderOptions struct {
	// Name of the data set; empty: the folder's base name.
	Name Name
	// TestFraction of the images held out as the test split (default 1/6), drawn by a fixed
	// shuffle, so the same folder always splits the same way.
	TestFraction float64
	// Labels, if set, is a CSV file of "file,class" rows (file paths relative to the folder; a
	// first row "file,class" is a header) giving every image's class. Empty: an image's class is
	// the name of the sub-folder it is in, and images directly in the folder have one class,
	// named after the folder. Deeper folders take the class of the top-level sub-folder they are
	// under.
	Labels string
}

// Folder reads a folder of PNG files (searched recursively; grey or colour, all of one size)
// as a data set, checks every file before anything else is done (an unreadable file, another
// size or a missing class is an error naming the file), splits it into training and test
// images, and registers it (Register) under its name, so that Load, the experiments and the
// command line find it. Greyscale PNGs give one channel; if any file is not a greyscale PNG
// (RGB, palette or grey with alpha), every image is read as RGB (three channels; the alpha is
// premultiplied, so transparent pixels read as black). The images are held in
// memory. The descriptor's checksum is one SHA-256 over every file's path and content.
func Folder(dir string, opts FolderOptions) (Descriptor, error) {
	name := opts.Name
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return Descriptor{}, err
		}
		name = Name(filepath.Base(abs))
	}
	frac := opts.TestFraction
	if frac == 0 {
		frac = 1.0 / 6
	}
	if !(frac > 0 && frac < 1) {
		return Descriptor{}, fmt.Errorf("test fraction %g: expected a fraction in (0, 1)", frac)
	}
	paths, err := pngFiles(dir)
	if err != nil {
		return Descriptor{}, err
	}
	labels, classes, err := folderClasses(dir, paths, opts.Labels)
	if err != nil {
		return Descriptor{}, err
	}
	imgs := make([]image.Image, len(paths))
	digest := sha256.New()
	channels := 1
	for i, p := range paths {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return Descriptor{}, err
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return Descriptor{}, fmt.Errorf("image %s: %v: expected a PNG file", filepath.Join(dir, p), err)
		}
		if b, first := img.Bounds(), imgs[0]; i > 0 && b.Size() != first.Bounds().Size() {
			return Descriptor{}, fmt.Errorf("image %s is %dx%d: expected %dx%d, the size of %s", filepath.Join(dir, p), b.Dx(), b.Dy(),
				first.Bounds().Dx(), first.Bounds().Dy(), filepath.Join(dir, paths[0]))
		}
		if m := img.ColorModel(); m != color.GrayModel && m != color.Gray16Model {
			channels = 3
		}
		imgs[i] = img
		sum := sha256.Sum256(data)
		fmt.Fprintf(digest, "%s %x\n", p, sum)
	}
	h, w := imgs[0].Bounds().Dy(), imgs[0].Bounds().Dx()
	order := rand.New(rand.NewPCG(1, 2)).Perm(len(paths))
	nTest := max(1, int(math.Round(frac*float64(len(paths)))))
	if len(paths)-nTest < 1 {
		return Descriptor{}, fmt.Errorf("folder %s holds %d images: expected at least 2, for a training and a test split", dir, len(paths))
	}
	sets := map[Split]*Set{}
	for split, idx := range map[Split][]int{Test: order[:nTest], Train: order[nTest:]} {
		slices.Sort(idx) // files in path order within a split
		s := &Set{Name: name, Split: split, N: len(idx), Height: h, Width: w, Channels: channels, ClassNames: classes, Source: dir,
			Images: make([]float32, 0, len(idx)*h*w*channels), Labels: make([]int32, 0, len(idx))}
		for _, i := range idx {
			s.Images = appendPixels(s.Images, imgs[i], channels)
			s.Labels = append(s.Labels, labels[i])
		}
		sets[split] = s
	}
	d := Descriptor{Name: name, Height: h, Width: w, Channels: channels,
		Images:     map[Split]int{Train: sets[Train].N, Test: sets[Test].N},
		ClassNames: classes,
		Checksums:  map[string]string{fmt.Sprintf("%s (%d PNG files)", filepath.Base(dir), len(paths)): hex.EncodeToString(digest.Sum(nil))},
		Install:    "the folder " + dir,
		Load: func(split Split, _ Options) (*Set, error) {
			s, ok := sets[split]
			if !ok {
				return nil, fmt.Errorf("data set %q: split %q: expected train or test", name, split)
			}
			return s, nil
		},
	}
	return d, Register(d)
}

// pngFiles lists the PNG files under dir, as paths relative to it, sorted.
func pngFiles(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.EqualFold(filepath.Ext(p), ".png") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			paths = append(paths, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("folder of images: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("folder %s holds no PNG files: expected images named *.png, in sub-folders named after their classes", dir)
	}
	slices.Sort(paths)
	return paths, nil
}

// folderClasses gives every image its class: from the CSV file when given, else from the
// sub-folder it is in. Classes are sorted by name.
func folderClasses(dir string, paths []string, labelsCSV string) ([]int32, []string, error) {
	classOf := map[string]string{}
	if labelsCSV != "" {
		f, err := os.Open(labelsCSV)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = 2
		for line := 1; ; line++ {
			row, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("labels %s: %w: expected rows of file,class", labelsCSV, err)
			}
			if line == 1 && row[0] == "file" && row[1] == "class" {
				continue
			}
			classOf[filepath.Clean(row[0])] = row[1]
		}
	}
	for _, p := range paths {
		if labelsCSV != "" {
			if _, ok := classOf[p]; !ok {
				return nil, nil, fmt.Errorf("image %s has no row in %s: expected a class for every image", filepath.Join(dir, p), labelsCSV)
			}
			continue
		}
		class, _, nested := strings.Cut(p, string(filepath.Separator))
		if !nested {
			abs, _ := filepath.Abs(dir)
			class = filepath.Base(abs)
		}
		classOf[p] = class
	}
	var classes []string
	for _, p := range paths {
		if !slices.Contains(classes, classOf[p]) {
			classes = append(classes, classOf[p])
		}
	}
	slices.Sort(classes)
	labels := make([]int32, len(paths))
	for i, p := range paths {
		labels[i] = int32(slices.Index(classes, classOf[p]))
	}
	return labels, classes, nil
}

// appendPixels appends an image's pixels in [0, 1], row-major, channels last.
func appendPixels(dst []float32, img image.Image, channels int) []float32 {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if channels == 1 {
				g := color.Gray16Model.Convert(img.At(x, y)).(color.Gray16)
				dst = append(dst, float32(g.Y)/65535)
				continue
			}
			r, g, bl, _ := img.At(x, y).RGBA() // alpha-premultiplied: transparent pixels read as black
			dst = append(dst, float32(r)/65535, float32(g)/65535, float32(bl)/65535)
		}
	}
	return dst
}
