// Package notebook is what vaekit's GoNB notebooks use beyond the library: the options of a
// run in a notebook (quick mode from VAEKIT_QUICK, progress on standard output, loss curves
// redrawn in the cell while it trains), figures shown inline, and interactive explorers built
// from GoNB widgets. Outside a notebook the curves do nothing, Show prints paths and the
// explorers say they need one. The command line does not link this package (nor GoNB).
package notebook

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/history"
	"github.com/vaekit/vaekit/vaekit/infer"
)

// What notebooks need beyond the figures: loss curves redrawn in place while a run trains, and
// small interactive explorers built from GoNB widgets. Outside a notebook they do nothing
// (curves) or say so (explorers), so the same code runs from the command line.

// liveCurves (an experiments.EpochView) redraws a run's loss curves in one output block of the notebook after every epoch.
type liveCurves struct {
	title, displayID, dir string
	axes                  map[string]history.Axis
}

func newLiveCurves(title string, axes map[string]history.Axis) (experiments.EpochView, error) {
	dir, err := os.MkdirTemp("", "vaekit-live-")
	if err != nil {
		return nil, err
	}
	return &liveCurves{title: title, displayID: "vaekit-live-" + gonbui.UniqueId(), dir: dir, axes: axes}, nil
}

// draw returns the loss curves of h as PNG bytes.
func (l *liveCurves) draw(h *history.History) ([]byte, error) {
	paths, err := figures.LossCurves(h, l.axes, l.title, filepath.Join(l.dir, "live"))
	if err != nil {
		return nil, err
	}
	return os.ReadFile(paths[0])
}

// update replaces the block's content with the curves so far.
func (l *liveCurves) Update(_ int, h *history.History) error {
	data, err := l.draw(h)
	if err != nil {
		return err
	}
	gonbui.UpdateHTML(l.displayID, fmt.Sprintf(`<img src="data:image/png;base64,%s">`, base64.StdEncoding.EncodeToString(data)))
	return nil
}

// finish clears the transient block and shows the final curves as a normal output, which the
// notebook keeps when saved.
func (l *liveCurves) Finish(h *history.History) {
	defer os.RemoveAll(l.dir)
	gonbui.UpdateHTML(l.displayID, "")
	if len(h.Rows) == 0 {
		return
	}
	if data, err := l.draw(h); err == nil {
		gonbui.DisplayPng(data)
		flush()
	}
}

// headless reports whether Jupyter runs the notebook without a browser (`make notebooks` sets
// VAEKIT_HEADLESS=1): GoNB's widgets then have no front end to talk to, and a program that
// creates them waits forever, so the explorers show their first view and no controls.
func headless() bool { return os.Getenv("VAEKIT_HEADLESS") == "1" }

// explorerIdle is how long an explorer waits for the next interaction before it ends: ten
// minutes, or VAEKIT_EXPLORE_SECONDS.
func explorerIdle() time.Duration {
	if s := os.Getenv("VAEKIT_EXPLORE_SECONDS"); s != "" {
		var secs float64
		if _, err := fmt.Sscan(s, &secs); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second))
		}
	}
	return 10 * time.Minute
}

// pngImg renders an image as an inline <img> element, with a caption under it.
func pngImg(data []byte, caption string) string {
	return fmt.Sprintf(`<figure style="margin:0"><img src="data:image/png;base64,%s"><figcaption>%s</figcaption></figure>`,
		base64.StdEncoding.EncodeToString(data), html.EscapeString(caption))
}

// controls creates an explorer's widgets in the transient div whose id it is given and returns
// a channel signalled on every change and the Done button's channel. It returns once the
// widgets are connected (GoNB's widgets wait for their first value from the browser), so a
// connection that fails keeps it waiting for ever.
type controls func(div string) (changes <-chan struct{}, done <-chan int)

// view is what an explorer shows: an image and a caption saying what it is (the current latent
// point, the class).
type view struct {
	png     []byte
	caption string
}

// display is the part of GoNB an explorer talks to; tests replace it.
type display interface {
	IsNotebook() bool
	Headless() bool
	ShowPNG(data []byte, caption string)
	ShowMarkdown(text string)
	Update(id, html string)
	NewDiv() string
	Remove(div string)
}

// gonbDisplay is the notebook's own output.
type gonbDisplay struct{}

