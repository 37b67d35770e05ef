// supervisord's event listener protocol (http://supervisord.org/events.html): supervisord writes a
// header line of `key:value` tokens ending in `len:N`, then exactly N bytes of payload.
export interface ListenerEvent {
  headers: Record<string, string>;
  payload: string;
}

export type Parsed = { event: ListenerEvent } | { error: string };

// Parses the listener's stdin incrementally. It counts bytes, not characters, and copes with any
// split of header and payload across reads.
export class EventParser {
  private buf: Buffer = Buffer.alloc(0);
  private header: Record<string, string> | undefined;
  private need = 0;

  constructor(private readonly maxHeader = 8192) {}

  push(chunk: Buffer): Parsed[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Parsed[] = [];
    for (;;) {
      if (this.header === undefined) {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) {
          if (this.buf.length > this.maxHeader) {
            out.push({ error: `header longer than ${this.maxHeader} bytes without a newline` });
            this.buf = Buffer.alloc(0);
          }
          return out;
        }
        const line = this.buf.subarray(0, nl).toString('utf8');
        this.buf = this.buf.subarray(nl + 1);
        const parsed = parseHeader(line);
        if ('error' in parsed) {
          out.push({ error: parsed.error });
          continue;
        }
        this.header = parsed.headers;
        this.need = parsed.len;
      }
      if (this.buf.length < this.need) return out;
      const payload = this.buf.subarray(0, this.need).toString('utf8');
      this.buf = this.buf.subarray(this.need);
      out.push({ event: { headers: this.header, payload } });
      this.header = undefined;
      this.need = 0;
    }
  }
}

export function parseHeader(line: string): { headers: Record<string, string>; len: number } | { error: string } {
  const headers: Record<string, string> = {};
  for (const tok of line.trim().split(/\s+/)) {
    const i = tok.indexOf(':');
    if (i <= 0) return { error: `malformed header token ${JSON.stringify(tok.slice(0, 80))}` };
    headers[tok.slice(0, i)] = tok.slice(i + 1);
  }
  const len = headers.len;
  if (len === undefined || !/^\d{1,9}$/.test(len)) return { error: `header without a valid len: ${JSON.stringify(line.slice(0, 200))}` };
  return { headers, len: Number(len) };
}

// The `key:value key:value` tokens of a PROCESS_STATE payload's first line (the rest is data).
export function parseTokens(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const first = text.split('\n', 1)[0] ?? '';
  for (const tok of first.trim().split(/\s+/)) {
    const i = tok.indexOf(':');
    if (i > 0) out[tok.slice(0, i)] = tok.slice(i + 1);
  }
  return out;
}

// What the listener writes: READY to ask for an event, RESULT 2\nOK to acknowledge one.
export const READY = 'READY\n';
export const ACK = 'RESULT 2\nOK';
