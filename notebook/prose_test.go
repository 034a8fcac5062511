package notebook

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A number in a notebook's prose that comes from a run must be among the outputs of the code
// cells near it (within proseWindow cells before or after: prose reads what is printed just
// above or below it, and a wider window lets a chance match elsewhere pass a wrong number), in
// the committed outputs from the notebook's last full run, at the precision the prose gives it:
// "24.4" is checked by an output of 24.4 or 24.4049, not by 24.5. Numbers that are not results
// (settings, sizes, years, constants worked out in the text) are listed below with the reason,
// so that a result can only pass by being printed. A number the prose derives from outputs
// (a difference of two printed means, say) must be printed by a cell too.
var proseNumbersNotFromRuns = map[string]map[string]string{
	"00-start-here": {
		"1": "notebook numbers", "2": "notebook numbers", "4": "notebook numbers",
		"01": "notebook file names", "02": "notebook file names", "03": "notebook file names",
		"04": "notebook file names", "05": "notebook file names", "06": "notebook file names",
	},
	"01-autoencoders": {
		"128":  "batch size",
		"2008": "year of a cited paper", "10,000": "test set size", "60,000": "training set size",
		"5,000": "the test digits the clusters figure encodes, a setting", "6": "notebook 6",
	},
	"02-vae": {
		"0.5": "a temperature and the decoder's uninformed pixel probability", "1.5": "a temperature", "128": "batch size",
		"543":  "784 x ln 2, worked out in the text",
		"2014": "year of a cited paper", "2016": "year of a cited paper", "2017": "year of a cited paper",
		"10,000": "test set size", "60,000": "training set size",
		"2,000": "the test images of the I(x; z) estimate, a setting", "3": "notebook 3, and the digit a column reads as",
		"6": "a column's index in the interpolation, and notebook 6", "0.01": "the active-units threshold, a setting",
	},
	"03-latent-manifolds": {
		"10": "class count", "20": "grid size", "100": "epochs", "2017": "year of a cited data set",
		"10,000": "test split size", "60,000": "training split size", "70,000": "all images",
		"5,000": "the test-split images the clusters figure encodes, a setting",
		"48":    "the tutorial's last batch, 70,000 - 1,093 x 64, worked out in the text",
		"1,093": "the full batches of 64 in 70,000 images, worked out in the text", "6": "notebook 6",
	},
	"04-conditional-vae": {
		"1.0": "the prior's standard deviation", "0.1": "a setting", "100": "samples per class",
		"2015": "year of a cited paper", "10,000": "the test set's size",
	},
	"05-vqvae": {
		"0.05": "the codebook's initial range", "0.0949": "the training set's pixel variance (keras-io's)",
		"10.5": "1 / 0.0949, worked out in the text", "30": "epochs", "49": "codes per 7x7 grid",
		"20": "the recipe's PixelCNN epochs, a setting", "0.681": "an earlier full run's fidelity, named as such", "0.663": "an earlier full run's fidelity, named as such",
		"1": "a digit's name", "3": "a digit's name, a grid's row and column, and the sample sets",
		"2016": "year of a cited paper", "2017": "year of a cited paper",
	},
	"06-vae-vs-gan": {
		"0.5": "Adam's beta1", "0.2": "LeakyReLU slope", "2.30": "ln 10, worked out in the text",
		"10": "class count", "30": "epochs",
		"1,000": "samples scored", "100": "the DCGAN tutorial's noise size",
		"8": "a digit's name", "9": "a digit's name", "20": "notebook 2's code size",
		"00": "a notebook's file name", "1.39": "2 ln 2, worked out in the text",
		"60,000": "the DCGAN tutorial's training images",
		"2014":   "year of a cited paper", "2016": "year of a cited paper", "2019": "year of a cited paper",
	},
}

// progress matches the training loop's lines of an epoch's terms and of its evaluation: dozens
// of numbers per cell, which would let almost any two-digit number pass by chance. A number of
// them that prose quotes is printed again by the cell that reads the run (the last epoch's terms).
var progress = regexp.MustCompile(`(?m)^(?:epoch \d+/\d+ \(|evaluating on ).*$`)

// proseWindow is how many cells before and after a markdown cell its numbers are looked for in.
const proseWindow = 8

// settingNumbers are sizes and settings every notebook's prose uses (not results): class 0 and
// the origin, latent sizes, betas and epochs of 2, 4 and 5, ten classes, filter counts and code
// sizes, hidden layers of 256 and 512, 784 pixels, all 70,000 images.
var settingNumbers = map[string]bool{"0": true, "2": true, "4": true, "5": true, "10": true, "16": true, "32": true,
	"64": true, "256": true, "512": true, "784": true, "70,000": true}

// timing is a notebook's header sentence on how long it takes, which is not an output of the
// notebook but the measurement in notebooks/README.md's table: checked against that table.
var timing = regexp.MustCompile(`the full run took (\d+ (?:min|s)), quick mode \(.*?\) (\d+ (?:min|s))`)

// stripped removes from markdown what is not prose: displayed and inline math, code spans,
// link targets and HTML comments.
var stripped = []*regexp.Regexp{
	regexp.MustCompile(`(?s)\$\$.*?\$\$`), regexp.MustCompile(`\$[^$\n]*\$`), regexp.MustCompile("`[^`]*`"),
	regexp.MustCompile(`\]\([^)]*\)`), regexp.MustCompile(`(?s)<!--.*?-->`), regexp.MustCompile(`https?://\S+`),
}

// numberToken matches a number with its neighbours: thousands with commas or plain digits, and
// an optional fraction. The neighbours are checked by numbersIn (Go's regexp has no look-behind).
var numberToken = regexp.MustCompile(`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`)

