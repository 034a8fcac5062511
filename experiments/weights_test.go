package experiments

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The records keep their models' final weights: opened from them, a record's evaluation gives
// its recorded numbers again, and its figures byte for byte (VerifyRecord; the samples are drawn
// with fixed seeds).
func TestRecordedWeightsGiveTheRecordedNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates recorded models on the MNIST test set")
	}
	// The small records, 10 s each; the VQ-VAE's PixelCNN draws its samples pixel by pixel (4 min).
	for _, name := range []string{"mnist-mlp-vae", "mnist-prior-cvae", "mnist-mlp-beta-vae-freebits"} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			v, err := VerifyRecord(context.Background(), filepath.Join("..", DefaultRecordsDir, name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d numbers (largest relative difference %.2g) and %d figures in %s", v.Numbers, v.MaxRelative, v.Figures,
				time.Since(start).Round(time.Millisecond))
			for _, d := range append(v.Differing, v.FiguresDiffering...) {
				t.Error(d)
			}
			if v.Numbers < 8 || v.Figures < 4 {
				t.Errorf("only %d recorded numbers and %d figures recomputed", v.Numbers, v.Figures)
			}
		})
	}
}

// Every committed weights file is under MaxWeightsFileBytes (records stay small enough for git).
func TestRecordedWeightsAreSmall(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", DefaultRecordsDir, "*", "*", "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", DefaultRecordsDir, "*", codePriorDir, WeightsDir, "*.bin"))
	var total int64
	for _, f := range append(files, more...) {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
		if info.Size() > MaxWeightsFileBytes {
			t.Errorf("%s: %d bytes, over %d", f, info.Size(), MaxWeightsFileBytes)
		}
	}
	if len(files) == 0 {
		t.Fatal("no record keeps weights")
	}
	t.Logf("%d weights files, %.1f MiB in all", len(files)+len(more), float64(total)/(1<<20))
}
