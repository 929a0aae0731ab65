// Browser tests of a finished answer on the chat page (headless Chromium, like ui.test.mjs, and
// run with it by tests/integration/test_browser_ui.py, which passes the servers in UI_URL_LLM,
// UI_FAKE_URL and UI_SCREENSHOT_DIR): Markdown rendering, streamed and final, a hostile answer,
// the copy button and the feedback thumbs. The fake upstream's `answer` setting scripts the
// model's text. Every wait has a deadline; there are no sleeps.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ask, editDoneEvent, fake, launch, requireEnv, usePage } from './ui_helpers.mjs';

const LLM = requireEnv('UI_URL_LLM');
const FAKE = requireEnv('UI_FAKE_URL');
const SHOTS = requireEnv('UI_SCREENSHOT_DIR');
const QUESTION = 'How do I change the chat rate limit?';
const RESPONSE_ID = '0123456789abcdef0123456789abcdef';

const MARKDOWN = `Set the limit **per minute** with *one* setting [1].

- first item
- second item with \`RATE_LIMIT_CHAT\`

1. three
2. four

\`\`\`sh
RATE_LIMIT_CHAT=10/minute <b>not bold</b> [1]
\`\`\`

See [the reference](https://docs.example.org/configuration).`;

const HOSTILE = `<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>

[click](javascript:window.pwned=3) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:x) [rel](/sessions)
![i](http://example.invalid/x.png) <javascript:window.pwned=4>

<a href="javascript:window.pwned=5" onclick="window.pwned=6">a</a> &#106;avascript:x`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const withPage = (options, body) => usePage(browser, LLM, options, body);

// Runs `body` with the fake upstream answering `answer` (and `config`), then resets it.
async function withAnswer(answer, config, body) {
  await fake(FAKE, '/_fake/config', { answer, ...config });
  try {
    await body();
  } finally {
    await fake(FAKE, '/_fake/config', { answer: '', stream_delay_ms: 0 });
  }
}

// Every element of `root` (a locator) as {tag, attributes}.
function elementsOf(root) {
  return root.evaluate((node) => [...node.querySelectorAll('*')].map((e) => ({
    tag: e.localName, attributes: Object.fromEntries([...e.attributes].map((a) => [a.name, a.value])),
  })));
}

