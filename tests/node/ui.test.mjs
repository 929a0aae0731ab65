// Browser tests of the chat page GET /ui in headless Chromium (playwright-core driving Debian's
// /usr/bin/chromium). Run by tests/integration/test_browser_ui.py, which starts the servers and
// passes them in the environment:
//   UI_URL_LLM         a rag-server whose chat model is the fake upstream (rate limits off)
//   UI_FAKE_URL        that fake upstream's base URL (its /_fake control API)
//   UI_URL_EXTRACTIVE  a rag-server without a chat model and RATE_LIMIT_CHAT=1/minute
//   UI_SCREENSHOT_DIR  where the screenshots go (checked for content by the Python side)
// Every wait has a deadline; there are no sleeps.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ask, fake, fragmentTerms, imageStats, launch, requireEnv, sessionIdOf, usePage } from './ui_helpers.mjs';

const LLM = requireEnv('UI_URL_LLM');
const FAKE = requireEnv('UI_FAKE_URL');
const EXTRACTIVE = requireEnv('UI_URL_EXTRACTIVE');
const SHOTS = requireEnv('UI_SCREENSHOT_DIR');
const QUESTION = 'How do I change the chat rate limit?';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const withPage = (base, options, body) => usePage(browser, base, options, body);

// Clicks every source link of `answer` (each opens a tab) and checks the cited page on this
// server, GET /ui/source: a 200 HTML page under the CSP (its style sheet applied), holding the
// passage, which the browser scrolled into view from the link's text fragment (the paragraph
// holding the fragment's first term is inside the viewport once loaded). At least one passage
// lies below the first screen, so the scrolling itself is tested.
async function checkSourcePages(page, answer, base) {
  const context = page.context();
  const flat = (s) => s.replace(/\s+/g, ' ').trim();
  const items = answer.locator('.sources li');
  const count = await items.count();
  assert.ok(count >= 1, 'no sources');
  let below = 0;
  for (let i = 0; i < count; i += 1) {
    const link = items.nth(i).locator('a.source-link');
    const href = await link.getAttribute('href');
    const url = await items.nth(i).locator('.url').textContent();
    const passage = await items.nth(i).locator('.passage p').textContent();
    assert.ok(href.startsWith(`${base}/ui/source?url=%2F`), href);
    assert.equal(new URL(href).searchParams.get('url'), url);
    const fragment = fragmentTerms(href);
    assert.ok(fragment, `no text fragment in ${href}`);

    const responses = [];
    const problems = [];
    const onResponse = (r) => { if (new URL(r.url()).pathname === '/ui/source') responses.push(r); };
    const onConsole = (m) => { if (m.type() === 'error') problems.push(m.text()); };
    context.on('response', onResponse);
    context.on('console', onConsole);
    const [tab] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    try {
      await tab.waitForLoadState('load');
      assert.equal(responses.length, 1, `${href}: ${responses.length} responses`);
      assert.equal(responses[0].status(), 200, href);
      assert.equal(responses[0].headers()['content-type'], 'text/html; charset=utf-8');
      const page0 = await tab.evaluate(() => ({
        text: document.querySelector('main').innerText,
        bodyDisplay: getComputedStyle(document.body).display,
        title: document.title,
      }));
      assert.equal(page0.bodyDisplay, 'block', 'the style sheet did not apply');
      assert.ok(flat(page0.text).includes(flat(passage)), `${url}: the passage is not on the page`);
      let seen;
      try {
        // Each look is also kept in window.lastLook, for the failure message below.
        seen = await (await tab.waitForFunction((start) => {
          const norm = (s) => s.replace(/\s+/g, ' ');
          const holders = [...document.querySelectorAll('main .chunk p')]
            .filter((el) => norm(el.textContent).includes(start));
          window.lastLook = {
            scrollY, innerWidth, innerHeight, pageHeight: document.documentElement.scrollHeight,
            holders: holders.map((el) => Math.round(el.getBoundingClientRect().top + scrollY)),
          };
          if (!holders.length) return { missing: true };
          const top = holders[0].getBoundingClientRect().top;
          return top >= 0 && top < innerHeight
            ? { top, docTop: top + scrollY, scrollY, height: innerHeight } : null;
        }, fragment.terms[0])).jsonValue();
      } catch (e) {
        // Where the page and the paragraphs were at the last look, so that a failure says
        // whether the browser scrolled elsewhere, or the layout or the viewport changed after
        // it scrolled (seen once under load: scrollY 840 where 1,543 is usual for /api).
        const look = await tab.evaluate(() => window.lastLook);
        assert.fail(`${href}: the passage was never scrolled into view (${JSON.stringify(look)}): ${e.message}`);
      }
      assert.ok(!seen.missing, `${url}: no paragraph holds "${fragment.terms[0]}"`);
      if (seen.docTop >= seen.height) {
        below += 1;
        assert.ok(seen.scrollY > 0, JSON.stringify(seen));
      }
      assert.deepEqual(problems, [], `${href}: console errors`);
    } finally {
      context.off('response', onResponse);
      context.off('console', onConsole);
      await tab.close();
    }
  }
  assert.ok(below >= 1, 'every passage was on the first screen: the scrolling was not tested');
}

