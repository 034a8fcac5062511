// Package history holds what a training run records and its figures read: the per-epoch
// History of every loss term on the training and test sets (history.csv), and the Axis each
// term is drawn on. It is a leaf: the training loop writes it, the figures and the experiments
// read it, and it imports nothing of vaekit but internal/atomicfile.
package history

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/vaekit/vaekit/internal/atomicfile"
)

// History is the per-epoch record of every loss term, on the training and the test set.
type History struct {
	Terms []string // names of the loss terms, objective first
	Rows  []Row    // in order: epoch 1 train, epoch 1 test, epoch 2 train, ...
	// TestSeen says that the images of the "test" rows were trained on too (a recipe that
	// trains on all of a data set's images, as some reference tutorials do): figures and logs
	// then do not call them test images. It is the run's fact, not history.csv's.
	TestSeen bool
}

// SplitTitle is how figures and logs name a split of h: "training images", "test images", or
// for a test split that was trained on, "test split (trained on too)".
func (h *History) SplitTitle(split string) string {
	switch {
	case split == "train":
		return "training images"
	case split == "test" && h.TestSeen:
		return "test split (trained on too)"
	case split == "test":
		return "test images"
	}
	return split
}

// Row holds the mean of every term (per image) over one split after one epoch.
type Row struct {
	Epoch  int // 1-based
	Split  string
	Values []float64 // in the order of History.Terms
}

// Value returns the value of a term in a row, or NaN if the history has no such term.
func (h *History) Value(row Row, term string) float64 {
	if i := slices.Index(h.Terms, term); i >= 0 {
		return row.Values[i]
	}
	return math.NaN()
}

// Last returns the last row of a split, and false if there is none.
func (h *History) Last(split string) (Row, bool) {
	for i := len(h.Rows) - 1; i >= 0; i-- {
		if h.Rows[i].Split == split {
			return h.Rows[i], true
		}
	}
	return Row{}, false
}

// Epochs returns the number of the last epoch recorded.
func (h *History) Epochs() int {
	if len(h.Rows) == 0 {
		return 0
	}
	return h.Rows[len(h.Rows)-1].Epoch
}

// truncate drops rows after the given epoch (what a checkpoint older than the history did not see).
func (h *History) Truncate(epoch int) {
	h.Rows = slices.DeleteFunc(h.Rows, func(r Row) bool { return r.Epoch > epoch })
}

// MarshalCSV writes the history as CSV: a header "epoch,split,<terms...>", then one row per
// epoch and split. Values are written with the shortest representation that reads back exactly.
func (h *History) MarshalCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append([]string{"epoch", "split"}, h.Terms...))
	for _, r := range h.Rows {
		rec := []string{strconv.Itoa(r.Epoch), r.Split}
		for _, v := range r.Values {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// WriteFile writes the history CSV atomically.
func (h *History) WriteFile(path string) error {
	return atomicfile.Write(path, h.MarshalCSV())
}

// Read reads a history CSV written by History.WriteFile.
func Read(path string) (*History, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 || len(recs[0]) < 3 || recs[0][0] != "epoch" || recs[0][1] != "split" {
		return nil, fmt.Errorf("%s: expected a header \"epoch,split,<terms>\"", path)
	}
	h := &History{Terms: slices.Clone(recs[0][2:])}
	for i, rec := range recs[1:] {
		epoch, err := strconv.Atoi(rec[0])
		if err != nil || epoch < 1 {
			return nil, fmt.Errorf("%s line %d: epoch %q: expected a positive integer", path, i+2, rec[0])
		}
		row := Row{Epoch: epoch, Split: rec[1], Values: make([]float64, len(h.Terms))}
		for j := range h.Terms {
			if row.Values[j], err = strconv.ParseFloat(rec[2+j], 64); err != nil {
				return nil, fmt.Errorf("%s line %d: %s = %q: expected a number", path, i+2, h.Terms[j], rec[2+j])
			}
		}
		h.Rows = append(h.Rows, row)
	}
	return h, nil
}

// File is the name of the history a run writes into its directory.
const File = "history.csv"

// Axis says how a figure draws one loss term of a model: the quantity and its unit for the
// axis label, whether its values span decades (a logarithmic axis), and whether it equals
// another term by construction (then both share one panel, with a note saying why).
type Axis struct {
	// Title names the term for a reader ("KL divergence" for kl); "": the term's name with its
	// underscores as spaces.
	Title string `json:"title,omitempty"`
	// Unit labels the axis: "nats per image", "squared error per image", "error rate", ...
	Unit string `json:"unit"`
	// Log draws the term on a logarithmic axis.
	Log bool `json:"log,omitempty"`
	// SameAs names a term this one equals by construction ("" if none); Why says why, for the
	// figure's note.
	SameAs string `json:"same_as,omitempty"`
	Why    string `json:"why,omitempty"`
}
