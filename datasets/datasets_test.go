package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds an IDX file with the given magic, dimensions and payload.
func idxBytes(magic uint32, dims []int, payload []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// writeSet writes a tiny 2x3x3 image file and labels into dir under the MNIST file names.
func writeSet(t *testing.T, dir string, images, labels []byte, gzipped bool) {
	t.Helper()
	suffix := ""
	if gzipped {
		images, labels, suffix = gz(images), gz(labels), ".gz"
	}
	must(t, os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"+suffix), images, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"+suffix), labels, 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var (
	goodPixels = []byte{0, 255, 51, 0, 0, 0, 0, 0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90}
	goodImages = idxBytes(idxMagicImages, []int{2, 3, 3}, goodPixels)
	goodLabels = idxBytes(idxMagicLabels, []int{2}, []byte{7, 2})
)

func offlineOpts(dir string) Options {
	return Options{Dir: dir, CacheDir: filepath.Join(dir, "no-cache"), SystemDirs: []string{}, Offline: true}
}

func TestLoadGoodFiles(t *testing.T) {
	for _, gzipped := range []bool{false, true} {
		t.Run(map[bool]string{false: "raw", true: "gzip"}[gzipped], func(t *testing.T) {
			dir := t.TempDir()
			writeSet(t, dir, goodImages, goodLabels, gzipped)
			s, err := Load(MNIST, Train, offlineOpts(dir))
			must(t, err)
			if s.N != 2 || s.Height != 3 || s.Width != 3 {
				t.Fatalf("Load: N=%d %dx%d, want 2 3x3", s.N, s.Height, s.Width)
			}
			if got, want := s.Image(0)[1], float32(1); got != want {
				t.Errorf("pixel 1 = %v, want %v", got, want)
			}
			if got, want := s.Image(0)[2], float32(0.2); got != want {
				t.Errorf("pixel 2 = %v, want %v", got, want)
			}
			if s.Labels[0] != 7 || s.Labels[1] != 2 {
				t.Errorf("labels = %v, want [7 2]", s.Labels)
			}
		})
	}
}

func TestLoadBadFiles(t *testing.T) {
	tests := []struct {
		name           string
		images, labels []byte
		wantErr        string
	}{
		{"wrong image magic", idxBytes(0x00000801, []int{2, 3, 3}, goodPixels), goodLabels, "wrong IDX magic number 0x00000801, expected 0x00000803"},
		{"labels given as images", goodImages, goodImages, "wrong IDX magic number 0x00000803, expected 0x00000801"},
		{"empty file", []byte{}, goodLabels, "truncated: no 4-byte IDX magic"},
		{"truncated header", idxBytes(idxMagicImages, []int{2}, nil), goodLabels, "truncated header: dimension 2 of 3"},
		{"truncated pixels", idxBytes(idxMagicImages, []int{2, 3, 3}, goodPixels[:10]), goodLabels, "announces 18 bytes of data, found 10"},
		{"trailing bytes", idxBytes(idxMagicImages, []int{2, 3, 3}, append(goodPixels, 1)), goodLabels, "trailing bytes"},
		{"count mismatch", goodImages, idxBytes(idxMagicLabels, []int{3}, []byte{1, 2, 3}), "holds 2 images but"},
		{"label out of range", goodImages, idxBytes(idxMagicLabels, []int{2}, []byte{1, 12}), "label 12 of example 1 is out of range"},
		{"huge header", idxBytes(idxMagicImages, []int{1 << 20, 1 << 20, 1 << 20}, nil), goodLabels, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSet(t, dir, tt.images, tt.labels, false)
			_, err := Load(MNIST, Train, offlineOpts(dir))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadMissingListsEveryPlace(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, CacheDir: filepath.Join(dir, "cache"), SystemDirs: []string{"/nonexistent/system"}, Offline: true}
	_, err := Load(FashionMNIST, Test, opts)
	if err == nil {
		t.Fatal("Load of an empty directory succeeded")
	}
	for _, want := range []string{dir, filepath.Join(dir, "cache", "datasets", "fashion-mnist"), "/nonexistent/system", "apt-get install dataset-fashion-mnist", "t10k-images-idx3-ubyte"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := Load(MNIST, Train, Options{Dir: filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Load with a missing explicit dir: error = %v, want 'does not exist'", err)
	}
	if _, err := Load("cifar", Train, opts); err == nil || !strings.Contains(err.Error(), "unknown data set") {
		t.Errorf("Load(cifar) error = %v", err)
	}
}

func TestDownload(t *testing.T) {
	served := map[string][]byte{
		"/train-images-idx3-ubyte.gz": gz(goodImages),
		"/train-labels-idx1-ubyte.gz": gz(goodLabels),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()

	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	oldFiles, oldMirror := files[MNIST][Train], mirrors[MNIST]
	defer func() { files[MNIST][Train], mirrors[MNIST] = oldFiles, oldMirror }()
	mirrors[MNIST] = srv.URL + "/"

	tests := []struct {
		name      string
		imagesSum string
		wantErr   string
	}{
		{"checksum mismatch", strings.Repeat("0", 64), "SHA-256 of the content is " + sum(goodImages)},
		{"good", sum(goodImages), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files[MNIST][Train] = setFiles{
				images: fileInfo{"train-images-idx3-ubyte", tt.imagesSum},
				labels: fileInfo{"train-labels-idx1-ubyte", sum(goodLabels)},
			}
			root := t.TempDir()
			opts := Options{CacheDir: root, SystemDirs: []string{}}
			s, err := Load(MNIST, Train, opts)
			cached := filepath.Join(root, "datasets", "mnist", "train-images-idx3-ubyte.gz")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
				}
				if _, statErr := os.Stat(cached); statErr == nil {
					t.Errorf("the file that failed its checksum was kept at %s", cached)
				}
				entries, _ := os.ReadDir(filepath.Dir(cached))
				for _, e := range entries {
					if strings.Contains(e.Name(), "images") {
						t.Errorf("left behind %s", e.Name())
					}
				}
				return
			}
			must(t, err)
			if s.N != 2 || s.Labels[0] != 7 {
				t.Errorf("downloaded set: N=%d labels=%v", s.N, s.Labels)
			}
			if _, err := os.Stat(cached); err != nil {
				t.Errorf("download not cached: %v", err)
			}
		})
	}
}

func TestBinarization(t *testing.T) {
	s := &Set{Images: []float32{0, 0.2, 0.5, 0.51, 1}, N: 1, Height: 1, Width: 5}
	got := s.Binarized(0.5).Images
	want := []float32{0, 0, 0, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Binarized(0.5) = %v, want %v", got, want)
		}
	}
	if s.Images[3] != 0.51 {
		t.Errorf("Binarized modified its input")
	}

	// Dynamic: pixels of probability 0 and 1 are fixed, p=0.3 averages to 0.3, same seed same draw.
	src := make([]float32, 30000)
	for i := range src {
		src[i] = []float32{0, 1, 0.3}[i%3]
	}
	a, b := make([]float32, len(src)), make([]float32, len(src))
	DynamicBinarize(a, src, rand.New(rand.NewPCG(1, 2)))
	DynamicBinarize(b, src, rand.New(rand.NewPCG(1, 2)))
	var ones float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed gave different draws")
		}
		switch i % 3 {
		case 0, 1:
			if a[i] != src[i] {
				t.Fatalf("pixel of probability %v drew %v", src[i], a[i])
			}
		case 2:
			ones += float64(a[i])
		}
	}
	if mean := ones / 10000; mean < 0.28 || mean > 0.32 {
		t.Errorf("mean of Bernoulli(0.3) draws = %.3f, want 0.3 +- 0.02", mean)
	}
}

// TestRealData checks the installed copies against their known checksums (all four files of
// each data set) and sizes. It runs when the data is installed (`make data`);
// VAEKIT_REQUIRE_DATA=1 (set by `make test`) makes missing data a failure instead of a skip.
func TestRealData(t *testing.T) {
	for _, name := range []Name{MNIST, FashionMNIST} {
		for _, split := range []Split{Train, Test} {
			t.Run(string(name)+"/"+string(split), func(t *testing.T) {
				s, err := Load(name, split, Options{Offline: true, Verify: true})
				if err != nil {
					if os.Getenv("VAEKIT_REQUIRE_DATA") == "1" {
						t.Fatal(err)
					}
					t.Skipf("data not installed: %v", err)
				}
				wantN := map[Split]int{Train: 60000, Test: 10000}[split]
				if s.N != wantN || s.Height != 28 || s.Width != 28 || len(s.Images) != wantN*784 {
					t.Fatalf("%s %s: N=%d %dx%d, want %d 28x28", name, split, s.N, s.Height, s.Width, wantN)
				}
				counts := make([]int, 10)
				for _, l := range s.Labels {
					counts[l]++
				}
				for c, n := range counts {
					if n < wantN/20 {
						t.Errorf("class %d has %d examples", c, n)
					}
				}
			})
		}
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(goodImages)
	f.Add(gz(goodImages))
	f.Add(goodImages[:10])
	f.Add(idxBytes(idxMagicImages, []int{0, 0, 0}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := ReadIDX(bytes.NewReader(b), "fuzz", idxMagicImages)
		if err != nil {
			return
		}
		n := 1
		for _, d := range dims {
			n *= d
		}
		if len(dims) != 3 || n != len(data) {
			t.Fatalf("accepted dims %v with %d bytes", dims, len(data))
		}
	})
}

// A changed byte in an installed file is found by Verify and named; without Verify the set
// loads (the check costs a pass over the files, so it is asked for).
func TestVerifyFindsAChangedByte(t *testing.T) {
	dir := t.TempDir()
	for _, split := range []Split{Test} {
		sf := files[MNIST][split]
		for _, f := range []fileInfo{sf.images, sf.labels} {
			dirs, _, err := searchDirs(MNIST, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var src string
			for _, d := range dirs {
				if src = findFile(d, f.base); src != "" {
					break
				}
			}
			if src == "" {
				if os.Getenv("VAEKIT_REQUIRE_DATA") == "1" {
					t.Fatalf("MNIST %s not installed (`make data`)", f.base)
				}
				t.Skip("MNIST not installed (`make data`)")
			}
			body, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
				if body, err = gunzip(body); err != nil {
					t.Fatal(err)
				}
			}
			if f == sf.labels {
				body[len(body)-1] ^= 1 // the last label: 6 becomes 7, still a valid class
			}
			if err := os.WriteFile(filepath.Join(dir, f.base), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Load(MNIST, Test, Options{Dir: dir, Offline: true}); err != nil {
		t.Fatalf("without Verify: %v", err)
	}
	_, err := Load(MNIST, Test, Options{Dir: dir, Offline: true, Verify: true})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "t10k-labels-idx1-ubyte")+": SHA-256 of the content is") {
		t.Errorf("with Verify: error %v, want one naming t10k-labels-idx1-ubyte and its checksum", err)
	}
}
