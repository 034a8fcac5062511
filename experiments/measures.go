package experiments

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/vaekit/vaekit/internal/numfmt"
)

// WriteSampleMeasures writes a table of how the samples of finished runs score, one row per run:
// the data set's judge on them (confidence, class entropy in nats, classifier score:
// classifier.Quality) and their distances to the test images in the judge's features (Fréchet,
// kernel, precision, recall: SampleDistances, means over the sample sets), then a row for as many
// training images in place of samples (each distinct floor once: runs of one data set and sample
// size share theirs). The two kinds of measure disagree exactly where a generator fools the
// classifier: the score rewards confident classes spread over the digits, while recall falls when
// the samples cover little of the data.
// A measure the run does not have is "-"; a run that trained on its test split is marked † and
// a line under the table says that distances to its test images are to images it trained on; a
// record (a folder in a DefaultRecordsDir, docs/records, as FindRecord gives) is marked
// "(record)", to tell it from a run of the same recipe.
func WriteSampleMeasures(w io.Writer, runs ...*Finished) error {
	if len(runs) == 0 {
		return fmt.Errorf("WriteSampleMeasures: no runs: expected at least one finished run")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tepochs\tconfidence\tclass entropy (nats)\tscore\tFréchet\tkernel\tprecision\trecall")
	value := func(v float64, ok bool, digits int) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf("%.*f", digits, v)
	}
	// The floor row once per floor as printed: records of different code can hold the
	// same floor with float32 differences in the last digits.
	var floors []string
	var seen []string
	for _, r := range runs {
		m := r.Metrics
		name := m.Experiment
		if r.TestSeen {
			name += "†"
			if !slices.Contains(seen, m.Experiment) {
				seen = append(seen, m.Experiment)
			}
		}
		if isRecordDir(r.Dir) {
			name += " (record)"
		}
		conf, okConf := m.Extra["sample_confidence_fraction"]
		ent, okEnt := m.Extra["sample_class_entropy_nats"]
		score, okScore := m.Extra["sample_score_classes"]
		d := m.SampleDistances
		cells := []string{name, fmt.Sprint(m.Epochs), value(conf, okConf, 3), value(ent, okEnt, 3), value(score, okScore, 2)}
		if d == nil {
			cells = append(cells, "-", "-", "-", "-")
		} else {
			cells = append(cells, value(d.Frechet.Mean, true, 1), value(d.Kernel.Mean, true, 2),
				value(d.Precision.Mean, true, 3), value(d.Recall.Mean, true, 3))
			f := fmt.Sprintf("%s training images\t-\t-\t-\t-\t%.1f\t%.2f\t%.3f\t%.3f", numfmt.Thousands(d.Samples),
				d.Floor.Frechet, d.Floor.Kernel, d.Floor.Precision, d.Floor.Recall)
			if !slices.Contains(floors, f) {
				floors = append(floors, f)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	for _, f := range floors {
		fmt.Fprintln(tw, f)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case len(seen) == 1:
		_, err := fmt.Fprintf(w, "† trained on the test split's images too (%s): distances to its test images are to images it trained on, not held out.\n", seen[0])
		return err
	case len(seen) > 1:
		_, err := fmt.Fprintf(w, "† trained on the test split's images too (%s): distances to their test images are to images they trained on, not held out.\n",
			strings.Join(seen, ", "))
		return err
	}
	return nil
}

// isRecordDir reports whether dir is a record's folder: one inside a DefaultRecordsDir
// (docs/records/NAME), however the path is written.
func isRecordDir(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	return filepath.Base(filepath.Dir(abs)) == filepath.Base(DefaultRecordsDir) &&
		filepath.Base(filepath.Dir(filepath.Dir(abs))) == filepath.Base(filepath.Dir(DefaultRecordsDir))
}
