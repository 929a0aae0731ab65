// Loads the /docs page of a running server in headless Chromium and reports what it rendered.
// Usage: node openapi_docs_page.mjs http://127.0.0.1:PORT OUTDIR
// Prints {ready, title, operations: ["GET /"...], statuses: {"GET /": ["200", ...]},
// schemas: [...], globals: [...], filtered: [...], errors: [...], screenshots: [...]}.
// `errors` collects page errors, console errors (a Content-Security-Policy violation is one)
// and failed or non-2xx requests. Exit 0 when the page rendered; the caller compares the
// lists with the document.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [base, outdir] = process.argv.slice(2);
fs.mkdirSync(outdir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const report = { errors: [], screenshots: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("pageerror", (e) => report.errors.push("pageerror: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") report.errors.push("console: " + m.text()); });
  page.on("requestfailed", (r) => report.errors.push("requestfailed: " + r.url() + " " + r.failure()?.errorText));
  page.on("response", (r) => { if (r.status() >= 400) report.errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });

  await page.goto(base + "/docs", { waitUntil: "load" });
  await page.waitForFunction(() => document.body.getAttribute("data-ready") !== null);
  report.ready = await page.evaluate(() => document.body.getAttribute("data-ready"));
  report.title = await page.title();
  report.version = await page.textContent("#version");
  const rendered = await page.evaluate(() => {
    const ops = [...document.querySelectorAll("article.operation")];
    return {
      operations: ops.map((a) => `${a.dataset.method} ${a.dataset.path}`),
      statuses: Object.fromEntries(ops.map((a) => [`${a.dataset.method} ${a.dataset.path}`,
        [...a.querySelectorAll(".response")].map((r) => r.dataset.status)])),
      schemas: [...document.querySelectorAll("article.schema-def")].map((s) => s.id.replace(/^schema-/, "")),
      globals: [...document.querySelectorAll("#global .response")].map((r) => r.dataset.status),
      tocLinks: [...document.querySelectorAll("#toc a")].map((a) => a.getAttribute("href")),
      brokenLinks: [...document.querySelectorAll("a[href^='#']")]
        .map((a) => a.getAttribute("href")).filter((h) => h.length > 1 && !document.getElementById(h.slice(1))),
    };
  });
  Object.assign(report, rendered);

  await page.screenshot({ path: path.join(outdir, "docs-desktop.png"), fullPage: false });
  report.screenshots.push(path.join(outdir, "docs-desktop.png"));

  // Keyboard: focus the filter and type; only matching operations stay visible.
  await page.focus("#filter");
  await page.keyboard.type("sessions");
  report.filtered = await page.evaluate(() =>
    [...document.querySelectorAll("article.operation")].filter((a) => !a.hidden)
      .map((a) => `${a.dataset.method} ${a.dataset.path}`));
  await page.fill("#filter", "");

  await page.setViewportSize({ width: 390, height: 844 });
  report.phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  await page.screenshot({ path: path.join(outdir, "docs-phone.png"), fullPage: false });
  report.screenshots.push(path.join(outdir, "docs-phone.png"));
  report.external = external;
} finally {
  await browser.close();
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.ready === "true" ? 0 : 1);