describe('markdown.js (served, run in the page)', () => {
  it('builds listed elements only, links only to absolute http(s) URLs, no images', async () => {
    await withPage({}, async (page) => {
      const r = await page.evaluate(async (hostile) => {
        const m = await import('/ui/markdown.js');
        const div = (text) => {
          const node = document.createElement('div');
          node.append(m.markdownFragment(text));
          return node;
        };
        const html = (text) => div(text).innerHTML;
        const hostileNode = div(hostile);
        return {
          urls: ['https://a.test/x', 'HTTP://a.test', 'javascript:alert(1)', 'data:text/html,x',
            '/relative', '//a.test/x', 'https:/a', 'mailto:a@b.test'].map(m.isWebUrl),
          basic: html('**b** *e* `c`\n\n- x\n- y'),
          heading: html('# Title'),
          tight: html('1. a\n2. b'),
          start: html('3. c'),
          // Each element as [tag, attribute names...], and the text.
          hostile: [...hostileNode.querySelectorAll('*')].map((e) => [e.localName, ...e.getAttributeNames()]),
          hostileHrefs: [...hostileNode.querySelectorAll('[href]')].map((e) => e.getAttribute('href')),
          hostileText: hostileNode.textContent,
          decorated: (() => {
            const div = document.createElement('div');
            div.append(m.markdownFragment('a [1] `[1]` [l [1]](https://l.test)', (t) => [t.toUpperCase()]));
            return div.innerHTML;
          })(),
        };
      }, HOSTILE);
      assert.deepEqual(r.urls, [true, true, false, false, false, false, false, false]);
      assert.equal(r.basic, '<p><strong>b</strong> <em>e</em> <code>c</code></p><ul><li>x</li><li>y</li></ul>');
      assert.equal(r.heading, '<h4>Title</h4>');
      assert.equal(r.tight, '<ol><li>a</li><li>b</li></ol>');
      assert.equal(r.start, '<ol start="3"><li>c</li></ol>');
      // Text runs are decorated outside code and links only.
      assert.equal(r.decorated, '<p>A [1] <code>[1]</code> <a href="https://l.test" target="_blank" rel="noopener noreferrer">l [1]</a></p>');
      // Paragraphs, one line break, and the image as a link: nothing else, no on* attribute.
      assert.deepEqual(r.hostile, [['p'], ['p'], ['br'], ['a', 'href', 'target', 'rel'], ['p']]);
      assert.deepEqual(r.hostileHrefs, ['http://example.invalid/x.png']);
      assert.match(r.hostileText, /<img src=x onerror="window.pwned=1"> <script>window.pwned=2<\/script>/);
      assert.match(r.hostileText, /\[click\]\(javascript:window.pwned=3\) \[data\]\(data:text/);
      assert.match(r.hostileText, /<javascript:window.pwned=4>/);
      assert.match(r.hostileText, /<a href="javascript:window.pwned=5" onclick="window.pwned=6">a<\/a> javascript:x/);
    });
  });
});

describe('answers as Markdown', () => {
  it('renders paragraphs, lists, emphasis, code and links, with the citations linked', async () => {
    await withAnswer(MARKDOWN, {}, async () => {
      await withPage({}, async (page) => {
        const answer = await ask(page, QUESTION);
        assert.equal(await answer.getAttribute('data-state'), 'done');
        const text = answer.locator('.text');
        assert.equal(await text.locator(':scope > p').count(), 2);
        assert.equal(await text.locator('strong').innerText(), 'per minute');
        assert.equal(await text.locator('em').innerText(), 'one');
        assert.deepEqual(await text.locator('ul > li').allInnerTexts(), ['first item', 'second item with RATE_LIMIT_CHAT']);
        assert.deepEqual(await text.locator('ol > li').allInnerTexts(), ['three', 'four']);
        assert.equal(await text.locator('li code').innerText(), 'RATE_LIMIT_CHAT');
        assert.equal(await text.locator('pre > code').innerText(), 'RATE_LIMIT_CHAT=10/minute <b>not bold</b> [1]');
        assert.equal(await text.locator('pre a, b').count(), 0);  // no citation link nor markup in code

        const cite = text.locator('p a.cite');
        assert.equal(await cite.count(), 1);
        const id = await answer.getAttribute('id');
        assert.equal(await cite.getAttribute('href'), `#${id}-src-1`);
        assert.equal(await page.locator(`#${id}-src-1`).count(), 1);

        const link = text.locator('a:not(.cite)');
        assert.equal(await link.count(), 1);
        assert.equal(await link.getAttribute('href'), 'https://docs.example.org/configuration');
        assert.equal(await link.getAttribute('target'), '_blank');
        assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
        assert.equal(await link.innerText(), 'the reference');
        await page.screenshot({ path: path.join(SHOTS, 'ui-markdown-1280x800-light.png') });
      });
    });
  });

  it('shows a hostile answer as text: no markup, no script, no image, no non-http link', async () => {
    await withAnswer(HOSTILE, {}, async () => {
      await withPage({}, async (page) => {
        const requested = [];
        page.on('request', (r) => requested.push(r.url()));
        const answer = await ask(page, QUESTION);
        assert.equal(await answer.getAttribute('data-state'), 'done');
        const text = await answer.locator('.text').innerText();
        assert.match(text, /<img src=x onerror="window\.pwned=1"> <script>window\.pwned=2<\/script>/);
        assert.match(text, /\[click\]\(javascript:window\.pwned=3\)/);
        assert.match(text, /<a href="javascript:window\.pwned=5" onclick="window\.pwned=6">a<\/a>/);
        const elements = await elementsOf(page.locator('#transcript'));
        const tags = new Set(elements.map((e) => e.tag));
        for (const tag of ['img', 'script', 'iframe', 'object', 'embed', 'b']) assert.ok(!tags.has(tag), tag);
        for (const e of elements) {
          for (const name of Object.keys(e.attributes)) assert.ok(!name.startsWith('on'), `${e.tag} ${name}`);
        }
        const hrefs = await answer.locator('.text a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
        for (const href of hrefs) assert.match(href, /^https?:\/\//, href);
        assert.equal(await page.evaluate(() => window.pwned), undefined);
        assert.deepEqual(requested.filter((u) => u.includes('example.invalid')), []);
      });
    });
  });

  it('renders Markdown while it streams, then the done event\'s text', async () => {
    // [99] names no source: shown while streaming, removed from the done event's response
    // (words follow it, so it is on screen a while before the end).
    const answer = 'Steps:\n\n- one\n- two\n- three\n- four\n- five\n\nDone **now** [99] and then a few more words.';
    await withAnswer(answer, { stream_delay_ms: 120 }, async () => {
      await withPage({}, async (page) => {
        await page.locator('#message').fill(QUESTION);
        await page.locator('#message').press('Enter');
        // A rendered list item while the stream still runs (checked on every frame).
        const seen = await (await page.waitForFunction(() => {
          const a = document.querySelector('.msg-assistant');
          const items = a?.querySelectorAll('.text li').length ?? 0;
          if (a?.dataset.state === 'streaming' && items >= 1) return { items, streaming: true };
          if (a && ['done', 'error'].includes(a.dataset.state)) return { items, ended: a.dataset.state };
          return null;
        })).jsonValue();
        assert.ok(seen.streaming, `the answer ended (${seen.ended}) before a list item was on screen`);
        assert.ok(seen.items < 5, `all ${seen.items} items at once: not rendered as it streamed`);
        const marker = await (await page.waitForFunction(() => {
          const a = document.querySelector('.msg-assistant');
          const text = a.querySelector('.text').textContent;
          return text.includes('[99]') || a.dataset.state !== 'streaming' ? { state: a.dataset.state, text } : null;
        })).jsonValue();
        assert.equal(marker.state, 'streaming', `never saw the streamed [99]: ${marker.text}`);
        await page.waitForSelector('.msg-assistant[data-state="done"]');
        const final = page.locator('.msg-assistant .text');
        assert.equal(await final.locator('li').count(), 5);
        assert.equal(await final.locator('strong').innerText(), 'now');
        assert.doesNotMatch(await final.innerText(), /\[99\]/);
      });
    });
  });
});

describe('copy button', () => {
  it('copies the answer\'s Markdown and says so, from the keyboard', async () => {
    await withAnswer(MARKDOWN, {}, async () => {
      await withPage({ permissions: ['clipboard-read', 'clipboard-write'] }, async (page) => {
        const answer = await ask(page, QUESTION);
        const copy = answer.getByRole('button', { name: 'Copy the answer' });
        await copy.focus();
        await page.keyboard.press('Enter');
        await answer.locator('.action-status', { hasText: 'Copied' }).waitFor();
        assert.equal(await answer.locator('.action-status').getAttribute('role'), 'status');
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), MARKDOWN);
      });
    });
  });

  it('says so when the clipboard is unavailable or refused', async () => {
    const cases = [
      [() => Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined }), /not available in this browser/],
      [() => { Clipboard.prototype.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError')); }, /Could not copy/],
    ];
    for (const [initScript, message] of cases) {
      await withPage({ initScript }, async (page) => {
        const answer = await ask(page, QUESTION);
        await answer.getByRole('button', { name: 'Copy the answer' }).click();
        await answer.locator('.action-status[data-kind="error"]').waitFor();
        assert.match(await answer.locator('.action-status').innerText(), message);
      });
    }
  });
});

describe('feedback thumbs', () => {
  // The page's POST /feedback answered here, one scripted answer per request.
  async function scriptFeedback(page, answers) {
    const bodies = [];
    await page.route((url) => url.pathname === '/feedback', async (route) => {
      bodies.push(JSON.parse(route.request().postData()));
      const next = answers.shift();
      if (next === 'abort') await route.abort();
      else await route.fulfill({ status: next.status, headers: next.headers, contentType: 'application/json', body: JSON.stringify(next.body) });
    });
    return bodies;
  }

  it('posts the rating once, shows the thanks, and disables the thumbs (aria-pressed on the choice)', async () => {
    await withPage({ colorScheme: 'dark', viewport: { width: 375, height: 740 } }, async (page) => {
      await editDoneEvent(page, (done) => ({ ...done, response_id: done.response_id ?? RESPONSE_ID }));
      const bodies = await scriptFeedback(page, [{ status: 200, body: { status: 'recorded' } }]);
      const answer = await ask(page, QUESTION);
      const up = answer.getByRole('button', { name: 'Good answer' });
      const down = answer.getByRole('button', { name: 'Bad answer' });
      assert.equal(await up.getAttribute('aria-pressed'), 'false');
      // Keyboard: Tab goes from Copy to the thumbs.
      await answer.getByRole('button', { name: 'Copy the answer' }).focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Good answer');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await answer.locator('.action-status', { hasText: 'Thanks for your feedback' }).waitFor();
      assert.equal(bodies.length, 1);
      assert.match(bodies[0].response_id, /^[0-9a-f]{32}$/);
      assert.deepEqual(bodies[0], { response_id: bodies[0].response_id, rating: 'down' });
      assert.equal(await down.getAttribute('aria-pressed'), 'true');
      assert.equal(await up.getAttribute('aria-pressed'), 'false');
      assert.ok(await up.isDisabled() && await down.isDisabled());
      await page.screenshot({ path: path.join(SHOTS, 'ui-feedback-375x740-dark.png') });
    });
  });

  it('shows refusals: 429 with its retry time and unreachable (thumbs usable again), 404 (thumbs stay off)', async () => {
    await withPage({}, async (page) => {
      await editDoneEvent(page, (done) => ({ ...done, response_id: RESPONSE_ID }));
      const bodies = await scriptFeedback(page, [
        { status: 429, headers: { 'Retry-After': '7' }, body: { detail: 'Rate limit exceeded: 10 per 1 minute' } },
        'abort',
        { status: 404, body: { detail: 'Unknown or expired response_id' } },
      ]);
      const answer = await ask(page, QUESTION);
      const up = answer.getByRole('button', { name: 'Good answer' });
      const status = answer.locator('.action-status');
      const expect = async (text) => {
        await answer.locator('.action-status[data-kind="error"]', { hasText: text }).waitFor();
      };
      await up.click();
      await expect('Too many ratings. Try again in 7 s.');
      await up.click();
      await expect('Cannot reach the server');
      assert.equal(await up.isDisabled(), false);
      await up.click();
      await expect('can no longer be rated');
      assert.ok(await up.isDisabled());
      assert.equal(await up.getAttribute('aria-pressed'), 'false');
      assert.equal(bodies.length, 3);
      assert.equal(await status.getAttribute('role'), 'status');
    });
  });

  it('shows no thumbs when the answer has no response_id (feedback off)', async () => {
    await withPage({}, async (page) => {
      await editDoneEvent(page, ({ response_id: _, ...done }) => done);
      const answer = await ask(page, QUESTION);
      assert.equal(await answer.getAttribute('data-state'), 'done');
      assert.equal(await answer.getByRole('button', { name: 'Copy the answer' }).count(), 1);
      assert.equal(await answer.locator('button.rate').count(), 0);
    });
  });

  // Against the server's own POST /feedback (docs/api.md, "Feedback").
  it('rates an answer through the server\'s POST /feedback', async () => {
    await withPage({}, async (page) => {
      const answer = await ask(page, QUESTION);
      const posted = page.waitForResponse((r) => new URL(r.url()).pathname === '/feedback');
      await answer.getByRole('button', { name: 'Good answer' }).click();
      const res = await posted;
      assert.equal(res.status(), 200);
      // (Playwright's res.json() never resolves for this fetch here; the page reads the body.)
      assert.match(JSON.parse(res.request().postData()).response_id, /^[0-9a-f]{32}$/);
      await answer.locator('.action-status', { hasText: 'Thanks for your feedback' }).waitFor();
    });
  });
});
