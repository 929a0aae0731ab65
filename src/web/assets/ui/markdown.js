// Answers as Markdown, built as DOM nodes. markdown-it (Debian's libjs-markdown-it, which the
// build embeds as markdown-it.js; docs/ui.md) parses; this file turns its tokens into elements
// from a fixed list and never parses HTML: raw HTML in an answer stays text (`html: false`, and
// an html token becomes a text node), links go only to absolute http(s) URLs and open in a new
// tab, and images are off (an answer must not make the browser fetch anything): `![a](url)`
// reads as "!" and a link.
import './markdown-it.js';

const md = globalThis.markdownit('default', { html: false, linkify: false, typographer: false, breaks: true });
md.disable('image');

// True for an absolute http:// or https:// URL.
export function isWebUrl(url) {
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
md.validateLink = isWebUrl;

// Elements a token may open; any other tag becomes a span. Answer headings are shifted below
// the page's own (h1 the server, h2 "Answer", h3 "Sources").
const TAGS = new Set(['p', 'ul', 'ol', 'li', 'blockquote', 'table', 'thead', 'tbody', 'tr', 'th',
  'td', 'strong', 'em', 's', 'a']);
const HEADING = { h1: 'h4', h2: 'h5', h3: 'h6', h4: 'h6', h5: 'h6', h6: 'h6' };

function open(token) {
  if (HEADING[token.tag]) return document.createElement(HEADING[token.tag]);
  const node = document.createElement(TAGS.has(token.tag) ? token.tag : 'span');
  if (token.tag === 'a') {
    const href = token.attrGet('href') || '';
    if (!isWebUrl(href)) return document.createElement('span');
    node.href = href;
    node.target = '_blank';
    node.rel = 'noopener noreferrer';
  } else if (token.tag === 'ol') {
    const start = token.attrGet('start');  // null from 1
    if (/^\d{1,9}$/.test(start ?? '')) node.start = Number(start);
  }
  return node;
}

function codeBlock(text) {
  const code = document.createElement('code');
  code.textContent = text.replace(/\n$/, '');
  const pre = document.createElement('pre');
  pre.append(code);
  return pre;
}

// Appends `tokens` (a stream of open/close/leaf tokens) under `root`. `decorate(text)` turns a
// text run outside links and code into nodes (e.g. citation links).
function build(root, tokens, decorate) {
  const stack = [root];
  let inLink = 0;
  for (const token of tokens) {
    const parent = stack[stack.length - 1];
    if (token.nesting === 1) {
      // A tight list's paragraphs are hidden: their text goes straight into the item.
      const node = token.hidden ? parent : open(token);
      if (node !== parent) parent.append(node);
      stack.push(node);
      if (token.tag === 'a') inLink += 1;
    } else if (token.nesting === -1) {
      stack.pop();
      if (token.tag === 'a') inLink -= 1;
    } else if (token.type === 'inline') {
      build(parent, token.children || [], decorate);
    } else if (token.type === 'text') {
      parent.append(...(inLink ? [token.content] : decorate(token.content)));
    } else if (token.type === 'code_inline') {
      const code = document.createElement('code');
      code.textContent = token.content;
      parent.append(code);
    } else if (token.type === 'fence' || token.type === 'code_block') {
      parent.append(codeBlock(token.content));
    } else if (token.type === 'softbreak' || token.type === 'hardbreak') {
      parent.append(document.createElement('br'));
    } else if (token.type === 'hr') {
      parent.append(document.createElement('hr'));
    } else if (token.content) {
      parent.append(token.content);  // html_block, html_inline or anything new: as text
    }
  }
}

// The nodes of Markdown `text`, as a DocumentFragment; `decorate(text)` returns the nodes of a
// text run (default: the text itself).
export function markdownFragment(text, decorate = (t) => [t]) {
  const fragment = document.createDocumentFragment();
  build(fragment, md.parse(String(text), {}), decorate);
  return fragment;
}