describe('page modules (served files, run in the page)', () => {
  it('builds text-fragment links with -, & and , percent-encoded, and only http(s) links', async () => {
    await withPage(LLM, {}, async (page) => {
      const r = await page.evaluate(async () => {
        const f = await import('/ui/fragment.js');
        return {
          term: f.encodeTextTerm('rate-limit, per IP & route'),
          short: f.citationHref('/configuration', 'Set the rate-limit.', 'http://h.test/'),
          long: f.citationHref('/api', 'one two three four five six\n\nseven eight nine ten eleven twelve', 'http://h.test/'),
          hash: f.citationHref('https://site.test/p#sec', 'alpha beta', 'http://h.test/'),
          empty: f.citationHref('/p', '', 'http://h.test/'),
          js: f.citationHref('javascript:alert(1)', 'x', 'http://h.test/'),
          none: f.citationHref('', 'x', 'http://h.test/'),
        };
      });
      assert.equal(r.term, 'rate%2Dlimit%2C%20per%20IP%20%26%20route');
      assert.equal(r.short, 'http://h.test/configuration#:~:text=Set%20the%20rate%2Dlimit.');
      assert.equal(r.long, 'http://h.test/api#:~:text=one%20two%20three%20four%20five,eight%20nine%20ten%20eleven%20twelve');
      assert.equal(r.hash, 'https://site.test/p#sec:~:text=alpha%20beta');
      assert.equal(r.empty, 'http://h.test/p');
      assert.equal(r.js, null);
      assert.equal(r.none, null);
    });
  });

  it('links relative citation urls to /ui/source when no site is known, else to the site', async () => {
    await withPage(LLM, {}, async (page) => {
      const r = await page.evaluate(async () => {
        const f = await import('/ui/fragment.js');
        const o = 'http://h.test/';
        return {
          local: f.sourceHref('/configuration', 'Set the rate-limit.', null, o),
          hash: f.sourceHref('/api#errors', 'alpha beta', null, o),
          site: f.sourceHref('/configuration', 'alpha beta', 'https://docs.test/', o),
          absolute: f.sourceHref('https://other.test/p', 'alpha beta', null, o),
          protocolRelative: f.sourceHref('//evil.test/p', 'alpha beta', null, o),
          backslash: f.sourceHref('/\\evil.test/p', 'alpha beta', null, o),
          js: f.sourceHref('javascript:alert(1)', 'x', null, o),
        };
      });
      assert.equal(r.local, 'http://h.test/ui/source?url=%2Fconfiguration#:~:text=Set%20the%20rate%2Dlimit.');
      assert.equal(r.hash, 'http://h.test/ui/source?url=%2Fapi%23errors#:~:text=alpha%20beta');
      assert.equal(r.site, 'https://docs.test/configuration#:~:text=alpha%20beta');
      assert.equal(r.absolute, 'https://other.test/p#:~:text=alpha%20beta');
      // Not relative paths: resolved as before (another host), never sent to /ui/source.
      assert.equal(r.protocolRelative, 'http://evil.test/p#:~:text=alpha%20beta');
      assert.equal(r.backslash, 'http://evil.test/p#:~:text=alpha%20beta');
      assert.equal(r.js, null);
    });
  });

  it('parses SSE however the stream is cut into chunks', async () => {
    await withPage(LLM, {}, async (page) => {
      const results = await page.evaluate(async () => {
        const { SseParser } = await import('/ui/sse.js');
        const stream = 'event: sources\r\ndata: []\r\n\r\n: ping\n\nevent: token\ndata: {"delta":"a"}\n'
          + 'data: b\n\nevent: done\rdata:x\r\r' + 'event: cut\ndata: never dispatched\n';
        const out = [];
        for (let cut = 0; cut <= stream.length; cut += 1) {
          const events = [];
          const p = new SseParser((e) => events.push(`${e.event}=${e.data}`));
          p.push(stream.slice(0, cut));
          p.push(stream.slice(cut));
          out.push(events.join('|'));
        }
        return [...new Set(out)];
      });
      assert.deepEqual(results, ['sources=[]|token={"delta":"a"}\nb|done=x']);
    });
  });
});

