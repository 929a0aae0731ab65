// DOM building for the chat page. Text from the server (answers, titles, passages) only ever
// becomes text nodes or attribute values: nothing is parsed as HTML, so an answer or a
// document can never inject markup or script. Answers are Markdown, built into elements from a
// fixed list by markdown.js.
import { answerActions } from './actions.js';
import { el } from './dom.js';
import { sourceHref } from './fragment.js';
import { markdownFragment } from './markdown.js';

let counter = 0;

export function userMessage(text) {
  return el('article', { class: 'msg msg-user' },
    el('h2', { class: 'visually-hidden' }, 'You'), el('p', { class: 'text' }, text));
}

// Answer text with its "[n]" markers linked to the n-th source of the same message.
export function answerNodes(text, sourceCount, idPrefix) {
  const nodes = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d{1,3})\]/g)) {
    const n = Number(m[1]);
    if (n < 1 || n > sourceCount) continue;
    if (m.index > last) nodes.push(text.slice(last, m.index));
    nodes.push(el('a', { href: `#${idPrefix}-src-${n}`, class: 'cite' }, m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

function sourceItem(source, n, idPrefix, siteBase) {
  const title = source.title || source.url || `Source ${n}`;
  const href = sourceHref(source.url, source.content_full || source.content_preview, siteBase,
    `${location.origin}/`);
  const heading = href
    ? el('a', { class: 'source-link', href, target: '_blank', rel: 'noopener noreferrer' }, title)
    : el('span', { class: 'source-title' }, title);
  const score = typeof source.similarity_score === 'number'
    ? el('span', { class: 'score', title: 'similarity' }, `${Math.round(source.similarity_score * 100)}%`)
    : '';
  const passage = el('details', { class: 'passage' },
    el('summary', {}, 'Passage'), el('p', {}, source.content_full || source.content_preview || ''));
  return el('li', { id: `${idPrefix}-src-${n}` }, heading, ' ', score,
    source.url ? el('span', { class: 'url' }, source.url) : '', passage);
}

// One assistant answer as it streams: call setSources(), appendDelta(), then complete() or fail().
// `siteBase`: where relative citation urls are published, or null (see sourceHref); `rate`:
// sends a rating of the finished answer (see answerActions), or null.
export class AnswerView {
  constructor(siteBase, rate = null) {
    this.id = `a${++counter}`;
    this.siteBase = siteBase;
    this.rate = rate;
    this.sources = [];
    this.markdown = '';
    this.frame = 0;
    this.text = el('div', { class: 'text markdown' });
    this.extra = el('div', { class: 'extra' });
    this.sourceList = el('section', { class: 'sources', 'aria-label': 'Sources', hidden: '' });
    this.node = el('article', { class: 'msg msg-assistant', id: this.id, 'data-state': 'waiting', 'aria-busy': 'true' },
      el('h2', { class: 'visually-hidden' }, 'Answer'), this.text, this.extra, this.sourceList);
    this.text.append(el('span', { class: 'typing' }, 'Searching the documents…'));
    this.ended = false;
  }

  setSources(sources) {
    this.sources = Array.isArray(sources) ? sources : [];
    this.sourceList.replaceChildren();
    if (this.sources.length === 0) {
      this.sourceList.hidden = true;
      return;
    }
    const items = this.sources.map((s, i) => sourceItem(s, i + 1, this.id, this.siteBase));
    this.sourceList.append(el('h3', {}, 'Sources'), el('ol', {}, ...items));
    this.sourceList.hidden = false;
  }

  appendDelta(delta) {
    if (this.node.dataset.state !== 'streaming') {
      this.text.replaceChildren();
      this.node.dataset.state = 'streaming';
    }
    this.markdown += delta;
    // The whole text is rendered again (an emphasis or a list closes later in the text), at
    // most once per frame.
    if (!this.frame) this.frame = requestAnimationFrame(() => this.renderText());
  }

  renderText() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.text.replaceChildren(markdownFragment(this.markdown,
      (text) => answerNodes(text, this.sources.length, this.id)));
  }

  // `response` is the done event's object (or the JSON body of a non-streamed answer); its
  // text replaces the streamed one (the server removes citations of unknown sources there).
  complete(response) {
    if (Array.isArray(response.sources)) this.setSources(response.sources);
    this.markdown = String(response.response ?? '');
    this.renderText();
    if (response.mode === 'extractive') {
      this.extra.append(el('p', { class: 'mode-notice' },
        'Extractive answer: no language model is configured on this server, so these are the ' +
        'sentences of the documents that best match your question.'));
    }
    this.extra.after(answerActions(this.markdown, response.response_id, this.rate));
    this.end('done');
  }

  fail(message) {
    if (this.node.dataset.state === 'waiting') this.text.replaceChildren();
    else if (this.frame) this.renderText();
    this.extra.append(el('p', { class: 'error', role: 'alert' }, message));
    this.end('error');
  }

  end(state) {
    this.ended = true;
    this.node.dataset.state = state;
    this.node.setAttribute('aria-busy', 'false');
  }
}

// A stored message of the session (restored after a reload): its text, and Copy (the
// history has neither sources nor response ids).
export function storedMessage(message) {
  if (message.role === 'user') return userMessage(message.content);
  const markdown = String(message.content ?? '');
  return el('article', { class: 'msg msg-assistant', 'data-state': 'done' },
    el('h2', { class: 'visually-hidden' }, 'Answer'),
    el('div', { class: 'text markdown' }, markdownFragment(markdown)), answerActions(markdown, null, null));
}
