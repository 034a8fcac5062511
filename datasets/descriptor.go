package datasets

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Descriptor is everything about a data set that is known before its images are read: its
// name, the shape of an image, its splits and their sizes, its classes, its files with their
// checksums, and how to install them. Loaders, batches, likelihoods, figures and notebooks read
// shapes from it; a data set is added by registering one descriptor with its loader.
type Descriptor struct {
	Name Name
	// Title is the name a reader knows the data set by ("Fashion-MNIST"); empty: Name.
	Title string
	// Height, Width and Channels (1: grey, 3: colour) of every image.
	Height, Width, Channels int
	// Images is the number of images of each split.
	Images map[Split]int
	// ClassNames, indexed by label.
	ClassNames []string
	// Checksums are the SHA-256 of the data's files by file name: a run records them, so that
	// it names the exact bytes it trained and was tested on.
	Checksums map[string]string
	// Install says how to put the files where the loader finds them.
	Install string
	// Load reads one split. Its Set has the descriptor's name, shape and classes.
	Load func(split Split, opts Options) (*Set, error)
}

// ImageShape is [height, width, channels], as the model store's image_shape holds it.
func (d Descriptor) ImageShape() []int { return []int{d.Height, d.Width, d.Channels} }

// Titled is the data set's Title, or its Name when it has none.
func (d Descriptor) Titled() string {
	if d.Title != "" {
		return d.Title
	}
	return string(d.Name)
}

var (
	registryMu sync.RWMutex
	registry   = map[Name]Descriptor{}
)

// Register makes a data set known by its name (MNIST and Fashion-MNIST register themselves; a
// folder of images registers with Folder). A name already registered, a descriptor without a
// shape, splits or loader is refused.
func Register(d Descriptor) error {
	registryMu.Lock()
	defer registryMu.Unlock()
	switch {
	case d.Name == "":
		return fmt.Errorf("datasets.Register: a data set without a name")
	case d.Height < 1 || d.Width < 1 || (d.Channels != 1 && d.Channels != 3):
		return fmt.Errorf("data set %q: images %dx%dx%d: expected a positive size and 1 (grey) or 3 (colour) channels", d.Name, d.Height, d.Width, d.Channels)
	case d.Images[Train] < 1 || d.Images[Test] < 1:
		return fmt.Errorf("data set %q: %d training and %d test images: expected at least one of each", d.Name, d.Images[Train], d.Images[Test])
	case len(d.ClassNames) == 0 || d.Load == nil:
		return fmt.Errorf("data set %q: expected its class names and a loader", d.Name)
	}
	if _, dup := registry[d.Name]; dup {
		return fmt.Errorf("data set %q is already registered", d.Name)
	}
	d.Images = maps.Clone(d.Images)
	d.Checksums = maps.Clone(d.Checksums)
	registry[d.Name] = d
	return nil
}

// Describe returns the descriptor of a registered data set.
func Describe(name Name) (Descriptor, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	if d, ok := registry[name]; ok {
		return d, nil
	}
	return Descriptor{}, fmt.Errorf("unknown data set %q: expected one of %v", name, registered())
}

// Registered lists the names of the registered data sets, sorted.
func Registered() []Name {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return registered()
}

func registered() []Name { return slices.Sorted(maps.Keys(registry)) }