describe('chat with the fake upstream', () => {
  it('shows the server status, the answer and its sources as text-fragment links', async () => {
    await withPage(LLM, {}, async (page) => {
      await page.waitForSelector('#status[data-state="up"]');
      assert.match(await page.locator('#status').innerText(), /running/);
      assert.equal(await page.locator('#server-name').innerText(), 'RAG Server');

      const answer = await ask(page, QUESTION);
      assert.equal(await answer.getAttribute('data-state'), 'done');
      assert.match(await answer.locator('.text').innerText(), /^FAKE-ANSWER: how do i change the chat rate limit/);
      assert.equal(await answer.getAttribute('aria-busy'), 'false');

      // Sources: links with a text fragment drawn from the passage shown under each.
      const items = answer.locator('.sources li');
      assert.ok(await items.count() >= 1, 'no sources listed');
      for (let i = 0; i < await items.count(); i += 1) {
        const link = items.nth(i).locator('a.source-link');
        const href = await link.getAttribute('href');
        const passage = await items.nth(i).locator('.passage p').textContent();
        assert.ok(href.startsWith(`${LLM}/ui/source?url=%2F`), href);  // relative url, no site
        const fragment = fragmentTerms(href);
        assert.ok(fragment, `no text fragment in ${href}`);
        assert.ok(!/[-&]/.test(fragment.raw), `unencoded - or & in ${fragment.raw}`);
        assert.ok(fragment.terms.length >= 1 && fragment.terms.length <= 2);
        const flat = passage.replace(/\s+/g, ' ');
        for (const term of fragment.terms) assert.ok(flat.includes(term), `"${term}" not in the passage`);
        assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      }
      const id = await sessionIdOf(page);
      assert.match(id ?? '', /^[A-Za-z0-9._:-]{1,128}$/);
    });
  });

  it('links sources to the published site named by SITE_URL', async () => {
    await withPage(LLM, { siteUrl: 'https://docs.example.org/' }, async (page) => {
      const answer = await ask(page, QUESTION);
      const hrefs = await answer.locator('a.source-link').evaluateAll((links) => links.map((a) => a.href));
      assert.ok(hrefs.length >= 1);
      for (const href of hrefs) assert.match(href, /^https:\/\/docs\.example\.org\/[A-Za-z]/, href);
    });
  });

  it('ignores a site named in the address: a crafted link cannot redirect the citations', async () => {
    for (const [query, siteUrl] of [['?site=https://evil.example/', ''],
      ['?site=https://evil.example/', 'https://docs.example.org/']]) {
      await withPage(LLM, { query, siteUrl }, async (page) => {
        const answer = await ask(page, QUESTION);
        const hrefs = await answer.locator('a.source-link').evaluateAll((links) => links.map((a) => a.href));
        assert.ok(hrefs.length >= 1);
        const expected = siteUrl ? 'https://docs.example.org/' : `${LLM}/ui/source?url=%2F`;
        for (const href of hrefs) {
          assert.ok(!href.includes('evil.example'), href);
          assert.ok(href.startsWith(expected), href);
        }
      });
    }
  });

  it('renders the tokens as they arrive: the answer grows while the stream runs', async () => {
    await fake(FAKE, '/_fake/config', { stream_delay_ms: 150 });
    try {
      await withPage(LLM, {}, async (page) => {
        await page.locator('#message').fill(QUESTION);
        await page.locator('#message').press('Enter');
        // Part of the answer is on screen while the stream is still running (checked on every
        // animation frame; 150 ms between tokens leaves several frames per token).
        const seen = await page.waitForFunction(() => {
          const a = document.querySelector('.msg-assistant');
          const text = a?.querySelector('.text').textContent ?? '';
          if (a?.dataset.state === 'streaming' && text.includes('FAKE-ANSWER')) return { partial: text };
          if (a && ['done', 'error'].includes(a.dataset.state)) return { ended: a.dataset.state, text };
          return null;
        });
        const { partial: partialText, ended, text: endText } = await seen.jsonValue();
        assert.ok(partialText !== undefined,
          `the answer ended (${ended}: "${endText}") before any part of it was on screen: the tokens did not arrive one by one`);
        await page.waitForSelector('.msg-assistant[data-state="done"]');
        const text = await page.locator('.msg-assistant .text').innerText();
        assert.ok(text.startsWith(partialText) && text.length > partialText.length,
          `saw "${partialText}" on screen before the end, then "${text}": the tokens did not arrive one by one`);
      });
    } finally {
      await fake(FAKE, '/_fake/config', { stream_delay_ms: 0 });
    }
  });

  it('keeps the session for the tab, restores it on reload, and "New conversation" deletes it', async () => {
    await withPage(LLM, {}, async (page) => {
      const bodies = [];
      page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/chat')) bodies.push(JSON.parse(r.postData())); });
      await ask(page, 'What does GRACEFUL_TIMEOUT do?');
      const id = await sessionIdOf(page);
      assert.ok(id);
      await ask(page, 'And KEEPALIVE?');
      assert.equal(bodies.length, 2);
      assert.equal(bodies[0].session_id, undefined);
      assert.equal(bodies[1].session_id, id);
      assert.equal(bodies[1].stream, true);

      await page.reload();
      await page.waitForSelector('html[data-ready="true"]');
      await page.waitForFunction(() => document.querySelectorAll('.msg').length === 4);
      assert.equal(await page.locator('.msg-user .text').first().innerText(), 'What does GRACEFUL_TIMEOUT do?');
      assert.equal(await sessionIdOf(page), id);

      const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
      await page.locator('#new-conversation').click();
      const res = await deleted;
      assert.equal(new URL(res.url()).pathname, `/sessions/${id}`);
      assert.equal(res.status(), 200);
      assert.equal(await page.locator('.msg').count(), 0);
      assert.equal(await sessionIdOf(page), null);
      assert.ok(await page.locator('#empty-hint').isVisible());
      assert.equal(await page.evaluate(() => document.activeElement.id), 'message');
      const history = await (await page.request.get(`${LLM}/sessions/${id}/history`)).json();
      assert.deepEqual(history.history, []);
    });
  });

  it('is keyboard-usable: Enter sends, Shift+Enter adds a line, focus is visible', async () => {
    await withPage(LLM, {}, async (page) => {
      assert.equal(await page.evaluate(() => document.activeElement.id), 'message');
      await page.keyboard.type('first line');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('second line');
      assert.equal(await page.locator('#message').inputValue(), 'first line\nsecond line');
      assert.equal(await page.locator('.msg-user').count(), 0);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.msg-assistant[data-state="done"]');
      assert.equal(await page.locator('.msg-user .text').innerText(), 'first line\nsecond line');
      assert.equal(await page.locator('#message').inputValue(), '');

      await page.locator('#message').focus();
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return { id: el.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      assert.equal(focused.id, 'send');
      assert.notEqual(focused.outline, 'none');
      assert.ok(focused.width >= 2, `outline ${focused.width}px`);
      assert.equal(await page.locator('#transcript').getAttribute('aria-live'), 'polite');
    });
  });

  it('renders an answer as text, never as HTML', async () => {
    await fake(FAKE, '/_fake/config', { answer: '<img src=x id=injected> <script>window.pwned=1</script> <b>bold</b>' });
    try {
      await withPage(LLM, {}, async (page) => {
        const answer = await ask(page, QUESTION);
        assert.equal(await answer.getAttribute('data-state'), 'done');
        assert.match(await answer.locator('.text').innerText(), /<img src=x id=injected> <script>window\.pwned=1<\/script> <b>bold<\/b>/);
        assert.equal(await page.locator('#transcript img, #transcript script, #transcript b').count(), 0);
        assert.equal(await page.evaluate(() => window.pwned), undefined);
      });
    } finally {
      await fake(FAKE, '/_fake/config', { answer: '' });
    }
  });

  it('shows upstream failures: 502 and 504', async () => {
    try {
      await withPage(LLM, {}, async (page) => {
        await fake(FAKE, '/_fake/script', { faults: [{ status: 401 }] });
        let answer = await ask(page, QUESTION);
        assert.equal(await answer.getAttribute('data-state'), 'error');
        assert.match(await answer.locator('.error').innerText(), /language model failed: Upstream model error/);
        assert.equal(await answer.locator('.error').getAttribute('role'), 'alert');

        await fake(FAKE, '/_fake/script', { faults: [{ hang: true }, { hang: true }, { hang: true }] });
        answer = await ask(page, QUESTION);
        assert.equal(await answer.getAttribute('data-state'), 'error');
        assert.match(await answer.locator('.error').innerText(), /did not answer in time: Request timed out/);
        // The page stays usable after errors.
        assert.equal(await page.locator('#send').isDisabled(), false);
      });
    } finally {
      await fake(FAKE, '/_fake/reset', {});
    }
  });

  it('is readable at 1280x800 and 375x740, light and dark (screenshots)', async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const backgrounds = {};
    const luminances = { light: [], dark: [] };
    for (const colorScheme of ['light', 'dark']) {
      for (const viewport of [{ width: 1280, height: 800 }, { width: 375, height: 740 }]) {
        await withPage(LLM, { colorScheme, viewport }, async (page) => {
          await ask(page, QUESTION);
          await page.waitForSelector('#status[data-state="up"]');
          const layout = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            background: getComputedStyle(document.body).backgroundColor,
            sendVisible: document.getElementById('send').getBoundingClientRect().right <= innerWidth,
          }));
          assert.ok(layout.scrollWidth <= viewport.width, `horizontal scroll: ${layout.scrollWidth}px`);
          assert.ok(layout.sendVisible, 'the Send button is off screen');
          backgrounds[colorScheme] = layout.background;
          const file = path.join(SHOTS, `ui-${viewport.width}x${viewport.height}-${colorScheme}.png`);
          const stats = await imageStats(browser, await page.screenshot({ path: file }));
          assert.equal(stats.width, viewport.width);
          assert.equal(stats.height, viewport.height);
          // Text, borders, buttons and sources: many colours, a real share of non-background.
          assert.ok(stats.colours >= 32, `${file}: only ${stats.colours} colours`);
          assert.ok(stats.foreground >= 0.02, `${file}: ${(stats.foreground * 100).toFixed(2)}% non-background`);
          luminances[colorScheme].push(stats.luminance);
        });
      }
    }
    const luminance = (rgb) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
    assert.ok(luminance(backgrounds.light) > 200, backgrounds.light);
    assert.ok(luminance(backgrounds.dark) < 60, backgrounds.dark);
    for (let i = 0; i < 2; i += 1) assert.ok(luminances.dark[i] < luminances.light[i] - 80, JSON.stringify(luminances));
  });
});

