import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../util/exec.js';
import type { Logger } from '../util/log.js';
import { LineSplitter, type NotifyEvent, parseNotifyLine } from './parse.js';

const uid = () => process.getuid?.() ?? 0;

// What is wrong with the file at the FIFO's path, if anything: it must be a FIFO (not a link to
// one), owned by the agent's user, writable by no one else (whoever can write it can make this
// node MASTER).
function fifoProblem(st: { isFIFO(): boolean; isSymbolicLink(): boolean; uid: number; mode: number }): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isFIFO()) return 'exists and is not a FIFO';
  if (st.uid !== uid()) return `is owned by uid ${st.uid}, not ${uid()}`;
  if ((st.mode & 0o022) !== 0) return `is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

// Creates the FIFO (mode 0600) if it is missing; refuses one that fifoProblem() finds wrong.
export async function ensureFifo(path: string): Promise<void> {
  try {
    const problem = fifoProblem(await lstat(path));
    if (problem) throw new UserError(`ha.keepalived.notify-fifo ${path}: ${problem}`);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  await run('mkfifo', ['-m', '0600', path], { timeoutMs: 5_000 });
}

// Reads keepalived's notify_fifo without blocking the event loop. It opens the FIFO read-write,
// so it never sees end-of-file when keepalived closes it (keepalived restarts are invisible).
// When the path is removed or replaced, it opens the new FIFO and keeps reading the old one too:
// a running keepalived still writes to the pipe it opened, and this is its only reader.
export class FifoReader {
  private sock: Socket | undefined;
  private readonly old: { sock: Socket; inode: string }[] = [];
  private ino = 0;
  private inode = '';
  private closed = false;

  constructor(
    readonly path: string,
    private readonly onEvent: (ev: NotifyEvent, line: string) => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await ensureFifo(this.path);
    // NOTE: a raw fd, not a FileHandle: a FileHandle closes its fd when garbage-collected, under
    // the socket that still reads it. O_NONBLOCK makes this open return at once; O_NOFOLLOW
    // refuses a link put there after the check.
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    const problem = fifoProblem({ ...st, isFIFO: () => st.isFIFO(), isSymbolicLink: () => false });
    if (problem) {
      closeSync(fd);
      throw new UserError(`ha.keepalived.notify-fifo ${this.path}: ${problem}`);
    }
    this.ino = st.ino;
    this.inode = `${st.dev}:${st.ino}`;
    this.sock = this.read(fd);
  }

  private read(fd: number): Socket {
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
    return sock;
  }

  // Opens the FIFO again when the path was removed or replaced. Called from the agent's timer.
  async check(): Promise<void> {
    if (this.closed) return;
    const st = await lstat(this.path).catch(() => undefined);
    if (st?.isFIFO() && st.ino === this.ino) return;
    this.log.warn({ fifo: this.path }, 'fifo: path changed or missing; opening the new one, still reading the old');
    if (this.sock) this.old.push({ sock: this.sock, inode: this.inode });
    // Old pipes go when keepalived holds them no more (prune(), from the agent's /proc check); a
    // bound in case no keepalived runs to tell (the path removed again and again).
    while (this.old.length > 32) this.old.shift()?.sock.destroy();
    this.sock = undefined;
    if (st && !st.isFIFO()) throw new UserError(`ha.keepalived.notify-fifo ${this.path}: exists and is not a FIFO`);
    await this.start();
  }

  // The pipes this reader reads ("dev:ino"): whoever writes to one of them is heard.
  inodes(): Set<string> {
    return new Set([...(this.sock ? [this.inode] : []), ...this.old.map((o) => o.inode)]);
  }

  // Drops the old pipes (never the current one) not in `held`: the pipes keepalived has open.
  prune(held: ReadonlySet<string>): void {
    for (let i = this.old.length - 1; i >= 0; i--) {
      const o = this.old[i];
      if (o && !held.has(o.inode)) {
        o.sock.destroy();
        this.old.splice(i, 1);
      }
    }
  }

  stop(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = undefined;
    for (const o of this.old.splice(0)) o.sock.destroy();
  }
}
