// The report check (make report-latex calls it): a report's HTML in headless Chromium (Debian's,
// through playwright-core) at the width of an A4 page, on screen and as printed. It fails when the
// page scrolls sideways (something wider than the page), when an image did not load, or when a
// figure could be broken across printed pages: every figure must keep break-inside: avoid in
// print and be shorter than a printed page's text area (A4 less the 15 mm margins), which
// Chromium then never splits.
// Usage: node report_check.mjs REPORT.html
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const { chromium } = createRequire(`${process.env.PLAYWRIGHT}/`)("playwright-core");
const [html] = process.argv.slice(2);
const fail = (msg) => { console.error(`FAIL ${html}: ${msg}`); process.exit(1); };

// A4 at CSS's 96 px per inch: 210 x 297 mm; the text area of a printed page, less 15 mm margins.
const mm = 96 / 25.4;
const a4Width = Math.round(210 * mm);
const textHeight = (297 - 2 * 15) * mm;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: a4Width, height: Math.round(297 * mm) } });
  await page.goto(pathToFileURL(resolve(html)).href, { waitUntil: "load" });

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) fail(`the page is ${overflow} px wider than A4 (${a4Width} px): something overflows sideways`);

  const images = await page.evaluate(() => [...document.images].map((i) => ({ src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0 })));
  if (images.length === 0) fail("no image");
  const broken = images.filter((i) => !i.ok);
  if (broken.length) fail(`${broken.length} images did not load: ${broken.map((i) => i.src).join(", ")}`);

  await page.emulateMedia({ media: "print" });
  const figures = await page.evaluate(() => [...document.querySelectorAll("figure")].map((f) => ({
    caption: (f.querySelector("figcaption")?.innerText || "").slice(0, 60),
    avoid: ["avoid", "avoid-page"].includes(getComputedStyle(f).breakInside),
    height: f.getBoundingClientRect().height,
  })));
  if (figures.length === 0) fail("no figure");
  for (const f of figures) {
    if (!f.avoid) fail(`figure "${f.caption}" may be broken across pages: no break-inside: avoid in print`);
    if (f.height > textHeight) fail(`figure "${f.caption}" is ${Math.round(f.height)} px high in print, more than a page's ${Math.round(textHeight)}: it would be split`);
  }
  console.log(`ok   ${html}: ${images.length} images loaded, no sideways overflow at A4 width (${a4Width} px), ` +
    `${figures.length} figures each shorter than a printed page (tallest ${Math.round(Math.max(...figures.map((f) => f.height)))} of ${Math.round(textHeight)} px) and kept whole`);
} finally {
  await browser.close();
}
