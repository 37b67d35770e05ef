import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, UserError } from '../errors.js';

// An empty or unreadable lock file younger than this is a holder still writing it (held).
const YOUNG_MS = 5_000;

let boot: string | undefined;
async function bootId(): Promise<string> {
  boot ??= (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  return boot;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// A file system error on the lock's path (EACCES, ENOTDIR, EROFS, ENOSPC…): one line naming it.
const fsError = (path: string, err: unknown) =>
  typeof (err as NodeJS.ErrnoException).code === 'string' ? new UserError(`lock ${path}: ${errorMessage(err)}`, undefined, { cause: err }) : err;

type Seen = { held: true; pid?: number } | { held: false; ino?: number; text?: string };

// Judges the lock file at `path`: `PID BOOT-ID NONCE`. Held when its pid lives on this boot, or
// when it is empty/unreadable but young. A file gone in between reads as free (ino undefined).
async function inspect(path: string): Promise<Seen> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return { held: false };
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const [pidText, bootText] = (text ?? '').trim().split(/\s+/);
  const pid = Number(pidText);
  if (text === undefined || !Number.isInteger(pid) || pid <= 0) {
    return Date.now() - st.mtimeMs < YOUNG_MS ? { held: true } : { held: false, ino: st.ino, text: text ?? '' };
  }
  const me = await bootId();
  const sameBoot = !bootText || !me || bootText === me;
  return sameBoot && alive(pid) ? { held: true, pid } : { held: false, ino: st.ino, text };
}

export interface PidLock {
  // The previous holder died holding it.
  stale: boolean;
  release(): Promise<void>;
}

// Thrown when another live process holds the lock.
export class LockHeld extends Error {
  override name = 'LockHeld';
  constructor(
    readonly path: string,
    readonly pid: number | undefined,
  ) {
    super(`lock ${path} is held${pid ? ` by pid ${pid}` : ''}`);
  }
}

// Takes the lock file `path` across processes: its content is written to a temp file and
// link()ed onto the path, so it appears whole or not at all. A stale lock (dead pid, other boot,
// empty and old) is renamed away and the link tried again. Waits up to waitMs, then LockHeld.
export async function acquireLock(path: string, opts: { waitMs?: number } = {}): Promise<PidLock> {
  const token = `${process.pid} ${(await bootId()) || '-'} ${randomBytes(6).toString('hex')}\n`;
  await mkdir(dirname(path), { recursive: true }).catch((err: unknown) => {
    throw fsError(dirname(path), err);
  });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o644).catch((err: unknown) => {
      throw fsError(path, err);
    });
    try {
      await fh.writeFile(token);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const deadline = Date.now() + (opts.waitMs ?? 0);
    let stale = false;
    for (;;) {
      try {
        await link(tmp, path);
        return { stale, release: () => releaseLock(path, token) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(path, err);
      }
      const seen = await inspect(path);
      if (!seen.held) {
        if (seen.ino !== undefined && (await moveStale(path, seen.ino, seen.text ?? ''))) stale = true;
        continue;
      }
      if (Date.now() >= deadline) throw new LockHeld(path, seen.pid);
      await sleep(15 + Math.random() * 20);
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

// Renames a stale lock away; when the file moved is not the one judged stale (someone took it
// over meanwhile), it is put back. True when a stale lock was removed.
async function moveStale(path: string, ino: number, text: string): Promise<boolean> {
  const aside = `${path}.stale.${process.pid}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(path, err);
  }
  const st = await stat(aside).catch(() => undefined);
  const now = await readFile(aside, 'utf8').catch(() => '');
  if (st?.ino === ino && now === text) {
    await rm(aside, { force: true });
    return true;
  }
  await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
  return false;
}

async function releaseLock(path: string, token: string): Promise<void> {
  const held = await readFile(path, 'utf8').catch(() => '');
  if (held === token) await rm(path, { force: true });
}

// The pid of a live holder of `path` (undefined when free or stale).
export async function holderOf(path: string): Promise<number | undefined> {
  const seen = await inspect(path);
  return seen.held ? (seen.pid ?? 0) : undefined;
}
