package experiments

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/training"
)

// The README's table of experiments states each recipe's optimizer, learning rate, batch size
// and epochs; they must be the registry's (a recipe changed without its row misleads whoever
// plans a run by the README: the binarized VAE's row once said batch 128, 50 epochs, after the
// recipe became the IWAE paper's batch 20, 1,093 epochs).
func TestReadmeRecipesAreTheExperiments(t *testing.T) {
	text, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile("`([a-z0-9-]+)`")
	optimizer := regexp.MustCompile(`(?i)\b(adam|rmsprop|sgd)\b(?: (\d[\d.e-]*))?`)
	rate := regexp.MustCompile(`learning rate (\d[\d.e-]*)`)
	batch := regexp.MustCompile(`batch (\d+)`)
	epochs := regexp.MustCompile(`([\d,]+) epochs`)
	rows := 0
	for _, line := range strings.Split(string(text), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		settings := cells[4]
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			exp, err := Lookup(m[1])
			if err != nil {
				t.Errorf("README row %q: %v", m[1], err)
				continue
			}
			rows++
			want := func(key string, def any) any {
				if v, ok := exp.Params[key]; ok {
					return v
				}
				return def
			}
			o := optimizer.FindStringSubmatch(settings)
			if o == nil {
				t.Errorf("%s: the README's settings %q name no optimizer", exp.Name, settings)
				continue
			}
			if got, w := strings.ToLower(o[1]), want(training.ParamOptimizer, "adam"); got != w {
				t.Errorf("%s: the README says optimizer %s, the recipe %v", exp.Name, got, w)
			}
			lr := o[2]
			if r := rate.FindStringSubmatch(settings); r != nil {
				lr = r[1]
			}
			if v, err := strconv.ParseFloat(strings.TrimRight(lr, ".,"), 64); err != nil || v != want(training.ParamLearningRate, 1e-3) {
				t.Errorf("%s: the README says learning rate %q, the recipe %v", exp.Name, lr, want(training.ParamLearningRate, 1e-3))
			}
			b := batch.FindStringSubmatch(settings)
			if b == nil || b[1] != strconv.Itoa(want(training.ParamBatchSize, 128).(int)) {
				t.Errorf("%s: the README's settings %q, the recipe's batch %v", exp.Name, settings, want(training.ParamBatchSize, 128))
			}
			e := epochs.FindAllStringSubmatch(settings, -1)
			if e == nil || strings.ReplaceAll(e[len(e)-1][1], ",", "") != strconv.Itoa(want(training.ParamEpochs, 10).(int)) {
				t.Errorf("%s: the README's settings %q, the recipe's epochs %v", exp.Name, settings, want(training.ParamEpochs, 10))
			}
		}
	}
	if rows < len(Registry) {
		t.Errorf("the README's table of experiments names %d of the %d experiments", rows, len(Registry))
	}
}
