import { StringDecoder } from 'node:string_decoder';

// The states keepalived writes to notify_fifo and passes to a `notify` script. The *_PRIORITY
// forms come with notify_priority_changes; MASTER_RX_LOWER_PRI when a master hears a lower one.
export const NOTIFY_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP', 'DELETED', 'MASTER_RX_LOWER_PRI', 'MASTER_PRIORITY', 'BACKUP_PRIORITY'] as const;
export type NotifyState = (typeof NOTIFY_STATES)[number];

// One keepalived notify event: `INSTANCE "VI_1" MASTER 150` on the FIFO, or the four last
// arguments of a `notify` script.
export interface NotifyEvent {
  type: 'INSTANCE' | 'GROUP';
  name: string;
  state: NotifyState;
  priority?: number;
}

export type ParseResult = { ok: true; event: NotifyEvent } | { ok: false; error: string };

// Checks the words of one event (as the notify script gets them, quotes already gone).
export function parseNotifyArgs(type: string, name: string, state: string, priority?: string): ParseResult {
  const t = type.toUpperCase();
  if (t !== 'INSTANCE' && t !== 'GROUP') return { ok: false, error: `type must be INSTANCE or GROUP, got "${type}"` };
  if (name === '') return { ok: false, error: 'empty instance name' };
  const s = state.toUpperCase() as NotifyState;
  if (!NOTIFY_STATES.includes(s)) return { ok: false, error: `unknown state "${state}" (expected one of ${NOTIFY_STATES.join(', ')})` };
  const event: NotifyEvent = { type: t, name, state: s };
  if (priority !== undefined && priority !== '') {
    if (!/^\d{1,3}$/.test(priority) || Number(priority) > 255) return { ok: false, error: `priority must be a number 0-255, got "${priority}"` };
    event.priority = Number(priority);
  }
  return { ok: true, event };
}

// Parses one line keepalived's notify_fifo writes: TYPE "NAME" STATE [PRIORITY].
export function parseNotifyLine(line: string): ParseResult {
  const m = /^\s*(\S+)\s+(?:"([^"]*)"|(\S+))\s+(\S+)(?:\s+(\S+))?\s*$/.exec(line);
  if (!m) return { ok: false, error: `not TYPE "NAME" STATE [PRIORITY]: ${JSON.stringify(line.slice(0, 200))}` };
  return parseNotifyArgs(m[1] ?? '', m[2] ?? m[3] ?? '', m[4] ?? '', m[5]);
}

// Splits a byte stream into lines, whatever the chunk boundaries (UTF-8 safe). A line longer
// than maxLine is dropped whole and reported as too long.
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private skipping = false;

  constructor(private readonly maxLine = 4096) {}

  push(chunk: Buffer | string): { lines: string[]; overlong: number } {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines: string[] = [];
    let overlong = 0;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) break;
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (this.skipping) this.skipping = false;
      else if (line.length > this.maxLine) overlong++;
      else lines.push(line);
    }
    if (this.buf.length > this.maxLine + (this.buf.endsWith('\r') ? 1 : 0)) {
      if (!this.skipping) overlong++;
      this.skipping = true;
      this.buf = '';
    }
    return { lines, overlong };
  }
}
