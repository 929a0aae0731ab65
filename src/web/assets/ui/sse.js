// Server-Sent Events parser for a fetch() body (EventSource cannot POST). Follows the HTML
// standard's "event stream interpretation": lines end at CRLF, LF or CR; `event:` names the
// event, `data:` lines are joined with "\n", one leading space after the colon is dropped,
// comment lines (`: ping`) are ignored, a blank line dispatches, and an event left incomplete
// when the stream ends is discarded.
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.event = '';
    this.data = [];
  }

  // Feeds decoded text; calls onEvent({event, data}) for each complete event.
  push(text) {
    this.buffer += text;
    for (;;) {
      const i = this.buffer.search(/[\r\n]/);
      if (i < 0) return;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait.
      if (this.buffer[i] === '\r' && i === this.buffer.length - 1) return;
      const eol = this.buffer.startsWith('\r\n', i) ? 2 : 1;
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + eol);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.data.length) this.onEvent({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
