// The browser test of the notebooks' explorers (scripts/browser_test.sh starts Jupyter and calls
// it): in headless Chromium (Debian's, through playwright-core: never a downloaded browser) it
// opens a notebook, runs every cell, waits for the explorer's controls, moves a slider (or picks
// a class), checks that the explorer's image changes, presses Done, waits for the notebook to
// finish, and checks that no output is an error and that the explorer left its last image. It
// also checks that the markdown's equations are rendered by MathJax.
// With "drop-first-connection" it loses the first connection GoNB's widgets make to the kernel,
// as a busy machine does (GoNB v0.11.5's browser side gives the kernel 500 ms to acknowledge
// it), and checks that the explorer connects on its next try.
// With CONTROL "render" it only checks the equations and runs nothing.
// Usage: node browser_test.mjs URL CONTROL [drop-first-connection]   (CONTROL: "slider", "select" or "render")
import { createRequire } from "node:module";

// playwright-core is installed outside the repository (make browser-test: $PLAYWRIGHT/node_modules).
const { chromium } = createRequire(`${process.env.PLAYWRIGHT}/`)("playwright-core");

const [url, control, fault] = process.argv.slice(2);
let page;
// On failure, the state of every code cell (prompt, outputs, first line) and of the kernel, so that
// a failure in CI says where the notebook stood.
const fail = async (msg) => {
  console.error(`FAIL ${msg}`);
  if (page) {
    const state = await page.evaluate(() => {
      const nb = window.Jupyter?.notebook;
      if (!nb) return "no notebook";
      const cells = nb.get_cells().map((c, i) => c.cell_type !== "code" ? null :
        `  cell ${i}: [${c.input_prompt_number ?? " "}] ${c.output_area.outputs.length} outputs` +
        ` (${c.output_area.outputs.map((o) => o.output_type + (o.name ? ":" + o.name : "")).join(", ")}): ` +
        c.get_text().split("\n").find((l) => l && !l.startsWith("%%"))?.slice(0, 80)).filter(Boolean);
      return `kernel busy: ${nb.kernel_busy}, connected: ${nb.kernel?.is_connected?.()}\n${cells.join("\n")}`;
    }).catch((e) => `page state not readable: ${e}`);
    console.error(state);
  }
  process.exit(1);
};
const log = (msg) => console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);

