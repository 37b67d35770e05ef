import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { acquireLock, holderOf, LockHeld, type PidLock } from '../util/pidlock.js';

export const lockPath = (cfg: Config) => join(cfg['state-dir'], 'bluegreen.lock');
export const journalPath = (cfg: Config) => join(cfg['state-dir'], 'switch-journal.json');
export const lastSwitchPath = (cfg: Config) => join(cfg['state-dir'], 'last-switch.json');

export type Lock = PidLock;

// The pid holding the lock, when a live process holds it (0: held, pid not written yet).
export const lockHolder = (cfg: Config): Promise<number | undefined> => holderOf(lockPath(cfg));

// One switch, render or group start/stop at a time (across processes): see acquireLock. A lock
// whose holder died is taken over (`stale` says so). Held by a live process: waits up to waitMs
// (saying so once through `say`), then a UserError naming the holder.
export async function takeLock(cfg: Config, what: string, opts: { waitMs?: number; say?: (line: string) => void } = {}): Promise<Lock> {
  const path = lockPath(cfg);
  const refused = (pid: number | undefined) =>
    new UserError(
      `${what} refused: another switch, upstream render or nodes command is running (pid ${pid ?? '?'}, lock ${path})${opts.waitMs ? `; waited ${opts.waitMs} ms` : ''}`,
    );
  try {
    return await acquireLock(path);
  } catch (err) {
    if (!(err instanceof LockHeld)) throw err;
    if (!opts.waitMs) throw refused(err.pid);
    opts.say?.(`waiting up to ${opts.waitMs} ms for the blue/green lock (held by pid ${err.pid ?? '?'}: the agent's health round or another command)`);
  }
  try {
    return await acquireLock(path, { waitMs: opts.waitMs });
  } catch (err) {
    if (!(err instanceof LockHeld)) throw err;
    throw refused(err.pid);
  }
}

export type JournalStep = 'starting' | 'gate' | 'swapped' | 'verified';

// What a switch has done so far, so a killed switch can be finished or undone.
export interface Journal {
  from: string;
  to: string;
  step: JournalStep;
  'started-at': string;
  // Nodes of the target group that were already up before the switch (not stopped on undo).
  'was-running': string[];
  'keep-old': boolean;
  // switch.mode when it began (a config edited meanwhile does not change how it is undone).
  mode?: 'render-primary' | 'both-groups';
  // Nginx's workers before the reload (render-primary): the drain waits for them to exit.
  'old-workers'?: number[];
  'nginx-master'?: number;
  // When the new group passed its health gate (ms since the epoch).
  'healthy-at'?: number;
}

// The journal, undefined when there is none. One that cannot be read (a folder, no permission,
// EIO) is not "none": a switch may be half-done.
export async function readJournal(cfg: Config): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(journalPath(cfg), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${journalPath(cfg)}: unreadable switch journal (${errorMessage(err)}); check node-group-status.json and the upstream, then remove it`);
  }
  try {
    return JSON.parse(text) as Journal;
  } catch {
    throw new UserError(`${journalPath(cfg)}: unreadable switch journal; check node-group-status.json and the upstream, then remove it`);
  }
}

export const writeJournal = (cfg: Config, j: Journal) => writeJsonAtomic(journalPath(cfg), j);
export const clearJournal = (cfg: Config) => rm(journalPath(cfg), { force: true });
