// The chat page: sends questions to POST /chat with `"stream": true`, renders the Server-Sent
// Events (sources → token… → done | error) as they arrive, keeps the session id for this tab in
// sessionStorage, "New conversation" deletes the session, and the server's status comes from
// GET /. Errors are shown in the conversation (rate limits with their retry time, upstream
// failures, extractive mode). A finished answer's thumbs post to /feedback. See docs/ui.md.
import { SseParser } from './sse.js';
import { AnswerView, storedMessage, userMessage } from './render.js';

const SESSION_KEY = 'rag-server.session-id';
const STATUS_INTERVAL_MS = 60000;

const $ = (id) => document.getElementById(id);
const ui = {
  name: $('server-name'), status: $('status'), notice: $('notice'), transcript: $('transcript'),
  hint: $('empty-hint'), form: $('composer'), input: $('message'), send: $('send'), stop: $('stop'),
  reset: $('new-conversation'),
};

// Relative citation urls (e.g. "/configuration") point into the documented site, which only
// the server's setting names (SITE_URL, as <meta name="rag-site">): nothing in the page's
// address may, or a crafted link would send every citation to another site. Without it (null)
// they open this server's copy, GET /ui/source.
const siteBase = (() => {
  const site = document.querySelector('meta[name="rag-site"]')?.content;
  try {
    if (site && /^https?:$/.test(new URL(site).protocol)) return new URL(site).href;
  } catch { /* not a url */
  }
  return null;
})();

let busy = false;
let controller = null;
let retryTimer = null;

function sessionId() {
  try { return sessionStorage.getItem(SESSION_KEY); } catch { return null; }
}
function setSessionId(id) {
  try {
    if (id) sessionStorage.setItem(SESSION_KEY, id); else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* storage disabled: the session lasts as long as the page */ }
}

// --- status and notices ------------------------------------------------------------------
async function refreshStatus() {
  try {
    const res = await fetch('/', { headers: { Accept: 'application/json' } });
    if (res.status === 429) return setStatus('limited', 'Status checks rate limited');
    const body = await res.json();
    if (!res.ok) return setStatus('down', `Server answered ${res.status}`);
    ui.name.textContent = body.message || 'rag-server';
    document.title = `Chat · ${body.message || 'rag-server'}`;
    setStatus(body.status === 'running' ? 'up' : 'down', body.status || 'unknown');
  } catch {
    setStatus('down', 'Server unreachable');
  }
}
function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

// Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or null.
function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

// Keeps Send disabled and a countdown in the notice until the rate limit resets.
function startRetryCountdown(seconds, what) {
  clearInterval(retryTimer);
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      clearInterval(retryTimer);
      retryTimer = null;
      showNotice('');
      updateControls();
      return;
    }
    showNotice(`${what} You can send again in ${left} s.`);
    left -= 1;
  };
  retryTimer = setInterval(tick, 1000);
  tick();
  updateControls();
}

