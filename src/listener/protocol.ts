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
  // Bytes of an oversized payload still to throw away as they arrive (never buffered).
  private skip = 0;

  // maxPayload: supervisord's own events are far smaller (a PROCESS_LOG chunk, a state change);
  // a bigger len is a lie or a runaway and is skipped, not held in memory.
  constructor(
    private readonly maxHeader = 8192,
    private readonly maxPayload = 1 << 20,
  ) {}

  // Bytes held now (a partial header or payload).
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Parsed[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Parsed[] = [];
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.skip -= n;
        this.buf = this.buf.subarray(n);
        if (this.skip > 0) return out;
      }
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
        if (parsed.len > this.maxPayload) {
          out.push({ error: `payload of ${parsed.len} bytes is over the ${this.maxPayload}-byte limit: skipped` });
          this.skip = parsed.len;
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
