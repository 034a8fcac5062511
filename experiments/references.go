package experiments

import (
	"embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// SourceLog is what a source printed after every epoch of its training: the values of some
// loss terms, epoch after epoch, which a reproduction is compared with at every epoch.
type SourceLog struct {
	// Source says where the log was printed.
	Source string
	// Terms are the names of vaekit's history terms the columns correspond to.
	Terms []string
	// Targets are the largest relative differences aimed at, per term (0.01: 1%).
	Targets []float64
	// Epochs holds the printed values of epoch 1, 2, ..., one per term.
	Epochs [][]float64
}

// referenceFiles are the per-epoch logs of the sources the reproductions follow, one CSV file per
// experiment ("# source:" and "# targets:" lines, then "epoch,term,..." and a row per epoch), and
// the notes of reproductions that carry measurements (*.note), each naming its source.
//
//go:embed references/*.csv references/*.note
var referenceFiles embed.FS

// referenceLog reads the log of an experiment's source (references/<experiment>.csv), cited as
// source. The files are part of the package: a malformed one is a programming error, caught by
// TestReferenceLogs.
func referenceLog(experiment, source string) *SourceLog {
	l, err := readReferenceLog(experiment, source)
	if err != nil {
		panic(err)
	}
	return l
}

func readReferenceLog(experiment, source string) (*SourceLog, error) {
	name := "references/" + experiment + ".csv"
	data, err := referenceFiles.ReadFile(name)
	if err != nil {
		return nil, err
	}
	l := &SourceLog{Source: source}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if rest, ok := strings.CutPrefix(line, "# targets:"); ok {
			_, list, _ := strings.Cut(rest, ":")
			for _, f := range strings.Split(strings.TrimSpace(list), ",") {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: targets: %w", name, err)
				}
				l.Targets = append(l.Targets, v)
			}
			continue
		}
		if !strings.HasPrefix(line, "#") {
			rows = append(rows, line)
		}
	}
	records, err := csv.NewReader(strings.NewReader(strings.Join(rows, "\n"))).ReadAll()
	if err != nil || len(records) < 2 || records[0][0] != "epoch" {
		return nil, fmt.Errorf("%s: expected a header epoch,term,... and a row per epoch (%v)", name, err)
	}
	l.Terms = records[0][1:]
	if len(l.Targets) != len(l.Terms) {
		return nil, fmt.Errorf("%s: %d targets for %d terms", name, len(l.Targets), len(l.Terms))
	}
	for i, rec := range records[1:] {
		if rec[0] != strconv.Itoa(i+1) {
			return nil, fmt.Errorf("%s: row %d is epoch %s: expected %d", name, i+1, rec[0], i+1)
		}
		values := make([]float64, len(l.Terms))
		for j := range values {
			if values[j], err = strconv.ParseFloat(rec[j+1], 64); err != nil {
				return nil, fmt.Errorf("%s: epoch %d: %w", name, i+1, err)
			}
		}
		l.Epochs = append(l.Epochs, values)
	}
	return l, nil
}

// referenceNote is the note of a reproduction that carries measurements, kept with its source
// in references/<experiment>.note ("#" lines name the source; the rest is the note's text).
func referenceNote(experiment string) string {
	data, err := referenceFiles.ReadFile("references/" + experiment + ".note")
	if err != nil {
		panic(err) // the files are part of the package (TestReferenceLogs)
	}
	var words []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			words = append(words, strings.Fields(line)...)
		}
	}
	return strings.Join(words, " ")
}
