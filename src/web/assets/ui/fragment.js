// Citation links that open the cited passage: text fragments
// (https://wicg.github.io/scroll-to-text-fragment/), `url#:~:text=<start>,<end>`, built from the
// first words of the passage's first line and the last words of its last line (a term must lie
// within one block of the page; the range between them may span several). Browsers without
// text fragments simply open the page.
const EDGE_WORDS = 5;

// Percent-encodes a directive term: encodeURIComponent leaves '-' alone, but the directive
// syntax reserves '-' (prefix/suffix marks) as well as ',' and '&', which it does encode.
export function encodeTextTerm(term) {
  return encodeURIComponent(term).replace(/-/g, '%2D');
}

// The value of `text=` for a passage ('' when it has no words).
export function textDirective(passage) {
  const lines = String(passage || '')
    .replace(/\s*\.\.\.$/, '')
    .split(/\n+/)
    .map((line) => line.trim().split(/\s+/).filter(Boolean))
    .filter((words) => words.length > 0);
  if (lines.length === 0) return '';
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (lines.length === 1 && first.length <= 2 * EDGE_WORDS) return encodeTextTerm(first.join(' '));
  const start = first.slice(0, EDGE_WORDS).join(' ');
  const end = last.slice(-EDGE_WORDS).join(' ');
  return `${encodeTextTerm(start)},${encodeTextTerm(end)}`;
}

// The link for a source: its url resolved against `base`, with the passage's text fragment.
// Only http(s) targets are linked (null otherwise, e.g. a `javascript:` url in a document's
// metadata); without usable words the plain url is returned.
export function citationHref(url, passage, base) {
  if (!url) return null;
  let target;
  try {
    target = new URL(url, base);
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  const directive = textDirective(passage);
  const fragment = target.hash.slice(1).split(':~:')[0];
  target.hash = '';
  const plain = target.href + (fragment ? `#${fragment}` : '');
  if (!directive) return plain;
  return `${target.href}#${fragment}:~:text=${directive}`;
}

// The link for a source as the page shows it. With `siteBase` (the published site) or an
// absolute url: citationHref against it (or `origin`). A relative url ("/configuration", not
// "//host" nor "/\host", which browsers read as another host) with no site known opens this
// server's copy of the indexed page, GET /ui/source?url=..., at the passage.
export function sourceHref(url, passage, siteBase, origin) {
  if (!siteBase && typeof url === 'string' && /^\/(?![/\\])/.test(url)) {
    return citationHref(`/ui/source?url=${encodeURIComponent(url)}`, passage, origin);
  }
  return citationHref(url, passage, siteBase || origin);
}