// numbersIn returns the numbers written in text: not part of a word or identifier ("28x28",
// "conv2", "e-04"), as written.
func numbersIn(text string) []string {
	var out []string
	for _, loc := range numberToken.FindAllStringIndex(text, -1) {
		before, after := byte(' '), byte(' ')
		if loc[0] > 0 {
			before = text[loc[0]-1]
		}
		if loc[1] < len(text) {
			after = text[loc[1]]
		}
		exponent := (before == '-' || before == '+') && loc[0] >= 2 && (text[loc[0]-2] == 'e' || text[loc[0]-2] == 'E')
		if isWordByte(before) || before == '.' || exponent || isWordByte(after) || after == '+' {
			continue
		}
		out = append(out, text[loc[0]:loc[1]])
	}
	return out
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// value and decimals of a number as written.
func parseNumber(s string) (v float64, decimals int) {
	s = strings.ReplaceAll(s, ",", "")
	if i := strings.IndexByte(s, '.'); i >= 0 {
		decimals = len(s) - i - 1
	}
	v, _ = strconv.ParseFloat(s, 64)
	return v, decimals
}

// checkedBy reports whether a prose number is among the outputs at its precision.
func checkedBy(prose string, outputs []float64) bool {
	v, d := parseNumber(prose)
	scale := math.Pow(10, float64(d))
	for _, o := range outputs {
		if math.Abs(math.Round(o*scale)-v*scale) < 0.5 {
			return true
		}
	}
	return false
}

// notebookText returns a notebook's cells: for a markdown cell its prose, for a code cell the
// text of its outputs.
func notebookText(t *testing.T, path string) []textCell {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Type    string          `json:"cell_type"`
			Source  json.RawMessage `json:"source"`
			Outputs []struct {
				Text json.RawMessage            `json:"text"`
				Data map[string]json.RawMessage `json:"data"`
			} `json:"outputs"`
		}
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	join := func(raw json.RawMessage) string {
		text, err := cellText(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return text
	}
	var cells []textCell
	for _, c := range nb.Cells {
		if c.Type == "markdown" {
			cells = append(cells, textCell{markdown: true, text: join(c.Source)})
			continue
		}
		var out strings.Builder
		for _, o := range c.Outputs {
			out.WriteString(join(o.Text) + "\n")
			for mime, v := range o.Data {
				if strings.HasPrefix(mime, "text/") {
					out.WriteString(join(v) + "\n")
				}
			}
		}
		cells = append(cells, textCell{text: out.String()})
	}
	return cells
}

// textCell is a markdown cell's prose or a code cell's outputs.
type textCell struct {
	markdown bool
	text     string
}

func TestProseNumbersAreTheOutputs(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks found (%v)", err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "notebooks", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
		t.Run(name, func(t *testing.T) {
			allowed, ok := proseNumbersNotFromRuns[name]
			if !ok {
				t.Fatalf("notebook %s has no entry in proseNumbersNotFromRuns: list the numbers of its prose that are not results", name)
			}
			cells := notebookText(t, path)
			used := map[string]bool{}
			for i, cell := range cells {
				if !cell.markdown {
					continue
				}
				var values []float64
				for _, near := range cells[max(0, i-proseWindow):min(len(cells), i+proseWindow+1)] {
					if near.markdown {
						continue
					}
					for _, n := range numbersIn(progress.ReplaceAllString(near.text, "")) {
						v, _ := parseNumber(n)
						values = append(values, v)
					}
				}
				md := cell.text
				if m := timing.FindStringSubmatch(md); m != nil {
					row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(name) + ` \|[^|]*\| ` + regexp.QuoteMeta(m[1]) + ` \| ` + regexp.QuoteMeta(m[2]) + ` \|$`)
					if !row.Match(readme) {
						t.Errorf("cell %d (markdown) says the full run took %s and quick mode %s; notebooks/README.md's table says otherwise", i, m[1], m[2])
					}
					md = strings.Replace(md, m[0], " ", 1)
				}
				for _, re := range stripped {
					md = re.ReplaceAllString(md, " ")
				}
				for _, n := range numbersIn(md) {
					if _, ok := allowed[n]; ok {
						used[n] = true
						continue
					}
					if settingNumbers[n] {
						continue
					}
					if !checkedBy(n, values) {
						t.Errorf("cell %d (markdown) says %s, which no output within %d cells of it gives at that precision: print it from the run, or list it in proseNumbersNotFromRuns with why it is not a result", i, n, proseWindow)
					}
				}
			}
			for _, n := range slices.Sorted(maps.Keys(allowed)) {
				if !used[n] {
					t.Errorf("proseNumbersNotFromRuns lists %s for %s, which its prose no longer says: remove it", n, name)
				}
			}
		})
	}
}

// The checker's pieces on cases worked out by hand.
func TestProseNumberMatching(t *testing.T) {
	if got := numbersIn("a 28x28 image, conv2, 1.5e-04, 60,000 images, 24.4 nats, (0.37), 3 and 5."); !slices.Equal(got, []string{"60,000", "24.4", "0.37", "3", "5"}) {
		t.Errorf("numbersIn: %q", got)
	}
	for _, c := range []struct {
		prose   string
		outputs []float64
		want    bool
	}{
		{"24.4", []float64{24.4049}, true},
		{"24.4", []float64{24.46}, false},
		{"1.32", []float64{1.3249}, true},
		{"60,000", []float64{60000}, true},
		{"114", []float64{113.6}, true},
		{"0.37", []float64{0.3649, 0.3751}, false},
	} {
		if got := checkedBy(c.prose, c.outputs); got != c.want {
			t.Errorf("checkedBy(%s, %v) = %v, want %v", c.prose, c.outputs, got, c.want)
		}
	}
}