// shutDown ends the notebook's kernel (and its gopls), so that rounds of the test do not pile up
// kernels in the one Jupyter server, and closes the browser.
const shutDown = async () => {
  await Promise.race([
    page?.evaluate(() => new Promise((done) => { try { window.Jupyter.notebook.session.delete(done, done); } catch { done(); } })),
    new Promise((done) => setTimeout(done, 10_000)),
  ]).catch(() => {});
  await browser.close();
};
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  page = await browser.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  if (fault === "drop-first-connection") {
    // GoNB's widget connection sends a comm_open for target "gonb_comm" over a WebSocket of its
    // own; the first one is never sent.
    await page.addInitScript(() => {
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        if (!window.vaekitDropped && typeof data === "string" && data.includes('"target_name":"gonb_comm"')) {
          window.vaekitDropped = new Date().toISOString();
          return;
        }
        return send.call(this, data);
      };
    });
  }
  await page.goto(url);
  await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.(), null, { timeout: 120_000 })
    .catch(() => fail("the kernel did not connect within 120 s"));
  // The equations of the markdown cells are rendered by MathJax, which Jupyter serves from
  // Debian's libjs-mathjax (nothing fetched): once MathJax has typeset the page, no "$" is left
  // in any markdown cell's text outside code (a "$" left is math it did not render), and a
  // notebook whose markdown holds math shows MathJax output.
  const hasMath = await page.evaluate(() => window.Jupyter.notebook.get_cells().some((c) => c.cell_type === "markdown" && c.get_text().includes("$")));
  await page.waitForFunction(() => window.MathJax?.Hub && !window.MathJax.Hub.queue.pending && !window.MathJax.Hub.queue.running &&
    document.querySelectorAll(".text_cell_render").length > 0, null, { timeout: 60_000 })
    .catch(() => fail("MathJax did not finish typesetting within 60 s"));
  const rendered = await page.evaluate(() => ({
    inline: document.querySelectorAll(".text_cell_render .MathJax").length,
    display: document.querySelectorAll(".text_cell_render .MathJax_Display").length,
    raw: [...document.querySelectorAll(".text_cell_render")].map((e) => {
      const copy = e.cloneNode(true);
      copy.querySelectorAll(".MathJax, .MathJax_Display, .MathJax_Preview, script, code, pre").forEach((m) => m.remove());
      const i = copy.textContent.indexOf("$");
      return i < 0 ? null : copy.textContent.slice(Math.max(0, i - 40), i + 40).replace(/\s+/g, " ");
    }).filter((t) => t !== null),
  }));
  if (rendered.raw.length) await fail(`${rendered.raw.length} markdown cells show raw math (MathJax did not render it), first: "...${rendered.raw[0]}..."`);
  if (hasMath && rendered.inline === 0) await fail("the markdown holds math but MathJax rendered none");
  log(`equations rendered: ${rendered.inline} (${rendered.display} displayed), no raw math left`);
  if (control === "render") { await shutDown(); process.exit(0); }
  log("notebook open, kernel connected; running every cell");
  await page.evaluate(() => window.Jupyter.notebook.execute_all_cells());

  // The explorer's controls: GoNB's widgets are plain inputs in the cell's output.
  const selector = control === "slider" ? "input[type=range]" : "select";
  const input = page.locator(`.output_area ${selector}`).first();
  await input.waitFor({ timeout: 600_000 }).catch(() => fail(`no ${selector} of the explorer within 600 s of running every cell`));
  // The explorer's first image follows its first draw, after the control appears: once (s12 CI,
  // a slower run of the notebook) that took over 60 s, so the wait allows 300.
  // Controls that never connect end the explorer with a message instead.
  const image = page.locator(".output_area figure img").last();
  const gaveUp = page.locator(".output_area", { hasText: "controls did not connect" }).first();
  await Promise.race([image.waitFor({ timeout: 300_000 }), gaveUp.waitFor({ timeout: 300_000 })])
    .catch(() => fail("the explorer's first image did not appear within 300 s of its control"));
  if (await gaveUp.count()) await fail(`the explorer gave up: ${await gaveUp.innerText()}`);
  if (fault === "drop-first-connection") {
    const dropped = await page.evaluate(() => window.vaekitDropped);
    if (!dropped) await fail("no widget connection was dropped: the fault this run checks never happened");
    log(`the widgets' first connection dropped (at ${dropped.slice(11, 19)}); the explorer connected again`);
  }
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
  if (errors.length) await fail(`error outputs: ${errors.map((e) => `cell ${e.cell}: ${e.ename}: ${e.evalue}`).join("; ")}`);
  const stderr = outputs.filter((o) => o.output_type === "stream" && o.name === "stderr");
  if (stderr.length) await fail(`stderr outputs (shown as error boxes): ${stderr.map((o) => `cell ${o.cell}: ${String(o.text).slice(0, 200)}`).join("; ")}`);
  const last = await page.evaluate(() => {
    const cells = window.Jupyter.notebook.get_cells();
    const explorer = cells.findLast((c) => c.cell_type === "code" && /Explorer\(/.test(c.get_text()));
    return explorer ? explorer.output_area.outputs.some((o) => o.data && o.data["image/png"]) : false;
  });
  if (!last) await fail("the explorer's cell kept no image after Done");
  if (consoleErrors.length) log(`browser console errors (a dropped connection leaves some): ${consoleErrors.join("; ").slice(0, 600)}`);
  log(`ok: ${outputs.length} outputs, no errors; the explorer's last image kept`);
} finally {
  await shutDown();
}
