package experiments

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/internal/numfmt"
	"github.com/vaekit/vaekit/vaekit/paramtable"
	"github.com/vaekit/vaekit/vaekit/training"
)

// The README's table of experiments is made from Registry and written between these markers
// (`experiments list -readme README.md`, run by `make results`), so that a recipe is added in
// recipes.go alone and the table cannot say other settings than the recipe trains with.
const (
	readmeTableBegin = "<!-- experiments table: made by `experiments list -readme README.md` from experiments/recipes.go; do not edit -->"
	readmeTableEnd   = "<!-- end of experiments table -->"
)

// ExperimentsTable is the Markdown table of Registry: each recipe's name, description, data and
// training settings, read from the recipe itself.
func ExperimentsTable() (string, error) {
	var b strings.Builder
	b.WriteString("| experiment | model | data | settings |\n|---|---|---|---|\n")
	for _, exp := range Registry {
		data, err := recipeData(exp)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", exp.Name, exp.Description, data, recipeSettings(exp))
	}
	return b.String(), nil
}

// recipeData says which images a recipe trains on, and whether its test images are held out.
func recipeData(exp Experiment) (string, error) {
	d, err := datasets.Describe(exp.Data)
	if err != nil {
		return "", fmt.Errorf("experiment %s: %w", exp.Name, err)
	}
	title := d.Titled()
	if b, ok := exp.Params[training.ParamBinarize]; ok && b != "none" {
		title = fmt.Sprintf("%s, %s", title, map[any]string{"static": "binarized at 0.5", "dynamic": "dynamically binarized"}[b])
	}
	train, test := d.Images[datasets.Train], d.Images[datasets.Test]
	if exp.TrainOnAll {
		return fmt.Sprintf("%s, all %s images (no test images held out)", title, numfmt.Thousands(train+test)), nil
	}
	return fmt.Sprintf("%s, %s train / %s test", title, numfmt.Thousands(train), numfmt.Thousands(test)), nil
}

// recipeSettings are a recipe's optimizer, learning rate (and schedule), batch size and epochs,
// and the decay of the weights it samples from if it averages them, with its code prior's after
// a semicolon.
func recipeSettings(exp Experiment) string {
	s := trainingSettings(exp.Params, exp.Model)
	if exp.NLLSamples > 0 {
		s += fmt.Sprintf("; test NLL with k = %s", numfmt.Thousands(exp.NLLSamples))
	}
	if exp.CodePrior != nil {
		s += "; PixelCNN code prior: " + trainingSettings(exp.CodePrior, "pixelcnn")
	}
	return s
}

func trainingSettings(params map[string]any, family string) string {
	get := func(name string) any {
		if v, ok := params[name]; ok {
			return v
		}
		spec, _ := paramtable.Lookup(name)
		return spec.DefaultFor(family)
	}
	opt := fmt.Sprint(get(training.ParamOptimizer))
	title := map[string]string{"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}[opt]
	if title == "" {
		title = opt
	}
	var extra []string
	if opt == "adam" {
		if v, ok := params[training.ParamAdamBeta1]; ok {
			extra = append(extra, fmt.Sprintf("beta1 %v", v))
		}
		if v, ok := params[training.ParamAdamEpsilon]; ok {
			extra = append(extra, "epsilon "+rate(v))
		}
	}
	s := title + " " + rate(get(training.ParamLearningRate))
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	epochs := get(training.ParamEpochs).(int)
	if sched := fmt.Sprint(get(training.ParamLearningRateSchedule)); sched != "constant" {
		ends := training.ScheduleStageEnds(sched, epochs)
		s += fmt.Sprintf(", schedule %s (%d stages)", sched, len(ends))
	}
	s = fmt.Sprintf("%s, batch %v, %s epochs", s, get(training.ParamBatchSize), numfmt.Thousands(epochs))
	if v, ok := params[training.ParamAveragingDecay]; ok && v != 0.0 {
		s += fmt.Sprintf("; samples from the generator's moving average (decay %v)", v)
	}
	return s
}

// rate writes a learning rate or an epsilon as the papers do: 1e-3, 2e-4.
func rate(v any) string {
	f, ok := v.(float64)
	if !ok {
		return fmt.Sprint(v)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1e-03
	mant, exp, _ := strings.Cut(s, "e")
	n, _ := strconv.Atoi(exp)
	if n >= -1 && n <= 1 {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return mant + "e" + strconv.Itoa(n)
}

// WriteReadmeTable replaces the table between the README's markers with ExperimentsTable,
// atomically; a README without both markers is refused and left as it was.
func WriteReadmeTable(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	table, err := ExperimentsTable()
	if err != nil {
		return err
	}
	out, err := spliceReadmeTable(text, table)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, out)
}

// spliceReadmeTable puts table between the markers of text.
func spliceReadmeTable(text []byte, table string) ([]byte, error) {
	begin := bytes.Index(text, []byte(readmeTableBegin))
	end := bytes.Index(text, []byte(readmeTableEnd))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("no experiments table: expected the line %q and, after it, %q", readmeTableBegin, readmeTableEnd)
	}
	var b bytes.Buffer
	b.Write(text[:begin+len(readmeTableBegin)])
	b.WriteString("\n" + table)
	b.Write(text[end:])
	return b.Bytes(), nil
}