func (gonbDisplay) IsNotebook() bool { return gonbui.IsNotebook }
func (gonbDisplay) Headless() bool   { return headless() }
func (gonbDisplay) ShowPNG(data []byte, caption string) {
	gonbui.DisplayPng(data) // a PNG output: saved with the notebook, counted by its check
	gonbui.DisplayMarkdown("*" + caption + "*")
	flush()
}
func (gonbDisplay) ShowMarkdown(text string) { gonbui.DisplayMarkdown(text) }
func (gonbDisplay) Update(id, html string)   { gonbui.UpdateHTML(id, html) }
func (gonbDisplay) NewDiv() string           { return dom.CreateTransientDiv() }
func (gonbDisplay) Remove(div string)        { dom.Remove(div) }

// An explorer waits explorerConnectTimeout for its controls to connect to the browser, and
// tries explorerConnectTries times. GoNB v0.11.5's browser side gives the kernel 500 ms to
// acknowledge its connection; on a busy machine the acknowledgement comes late, the browser
// side closes, and widgets made then never send a value. The next widgets GoNB makes find the
// connection gone (its heartbeat goes unanswered) and connect anew: so a retry works where
// waiting longer never would. The browser test drops the first connection on purpose to
// check it.
var explorerConnectTimeout = 8 * time.Second // a variable: the tests shorten it

const explorerConnectTries = 3

// explore runs the loop shared by the explorers: draw the first view, create the controls,
// then redraw on every signal of the controls until the Done button, or until no interaction
// for explorerIdle. It never waits longer than that: controls that do not connect within
// explorerConnectTimeout are removed and made again, and after explorerConnectTries (or the
// idle time, if sooner) the explorer ends with a message. The controls are then removed and
// the last view stays in the notebook as a normal output. (GoNB's
// dom.Persist would keep the controls too, but it waits for the browser's answer, forever when
// Jupyter runs headlessly.) Headless, it shows the first view only.
func explore(out display, setup controls, draw func() (view, error)) error {
	if !out.IsNotebook() {
		fmt.Println("explorers are interactive: run this cell in a Jupyter notebook with the GoNB kernel")
		return nil
	}
	current, err := draw()
	if err != nil {
		return err
	}
	if out.Headless() {
		out.ShowPNG(current.png, current.caption)
		out.ShowMarkdown("*This run had no browser attached, so the explorer drew its first view only; open the notebook in Jupyter to use its controls.*")
		return nil
	}
	idle := explorerIdle()
	type ready struct {
		changes <-chan struct{}
		done    <-chan int
	}
	var (
		c      ready
		div    string
		waited time.Duration
	)
	for try := 1; ; try++ {
		// A channel per try: controls of an abandoned try that connect late are ignored.
		connected := make(chan ready, 1)
		div = out.NewDiv()
		go func(div string) {
			changes, done := setup(div)
			connected <- ready{changes, done}
		}(div)
		wait := min(explorerConnectTimeout, idle-waited)
		select {
		case c = <-connected:
		case <-time.After(wait):
		}
		if c.done != nil {
			break
		}
		waited += wait
		out.Remove(div)
		if try == explorerConnectTries || waited >= idle {
			out.ShowPNG(current.png, current.caption)
			out.ShowMarkdown(fmt.Sprintf("*The explorer's controls did not connect to the notebook in %d tries over %v (a busy machine can "+
				"keep them from connecting): this is its first view. Run the cell again to explore.*", try, waited))
			return nil
		}
	}
	displayID := "vaekit-explore-" + gonbui.UniqueId()
	out.Update(displayID, pngImg(current.png, current.caption))
loop:
	for {
		select {
		case <-c.done:
			break loop
		case <-c.changes:
			if current, err = draw(); err != nil {
				return err
			}
			out.Update(displayID, pngImg(current.png, current.caption))
		case <-time.After(idle):
			break loop
		}
	}
	out.Update(displayID, "")
	out.Remove(div)
	out.ShowPNG(current.png, current.caption)
	return nil
}

// doneButton makes the explorer's Done button in div and returns a channel that receives its
// clicks. It listens to the button before making it: GoNB v0.11.5's Button.Done closes its own
// listener (for the button's first value, 0) and unsubscribes in a goroutine, so a listener
// made just after Done can race with it, lose the kernel's subscription to the address, and
// never hear the click (seen in the browser test: the kernel logs the click as "dropped -- no
// recipients"). A listener made first keeps the address subscribed throughout; it hears the
// first value too, which is not a click.
func doneButton(div string) <-chan int {
	b := widgets.Button("Done").AppendTo(div)
	values := comms.Listen[int](b.Address())
	b.Done()
	clicks := make(chan int, 1)
	go func() {
		for n := range values.C {
			if n > 0 { // clicks count from 1
				select {
				case clicks <- n:
				default: // the explorer has not taken the last click yet: one is enough
				}
			}
		}
	}()
	return clicks
}