// --- errors ------------------------------------------------------------------------------
function detailText(detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join('.') || 'request'}: ${d.msg}`).join('; ');
  }
  return typeof detail === 'string' ? detail : '';
}

// Ends `text` with a full stop unless it already ends a sentence.
function sentence(text) {
  return text && !/[.!?]$/.test(text) ? `${text}.` : text;
}

// The message shown for a failed answer; `retry` is in seconds or null.
function describeError(status, detail, retry) {
  const text = sentence(detailText(detail));
  const wait = retry !== null && retry !== undefined ? ` Try again in ${retry} s.` : '';
  switch (status) {
    case 429: return `${text || 'Rate limit exceeded.'}${wait}`;
    case 502: return `The language model failed: ${text || 'upstream error.'} Try again later.`;
    case 503: return `The server is busy.${wait || ' Try again in a moment.'}`;
    case 504: return `The language model did not answer in time: ${text || 'timeout.'}`;
    case 413: return 'The message is too large.';
    case 422: return `The message was refused: ${text}`;
    default: return `Error ${status}${text ? `: ${text}` : '.'}`;
  }
}

async function failFromResponse(view, res) {
  let body = {};
  try { body = await res.json(); } catch { /* not JSON */ }
  const retry = retryAfterSeconds(res.headers.get('Retry-After'));
  const message = describeError(res.status, body.detail ?? body.error, retry);
  view.fail(message);
  if ((res.status === 429 || res.status === 503) && retry) {
    startRetryCountdown(retry, sentence(detailText(body.detail ?? body.error)) || 'Rate limit exceeded.');
  }
}

// --- feedback ------------------------------------------------------------------------------
// The message for a refused rating; `retry` is in seconds or null.
function describeFeedbackError(status, detail, retry) {
  const text = sentence(detailText(detail));
  switch (status) {
    case 404: return 'This answer can no longer be rated: the server no longer knows it.';
    case 429: return `Too many ratings.${retry !== null ? ` Try again in ${retry} s.` : ' Try again later.'}`;
    case 422: return `The feedback was refused: ${text}`;
    default: return `The feedback was not recorded: error ${status}${text ? `: ${text}` : '.'}`;
  }
}

// POST /feedback for an answer (docs/api.md); see answerActions for the result's shape.
async function rate(responseId, rating) {
  try {
    const res = await fetch('/feedback', {
      method: 'POST', body: JSON.stringify({ response_id: responseId, rating }),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    });
    if (res.ok) return { ok: true };
    let body = {};
    try { body = await res.json(); } catch { /* not JSON */ }
    const retry = retryAfterSeconds(res.headers.get('Retry-After'));
    return { ok: false, final: res.status === 404, message: describeFeedbackError(res.status, body.detail, retry) };
  } catch {
    return { ok: false, final: false, message: 'Cannot reach the server: the feedback was not sent.' };
  }
}

// --- asking --------------------------------------------------------------------------------
function updateControls() {
  ui.send.disabled = busy || retryTimer !== null;
  ui.stop.hidden = !busy;
  ui.send.hidden = busy;
}

function append(node) {
  ui.hint.hidden = true;
  const atBottom = ui.transcript.scrollHeight - ui.transcript.scrollTop - ui.transcript.clientHeight < 40;
  ui.transcript.append(node);
  if (atBottom) node.scrollIntoView({ block: 'end' });
}

async function readStream(view, res) {
  const parser = new SseParser(({ event, data }) => {
    let value;
    try { value = JSON.parse(data); } catch { return; }
    if (event === 'sources') view.setSources(value);
    else if (event === 'token') view.appendDelta(String(value.delta ?? ''));
    else if (event === 'done') {
      if (value.session_id) setSessionId(value.session_id);
      view.complete(value);
    } else if (event === 'error') view.fail(describeError(value.status, value.detail, null));
    ui.transcript.lastElementChild?.scrollIntoView({ block: 'end' });
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
}

async function ask(message) {
  append(userMessage(message));
  const view = new AnswerView(siteBase, rate);
  append(view.node);
  busy = true;
  controller = new AbortController();
  updateControls();
  const body = { message, stream: true };
  const id = sessionId();
  if (id) body.session_id = id;
  try {
    const res = await fetch('/chat', {
      method: 'POST', signal: controller.signal, body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    });
    if (!res.ok) await failFromResponse(view, res);
    else if ((res.headers.get('Content-Type') || '').startsWith('text/event-stream')) await readStream(view, res);
    else view.complete(await res.json());
    if (!view.ended) view.fail('The answer was cut off: the connection closed before the end.');
  } catch (e) {
    if (!view.ended) {
      view.fail(e.name === 'AbortError' ? 'Stopped.' : 'Cannot reach the server. Is it running?');
    }
    if (e.name !== 'AbortError') refreshStatus();
  } finally {
    busy = false;
    controller = null;
    updateControls();
  }
}

function submit() {
  const message = ui.input.value.trim();
  if (!message || busy || retryTimer !== null) return;
  ui.input.value = '';
  ask(message);
}

// --- conversation lifecycle ----------------------------------------------------------------
async function newConversation() {
  if (controller) controller.abort();
  const id = sessionId();
  setSessionId(null);
  ui.transcript.replaceChildren(ui.hint);
  ui.hint.hidden = false;
  if (retryTimer === null) showNotice('');
  if (id) {
    try {
      const res = await fetch(`/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
      if (!res.ok) showNotice(`The server could not forget the old conversation (${res.status}).`);
    } catch {
      showNotice('The server could not be reached to forget the old conversation.');
    }
  }
  ui.input.focus();
}

async function restoreConversation() {
  const id = sessionId();
  if (!id) return;
  try {
    const res = await fetch(`/sessions/${encodeURIComponent(id)}/history`);
    if (!res.ok) return;
    const body = await res.json();
    for (const message of body.history || []) append(storedMessage(message));
  } catch { /* the conversation continues without its past on screen */ }
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  submit();
});
ui.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  }
});
ui.stop.addEventListener('click', () => controller?.abort());
ui.reset.addEventListener('click', newConversation);

updateControls();
refreshStatus();
setInterval(refreshStatus, STATUS_INTERVAL_MS);
restoreConversation();
ui.input.focus();
document.documentElement.dataset.ready = 'true';
