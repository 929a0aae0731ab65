// Helpers of ui.test.mjs: the browser, a page with its errors collected, asking a question and
// waiting for the answer to end, and the fake upstream's control API. Waits are on selectors
// and conditions with deadlines, never on sleeps.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';

// Every wait's deadline; instrumented builds (RAG_TEST_TIME_SCALE=2 or 4) get longer ones.
export const WAIT_MS = 20000 * (Number(process.env.RAG_TEST_TIME_SCALE) || 1);
export const SESSION_KEY = 'rag-server.session-id';

export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu',
  '--disable-dev-shm-usage', '--disable-background-networking'];

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this file through tests/integration/test_browser_ui.py`);
  return value;
}

export async function launch() {
  const executablePath = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium package (scripts/setup.sh does)`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

// A new context + page on `base`/ui. `problems` collects uncaught page errors and CSP
// violations (failed fetches with 4xx/5xx statuses are expected in some tests and not counted).
// `siteUrl`: serve the page as a server with SITE_URL=siteUrl renders it (its rag-site meta;
// src/web/ui_test.cpp and test_browser_ui.py's SiteUrl check that rendering itself).
// `initScript`: a function run in the page before its own scripts; `permissions`: granted to
// the page's origin (e.g. clipboard access).
export async function openUi(browser, base, { colorScheme = 'light', viewport = { width: 1280, height: 800 }, query = '', siteUrl = '', initScript = null, permissions = [] } = {}) {
  const context = await browser.newContext({ colorScheme, viewport, deviceScaleFactor: 1 });
  if (permissions.length) await context.grantPermissions(permissions, { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  if (initScript) await page.addInitScript(initScript);
  if (siteUrl) {
    await page.route((url) => url.pathname === '/ui', async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace('<meta name="rag-site" content="">',
        `<meta name="rag-site" content="${siteUrl}">`);
      await route.fulfill({ response, body: html });
    });
  }
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) {
      problems.push(`CSP: ${msg.text()}`);
    }
  });
  await page.goto(`${base}/ui${query}`);
  await page.waitForSelector('html[data-ready="true"]');
  return { context, page, problems };
}

// Opens the page (openUi), runs `body(page)`, checks no page error or CSP violation happened,
// closes.
export async function usePage(browser, base, options, body) {
  const { context, page, problems } = await openUi(browser, base, options);
  try {
    await body(page);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

// Types `text` into the composer, presses Enter and waits until the new answer has ended
// (data-state done or error). Returns the answer's locator.
export async function ask(page, text) {
  const before = await page.locator('.msg-assistant').count();
  await page.locator('#message').fill(text);
  await page.locator('#message').press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.msg-assistant').length > n, before);
  const answer = page.locator('.msg-assistant').nth(before);
  await page.waitForFunction((el) => ['done', 'error'].includes(el.dataset.state), await answer.elementHandle());
  return answer;
}

// Passes the page's POST /chat to the server and rewrites its answer's `done` event with
// `edit(done)` (the page then gets the whole stream at once).
export async function editDoneEvent(page, edit) {
  await page.route((url) => url.pathname === '/chat', async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(/^event: done\ndata: (.*)$/m,
      (_, data) => `event: done\ndata: ${JSON.stringify(edit(JSON.parse(data)))}`);
    await route.fulfill({ response, body });
  });
}

export async function sessionIdOf(page) {
  return page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY);
}

// The fake upstream's control API (tests/fakes/README.md).
export async function fake(base, path, body) {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake ${path}: ${res.status}`);
  return res.json();
}

// Splits a text-fragment href into its terms (decoded), or null when it has none.
export function fragmentTerms(href) {
  const at = href.indexOf(':~:text=');
  if (at < 0) return null;
  const raw = href.slice(at + ':~:text='.length);
  return { raw, terms: raw.split(',').map(decodeURIComponent) };
}

// Pixel statistics of a PNG, decoded by the browser itself on a blank page: size, number of
// distinct colours, the share of pixels that differ from the most common (background) colour,
// and the mean luminance (0..255).
export async function imageStats(browser, png) {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      const counts = new Map();
      let luminance = 0;
      for (let i = 0; i < data.length; i += 4) {
        const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        counts.set(key, (counts.get(key) || 0) + 1);
        luminance += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
      }
      const pixels = data.length / 4;
      const background = Math.max(...counts.values());
      return {
        width: bitmap.width, height: bitmap.height, colours: counts.size,
        foreground: 1 - background / pixels, luminance: luminance / pixels,
      };
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}
