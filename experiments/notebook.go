package experiments

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/figures"
)

// What notebooks need beyond the figures: loss curves redrawn in place while a run trains, and
// small interactive explorers built from GoNB widgets. Outside a notebook they do nothing
// (curves) or say so (explorers), so the same code runs from the command line.

// liveCurves redraws a run's loss curves in one output block of the notebook after every epoch.
type liveCurves struct {
	title, displayID, dir string
}

func newLiveCurves(title string) (*liveCurves, error) {
	dir, err := os.MkdirTemp("", "vaekit-live-")
	if err != nil {
		return nil, err
	}
	return &liveCurves{title: title, displayID: "vaekit-live-" + gonbui.UniqueId(), dir: dir}, nil
}

// draw returns the loss curves of h as PNG bytes.
func (l *liveCurves) draw(h *vaekit.History) ([]byte, error) {
	paths, err := figures.LossCurves(h, l.title, false, filepath.Join(l.dir, "live"))
	if err != nil {
		return nil, err
	}
	return os.ReadFile(paths[0])
}

// update replaces the block's content with the curves so far.
func (l *liveCurves) update(_ int, h *vaekit.History) error {
	data, err := l.draw(h)
	if err != nil {
		return err
	}
	gonbui.UpdateHTML(l.displayID, fmt.Sprintf(`<img src="data:image/png;base64,%s">`, base64.StdEncoding.EncodeToString(data)))
	return nil
}

// finish clears the transient block and shows the final curves as a normal output, which the
// notebook keeps when saved.
func (l *liveCurves) finish(h *vaekit.History) {
	defer os.RemoveAll(l.dir)
	gonbui.UpdateHTML(l.displayID, "")
	if len(h.Rows) == 0 {
		return
	}
	if data, err := l.draw(h); err == nil {
		gonbui.DisplayPng(data)
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

// pngImg renders an image grid as an inline <img> element.
func pngImg(data []byte) string {
	return fmt.Sprintf(`<img src="data:image/png;base64,%s">`, base64.StdEncoding.EncodeToString(data))
}

// controls creates an explorer's widgets in a transient div and returns its id, a channel
// signalled on every change, and the Done button's channel.
type controls func() (div string, changes <-chan struct{}, done <-chan int)

// explore runs the loop shared by the explorers: draw the first view, then redraw on every
// signal of the controls until the Done button, or until no interaction for explorerIdle. The
// controls are then removed and the last view stays in the notebook as a normal output. (GoNB's
// dom.Persist would keep the controls too, but it waits for the browser's answer, forever when
// Jupyter runs headlessly.) Headless, it shows the first view only.
func explore(setup controls, draw func() ([]byte, error)) error {
	if !gonbui.IsNotebook {
		fmt.Println("explorers are interactive: run this cell in a Jupyter notebook with the GoNB kernel")
		return nil
	}
	view, err := draw()
	if err != nil {
		return err
	}
	if headless() {
		gonbui.DisplayPng(view)
		gonbui.DisplayMarkdown("*Run headlessly: the explorer's controls appear when this notebook runs in Jupyter.*")
		return nil
	}
	div, changes, done := setup()
	displayID := "vaekit-explore-" + gonbui.UniqueId()
	gonbui.UpdateHTML(displayID, pngImg(view))
	idle := explorerIdle()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-changes:
			if view, err = draw(); err != nil {
				return err
			}
			gonbui.UpdateHTML(displayID, pngImg(view))
		case <-time.After(idle):
			break loop
		}
	}
	gonbui.UpdateHTML(displayID, "")
	dom.Remove(div)
	gonbui.DisplayPng(view)
	return nil
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
func (t *Trained) ClassExplorer(n int) error {
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
	setup := func() (string, <-chan struct{}, <-chan int) {
		div := dom.CreateTransientDiv()
		selector := widgets.Select(t.Test.ClassNames).AppendTo(div).Done()
		done := widgets.Button("Done").AppendTo(div).Done()
		changes := make(chan struct{}, 1)
		go watch(changes, &chosen, selector.Listen().LatestOnly().C)
		return div, changes, done.Listen().C
	}
	seed := uint64(0)
	draw := func() ([]byte, error) {
		class := max(0, min(int(chosen.Load()), len(t.Test.ClassNames)-1))
		seed++ // new samples on every redraw
		images, err := t.classSamplesOf(class, n, seed)
		if err != nil {
			return nil, err
		}
		paths, err := figures.ImageGrid(images, t.Test.Height, t.Test.Width, min(n, 10), nil,
			fmt.Sprintf("%s: samples of %q", t.Experiment.Name, t.Test.ClassNames[class]), filepath.Join(dir, "class"))
		if err != nil {
			return nil, err
		}
		return os.ReadFile(paths[0])
	}
	return explore(setup, draw)
}

// classSamplesOf draws n samples of one class.
func (t *Trained) classSamplesOf(class, n int, seed uint64) ([][]float32, error) {
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(class)
	}
	if t.Prior != nil {
		return t.priorSamples(labels, seed)
	}
	all, err := vaekit.ClassSamples(t.Backend, t.Store, t.Model, class+1, n, seed)
	if err != nil {
		return nil, err
	}
	return all[class*n:], nil
}

// LatentExplorer shows two sliders over a 2-D latent point z in [-scale, scale]^2 and the image
// the decoder makes of it, redrawn as the sliders move. For models with a 2-D latent space.
func (t *Trained) LatentExplorer(scale float64) error {
	gen, ok := t.Model.(vaekit.Generator)
	if !ok || gen.LatentDim(t.Store) != 2 {
		return fmt.Errorf("run %s: the latent explorer needs a model with a 2-D latent space", t.Dir)
	}
	if !(scale > 0) {
		return fmt.Errorf("latent explorer: scale %g: expected a positive number", scale)
	}
	var z0, z1 atomic.Int64 // slider positions in [-100, 100]
	setup := func() (string, <-chan struct{}, <-chan int) {
		div := dom.CreateTransientDiv()
		dom.Append(div, "z[0] ")
		s0 := widgets.Slider(-100, 100, 0).AppendTo(div).Done()
		dom.Append(div, " z[1] ")
		s1 := widgets.Slider(-100, 100, 0).AppendTo(div).Done()
		done := widgets.Button("Done").AppendTo(div).Done()
		changes := make(chan struct{}, 1)
		go watch(changes, &z0, s0.Listen().LatestOnly().C)
		go watch(changes, &z1, s1.Listen().LatestOnly().C)
		return div, changes, done.Listen().C
	}
	draw := func() ([]byte, error) {
		z := []float32{float32(scale * float64(z0.Load()) / 100), float32(scale * float64(z1.Load()) / 100)}
		images, err := vaekit.Decode(t.Backend, t.Store, t.Model, [][]float32{z}, nil)
		if err != nil {
			return nil, err
		}
		return enlargedPNG(images[0], t.Test.Height, t.Test.Width, 8)
	}
	return explore(setup, draw)
}

// enlargedPNG encodes a grayscale image (values in [0, 1]) as a PNG, each pixel a factor x factor
// block.
func enlargedPNG(img []float32, h, w, factor int) ([]byte, error) {
	var buf bytes.Buffer
	err := png.Encode(&buf, figures.Enlarge(img, h, w, factor))
	return buf.Bytes(), err
}
