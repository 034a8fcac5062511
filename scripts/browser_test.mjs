// The browser test of the notebooks' explorers (scripts/browser_test.sh starts Jupyter and calls
// it): in headless Chromium (Debian's, through playwright-core: never a downloaded browser) it
// opens a notebook, runs every cell, waits for the explorer's controls, moves a slider (or picks
// a class), checks that the explorer's image changes, presses Done, waits for the notebook to
// finish, and checks that no output is an error and that the explorer left its last image. It
// also checks that the markdown's equations are rendered by MathJax.
// Usage: node browser_test.mjs URL CONTROL   (CONTROL: "slider" or "select")
import { createRequire } from "node:module";

// playwright-core is installed outside the repository (make browser-test: $PLAYWRIGHT/node_modules).
const { chromium } = createRequire(`${process.env.PLAYWRIGHT}/`)("playwright-core");

const [url, control] = process.argv.slice(2);
const fail = (msg) => { console.error(`FAIL ${msg}`); process.exit(1); };
const log = (msg) => console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.(), null, { timeout: 120_000 });
  // The equations of the markdown cells are rendered by MathJax, which Jupyter serves from
  // Debian's libjs-mathjax (nothing fetched): MathJax output is present and no "$$" is left.
  await page.waitForFunction(() => document.querySelectorAll(".text_cell_render .MathJax_Display").length > 0, null,
    { timeout: 60_000 }).catch(() => fail("no equation rendered by MathJax within 60 s"));
  const raw = await page.evaluate(() => [...document.querySelectorAll(".text_cell_render")].filter((e) => e.innerText.includes("$$")).length);
  if (raw) fail(`${raw} markdown cells show raw $$: MathJax did not render them`);
  log(`equations rendered (${await page.locator(".text_cell_render .MathJax_Display").count()} displayed)`);
  log("notebook open, kernel connected; running every cell");
  await page.evaluate(() => window.Jupyter.notebook.execute_all_cells());

  // The explorer's controls: GoNB's widgets are plain inputs in the cell's output.
  const selector = control === "slider" ? "input[type=range]" : "select";
  const input = page.locator(`.output_area ${selector}`).first();
  await input.waitFor({ timeout: 600_000 });
  // The explorer's first image follows its first draw, after the control appears: once (s12 CI,
  // a slower run of the notebook) that took over 60 s, so the wait allows 300.
  const image = page.locator(".output_area figure img").last();
  await image.waitFor({ timeout: 300_000 });
  const before = await image.getAttribute("src");
  log(`explorer ready (${control}); changing it`);
  const start = Date.now();
  if (control === "slider") {
    await input.fill("-80"); // playwright sets a range input's value and fires input and change
  } else {
    const options = await input.locator("option").count();
    await input.selectOption({ index: options - 1 });
  }
  await page.waitForFunction(([src]) => {
    const imgs = document.querySelectorAll(".output_area figure img");
    return imgs.length > 0 && imgs[imgs.length - 1].getAttribute("src") !== src;
  }, [before], { timeout: 30_000 }).catch(() => fail("the explorer's image did not change within 30 s of moving its control"));
  log(`image redrawn ${Date.now() - start} ms after the change`);
  const caption = await page.locator(".output_area figure figcaption").last().textContent();
  log(`caption: ${caption}`);

  await page.locator(".output_area button", { hasText: "Done" }).first().click();
  log("Done pressed; waiting for the notebook to finish");
  await page.waitForFunction(() => {
    const nb = window.Jupyter.notebook;
    return !nb.kernel_busy && nb.get_cells().every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number");
  }, null, { timeout: 300_000 }).catch(() => fail("the notebook did not finish after Done"));

  const outputs = await page.evaluate(() => window.Jupyter.notebook.toJSON().cells.flatMap((c, i) => (c.outputs || []).map((o) => ({ cell: i, ...o }))));
  const errors = outputs.filter((o) => o.output_type === "error");
  if (errors.length) fail(`error outputs: ${errors.map((e) => `cell ${e.cell}: ${e.ename}: ${e.evalue}`).join("; ")}`);
  const stderr = outputs.filter((o) => o.output_type === "stream" && o.name === "stderr");
  if (stderr.length) fail(`stderr outputs (shown as error boxes): ${stderr.map((o) => `cell ${o.cell}: ${String(o.text).slice(0, 200)}`).join("; ")}`);
  const last = await page.evaluate(() => {
    const cells = window.Jupyter.notebook.get_cells();
    const explorer = cells.findLast((c) => c.cell_type === "code" && /Explorer\(/.test(c.get_text()));
    return explorer ? explorer.output_area.outputs.some((o) => o.data && o.data["image/png"]) : false;
  });
  if (!last) fail("the explorer's cell kept no image after Done");
  if (consoleErrors.some((e) => e.includes("gonb_comm"))) fail(`widget connection errors in the browser console: ${consoleErrors.join("; ")}`);
  log(`ok: ${outputs.length} outputs, no errors; the explorer's last image kept`);
} finally {
  await browser.close();
}