// watch forwards every value of the widget channels into *latest and signals changes, dropping
// signals while a redraw is pending.
func watch(changes chan struct{}, latest *atomic.Int64, c <-chan int) {
	for v := range c {
		latest.Store(int64(v))
		select {
		case changes <- struct{}{}:
		default:
		}
	}
}

// ClassExplorer shows a class selector and, for the chosen class, a grid of n new samples of
// it; choosing another class redraws the grid. For conditional runs (CVAE, class-conditional
// code prior).
func ClassExplorer(t *experiments.Trained, n int) error {
	if !t.Conditional() {
		return fmt.Errorf("run %s is not class-conditional: the class explorer needs a conditional VAE or a conditional code prior", t.Dir)
	}
	if n <= 0 {
		return fmt.Errorf("class explorer: %d samples: expected a positive number", n)
	}
	dir, err := os.MkdirTemp("", "vaekit-explore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var chosen atomic.Int64
	setup := func(div string) (<-chan struct{}, <-chan int) {
		dom.Append(div, "class ")
		selector := widgets.Select(t.Test.ClassNames).AppendTo(div).Done()
		done := doneButton(div)
		changes := make(chan struct{}, 1)
		go watch(changes, &chosen, selector.Listen().LatestOnly().C)
		return changes, done
	}
	seed := uint64(0)
	draw := func() (view, error) {
		class := max(0, min(int(chosen.Load()), len(t.Test.ClassNames)-1))
		seed++ // new samples on every redraw
		images, err := t.SamplesOfClass(class, n, seed)
		if err != nil {
			return view{}, err
		}
		paths, err := figures.ImageGrid(images, t.Test.Height, t.Test.Width, min(n, 10), nil,
			fmt.Sprintf("%s: samples of %q", t.Experiment.Name, t.Test.ClassNames[class]), filepath.Join(dir, "class"))
		if err != nil {
			return view{}, err
		}
		data, err := os.ReadFile(paths[0])
		return view{data, fmt.Sprintf("%d new samples of class %q (draw %d); pick another class to redraw", n, t.Test.ClassNames[class], seed)}, err
	}
	return explore(gonbDisplay{}, setup, draw)
}

// LatentExplorer shows two sliders over a 2-D latent point z in [-scale, scale]^2 and the image
// the decoder makes of it, redrawn as the sliders move. For models with a 2-D latent space.
func LatentExplorer(t *experiments.Trained, scale float64) error {
	gen, ok := t.Model.(vaekit.Generator)
	if !ok || gen.LatentDim(t.Store) != 2 {
		return fmt.Errorf("run %s: the latent explorer needs a model with a 2-D latent space", t.Dir)
	}
	if !(scale > 0) {
		return fmt.Errorf("latent explorer: scale %g: expected a positive number", scale)
	}
	// The sliders start at the code of the first test image, not at z = 0 (which some models
	// decode to a blank image).
	var z0, z1 atomic.Int64 // slider positions in [-100, 100]
	if codes, err := infer.Encode(t.Backend, t.Store, t.Model, t.Test.Subset(1), 1); err == nil && len(codes) == 1 {
		z0.Store(int64(max(-100, min(100, math.Round(100*float64(codes[0][0])/scale)))))
		z1.Store(int64(max(-100, min(100, math.Round(100*float64(codes[0][1])/scale)))))
	}
	setup := func(div string) (<-chan struct{}, <-chan int) {
		dom.Append(div, fmt.Sprintf("z[0] in [%g, %g] ", -scale, scale))
		s0 := widgets.Slider(-100, 100, int(z0.Load())).AppendTo(div).Done()
		dom.Append(div, fmt.Sprintf(" z[1] in [%g, %g] ", -scale, scale))
		s1 := widgets.Slider(-100, 100, int(z1.Load())).AppendTo(div).Done()
		done := doneButton(div)
		changes := make(chan struct{}, 1)
		go watch(changes, &z0, s0.Listen().LatestOnly().C)
		go watch(changes, &z1, s1.Listen().LatestOnly().C)
		return changes, done
	}
	draw := func() (view, error) {
		z := []float32{float32(scale * float64(z0.Load()) / 100), float32(scale * float64(z1.Load()) / 100)}
		images, err := infer.Decode(t.Backend, t.Store, t.Model, [][]float32{z}, nil)
		if err != nil {
			return view{}, err
		}
		data, err := enlargedPNG(images[0], t.Test.Height, t.Test.Width, 8)
		return view{data, fmt.Sprintf("the decoder's image of z = (%.2f, %.2f); move the sliders to move z", z[0], z[1])}, err
	}
	return explore(gonbDisplay{}, setup, draw)
}

// enlargedPNG encodes a grayscale image (values in [0, 1]) as a PNG, each pixel a factor x factor
// block.
func enlargedPNG(img []float32, h, w, factor int) ([]byte, error) {
	var buf bytes.Buffer
	err := png.Encode(&buf, figures.Enlarge(img, h, w, factor))
	return buf.Bytes(), err
}

// Show displays PNG figures inline when running in a GoNB notebook, and prints their paths
// otherwise. Files that are not PNG (the SVG twins) are skipped.
func Show(paths ...string) error {
	for _, p := range paths {
		if filepath.Ext(p) != ".png" {
			continue
		}
		if !gonbui.IsNotebook {
			fmt.Println(p)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		gonbui.DisplayPng(data)
	}
	flush()
	return nil
}

// flush waits (5 s at most) until GoNB has shown everything sent: a cell's program that ends
// right after a display can otherwise lose it (seen: the second of two figures missing from a
// notebook run on a busy machine).
func flush() {
	if !gonbui.IsNotebook {
		return
	}
	done := make(chan struct{})
	go func() { gonbui.Sync(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// nllSamples caps the importance samples of the test NLL in notebooks: k = 100 takes seconds;
// the experiments' own k (1000 or 5000) takes minutes (BenchmarkImportanceWeightedNLL).
const nllSamples = 100

// Options are a notebook's run options: the full experiment, or the quick mode of
// experiments.QuickOptions when the environment variable VAEKIT_QUICK is 1 (set by `make
// notebooks` for CI), with the loss curves redrawn in the cell while it trains and progress on
// standard output. Quick runs go under runsDir/quick, so that they never resume into, or get
// resumed by, a full run.
func Options(runsDir string) experiments.Options {
	opts := experiments.Options{RunsDir: runsDir}
	if os.Getenv("VAEKIT_QUICK") == "1" {
		opts = experiments.QuickOptions(filepath.Join(runsDir, "quick"))
	}
	if gonbui.IsNotebook {
		opts.NewView = newLiveCurves
		opts.FirstShowing = firstShowing
		// Progress goes to standard output, where each phase is one line redrawn in place;
		// Jupyter paints standard error as error boxes.
		opts.Log = os.Stdout
	}
	if opts.MaxNLLSamples == 0 {
		opts.MaxNLLSamples = nllSamples
	}
	return opts
}

// shownHere are the shared runs this program has shown (firstShowing).
var shownHere sync.Map

// firstShowing reports whether what key names (a run's directory, or a line such as the
// backend's) has not yet been shown in this kernel session (experiments.Options.FirstShowing).
// GoNB runs every cell as a program of its own, in one temporary folder per kernel
// (GONB_TMP_DIR), which keeps a marker per key shown; a restarted kernel starts with none, so
// "Restart & Run All" over finished runs shows the same page as the run that trained them. A
// relative key is made absolute: two notebooks' runs of one name are two runs.
func firstShowing(key string) bool {
	if abs, err := filepath.Abs(key); err == nil {
		key = abs
	}
	if _, seen := shownHere.LoadOrStore(key, true); seen {
		return false
	}
	tmp := os.Getenv("GONB_TMP_DIR")
	if tmp == "" {
		return true
	}
	marker := filepath.Join(tmp, fmt.Sprintf("vaekit-shown-%x", sha256.Sum256([]byte(key))))
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return !errors.Is(err, fs.ErrExist) // a folder that cannot be written: show it
	}
	f.Close()
	return true
}

// Must returns v, or panics with err: a notebook cell's program stops there, and GoNB shows the
// error under the cell.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// ShowGrid draws images (28 x 28 pixels in [0, 1]) in rows of cols, with an optional label per
// row, writes the figure as dir/name.png, .svg and .pdf (where an export cell can take it)
// and shows it.
func ShowGrid(dir, name string, images [][]float32, cols int, rowLabels []string, title string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	paths, err := figures.ImageGrid(images, 28, 28, cols, rowLabels, title, filepath.Join(dir, name))
	if err != nil {
		return err
	}
	return Show(paths...)
}