describe('server without a chat model, RATE_LIMIT_CHAT=1/minute', () => {
  it('shows the extractive notice and an answer, then the rate limit with its retry time', async () => {
    await withPage(EXTRACTIVE, {}, async (page) => {
      let answer = await ask(page, QUESTION);
      assert.equal(await answer.getAttribute('data-state'), 'done');
      assert.match(await answer.locator('.mode-notice').innerText(), /Extractive answer: no language model is configured/);
      const text = await answer.locator('.text').innerText();
      assert.match(text, /RATE_LIMIT_CHAT/);
      assert.match(text, /\[\d+\]/);  // cites a source by number
      assert.ok(!text.includes('{"') && !text.includes('curl '), `code quoted in the answer: ${text}`);
      assert.ok(await answer.locator('a.cite').count() >= 1, 'no [n] citation links');
      assert.ok(await answer.locator('a.source-link').count() >= 1);
      await checkSourcePages(page, answer, EXTRACTIVE);

      const limited = page.waitForResponse((r) => r.url().endsWith('/chat'));
      answer = await ask(page, 'And the search rate limit?');
      const res = await limited;
      assert.equal(res.status(), 429);
      const retryAfter = Number(res.headers()['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      const error = await answer.locator('.error').innerText();
      const m = error.match(/^Rate limit exceeded: 1 per 1 minute\. Try again in (\d+) s\.$/);
      assert.ok(m, error);
      assert.equal(Number(m[1]), retryAfter);
      assert.match(await page.locator('#notice').innerText(), /You can send again in \d+ s\./);
      assert.equal(await page.locator('#send').isDisabled(), true);
    });
  });
});
