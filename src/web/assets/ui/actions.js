// The buttons under a finished answer: copy its Markdown text to the clipboard, and rate it
// (thumbs up or down, sent by the caller's `rate`: app.js posts to /feedback). Each shows its
// result in the bar's status, which screen readers announce. See docs/ui.md.
import { el } from './dom.js';

// The form of the server's response_id (docs/api.md); anything else gets no thumbs.
const RESPONSE_ID = /^[0-9a-f]{32}$/;
const SVG = 'http://www.w3.org/2000/svg';
// A thumb pointing up, drawn for this page (the down button turns it over: app.css).
const THUMB = 'M2 10h4v11H2zM8 10l4-8c1.4 0 2.5 1.1 2.5 2.5L14 9h6a2 2 0 0 1 2 2.3l-1.4 7.9A2 2 0 0 1 18.6 21H8z';

function thumbIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', THUMB);
  svg.append(path);
  return svg;
}

function copyButton(markdown, say) {
  const button = el('button', { type: 'button', class: 'action copy', 'aria-label': 'Copy the answer' }, 'Copy');
  button.addEventListener('click', async () => {
    if (!navigator.clipboard?.writeText) {
      say('Copying is not available in this browser: select the text to copy it.', 'error');
      return;
    }
    try {
      await navigator.clipboard.writeText(markdown);
      say('Copied', 'ok');
    } catch {
      say('Could not copy: the browser refused access to the clipboard.', 'error');
    }
  });
  return button;
}

// The thumbs: one rating per answer. `rate(responseId, rating)` resolves to {ok: true} or
// {ok: false, message, final}; `final` (e.g. an expired answer) keeps the buttons disabled.
function ratingButtons(responseId, rate, say) {
  const buttons = [['up', 'Good answer'], ['down', 'Bad answer']].map(([rating, label]) => el('button',
    { type: 'button', class: `action rate rate-${rating}`, 'data-rating': rating, 'aria-label': label,
      title: label, 'aria-pressed': 'false' }, thumbIcon()));
  for (const button of buttons) {
    button.addEventListener('click', async () => {
      for (const b of buttons) b.disabled = true;
      say('Sending your feedback…', 'pending');
      const result = await rate(responseId, button.dataset.rating);
      if (result.ok) {
        button.setAttribute('aria-pressed', 'true');
        say('Thanks for your feedback', 'ok');
        return;
      }
      say(result.message, 'error');
      if (!result.final) for (const b of buttons) b.disabled = false;
    });
  }
  return buttons;
}

// The action bar of a finished answer: Copy, and the thumbs when the answer has a valid
// `responseId` and `rate` is given (the server's feedback is on).
export function answerActions(markdown, responseId, rate) {
  const status = el('span', { class: 'action-status', role: 'status' });
  const say = (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind;
  };
  const bar = el('div', { class: 'answer-actions', role: 'group', 'aria-label': 'Answer actions' },
    copyButton(markdown, say));
  if (rate && typeof responseId === 'string' && RESPONSE_ID.test(responseId)) {
    bar.append(...ratingButtons(responseId, rate, say));
  }
  bar.append(status);
  return bar;
}
