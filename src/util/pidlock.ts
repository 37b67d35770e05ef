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

type Seen = { held: true; pid?: number } | { held: false; ino?: number };

// Judges the lock file at `path`: `PID BOOT-ID NONCE`. Held when its pid lives on this boot, or
// when it is empty/unreadable but young. A file gone in between reads as free (ino undefined).
async function inspect(path: string): Promise<Seen> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return { held: false };
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const [pidText, bootText] = (text ?? '').trim().split(/\s+/);
  const pid = Number(pidText);
  if (text === undefined || !Number.isInteger(pid) || pid <= 0) {
    return Date.now() - st.mtimeMs < YOUNG_MS ? { held: true } : { held: false, ino: st.ino };
  }
  const me = await bootId();
  const sameBoot = !bootText || !me || bootText === me;
  return sameBoot && alive(pid) ? { held: true, pid } : { held: false, ino: st.ino };
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
// empty and old) is replaced (see takeOver). Waits up to waitMs, then LockHeld.
export async function acquireLock(path: string, opts: { waitMs?: number } = {}): Promise<PidLock> {
  const token = `${process.pid} ${(await bootId()) || '-'} ${randomBytes(6).toString('hex')}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
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
    for (;;) {
      try {
        await link(tmp, path);
        return { stale: false, release: () => releaseLock(path, token) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(path, err);
      }
      const seen = await inspect(path);
      if (!seen.held) {
        if (seen.ino !== undefined && (await takeOver(path, tmp))) return { stale: true, release: () => releaseLock(path, token) };
        continue;
      }
      if (Date.now() >= deadline) throw new LockHeld(path, seen.pid);
      await sleep(15 + Math.random() * 20);
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

// Replaces a stale lock with ours (rename of a link to our temp file: atomic), under a guard
// (`.takeover`, made by link() like the lock) so two takers cannot both replace it: without it
// the second could replace the first's fresh lock. Under the guard the lock is judged again. A
// guard left by a taker that died (linked over 5 s ago: its ctime) is removed. True when we hold the lock.
async function takeOver(path: string, tmp: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await link(tmp, guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(guard, err);
    const st = await stat(guard).catch(() => undefined);
    if (st && Date.now() - st.ctimeMs > YOUNG_MS) await rm(guard, { force: true });
    await sleep(5 + Math.random() * 10);
    return false;
  }
  try {
    const seen = await inspect(path);
    if (seen.held || seen.ino === undefined) return false;
    // Our lock replaces the stale one in one rename: the path is never empty, so the taker wins.
    const side = `${tmp}.takeover`;
    await link(tmp, side);
    try {
      await rename(side, path);
    } catch (err) {
      await rm(side, { force: true });
      throw fsError(path, err);
    }
    return true;
  } finally {
    await rm(guard, { force: true });
  }
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
