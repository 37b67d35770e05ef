import { constants, fstatSync, openSync } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../util/exec.js';
import type { Logger } from '../util/log.js';
import { LineSplitter, type NotifyEvent, parseNotifyLine } from './parse.js';

// Creates the FIFO (mode 0600) if it is missing. A non-FIFO at the path is an error.
export async function ensureFifo(path: string): Promise<void> {
  try {
    const st = await stat(path);
    if (!st.isFIFO()) throw new UserError(`ha.keepalived.notify-fifo ${path}: exists and is not a FIFO`);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  await run('mkfifo', ['-m', '0600', path], { timeoutMs: 5_000 });
}

// Reads keepalived's notify_fifo without blocking the event loop. It opens the FIFO read-write,
// so it never sees end-of-file when keepalived closes it (keepalived restarts are invisible), and
// reopens it when the path now names another file (keepalived created and removed its own).
export class FifoReader {
  private sock: Socket | undefined;
  private ino = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly onEvent: (ev: NotifyEvent, line: string) => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await ensureFifo(this.path);
    // NOTE: a raw fd, not a FileHandle: a FileHandle closes its fd when garbage-collected, under
    // the socket that still reads it. O_NONBLOCK makes this open return at once.
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.ino = fstatSync(fd).ino;
    const splitter = new LineSplitter();
    // NOTE: net.Socket over the fd reads the pipe in libuv's event loop, not in a pool thread.
    const sock = new Socket({ fd, readable: true, writable: false });
    sock.on('data', (chunk: Buffer) => {
      const { lines, overlong } = splitter.push(chunk);
      if (overlong > 0) this.log.warn({ fifo: this.path, count: overlong }, 'fifo: line too long, ignored');
      for (const line of lines) {
        if (line.trim() === '') continue;
        const r = parseNotifyLine(line);
        if (r.ok) this.onEvent(r.event, line);
        else this.log.warn({ fifo: this.path, line: line.slice(0, 200) }, `fifo: malformed line ignored: ${r.error}`);
      }
    });
    sock.on('error', (err) => this.log.error({ err, fifo: this.path }, 'fifo: read error'));
    this.sock = sock;
  }

  // Reopens when the FIFO was removed or replaced. Called from the agent's timer.
  async check(): Promise<void> {
    if (this.closed) return;
    let ino = -1;
    try {
      const st = await stat(this.path);
      ino = st.isFIFO() ? st.ino : -1;
    } catch {
      ino = -1;
    }
    if (ino === this.ino) return;
    this.log.warn({ fifo: this.path }, 'fifo: path changed or missing, reopening');
    this.sock?.destroy();
    if (ino === -1) {
      await unlink(this.path).catch(() => {});
    }
    await this.start();
  }

  stop(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = undefined;
  }
}
