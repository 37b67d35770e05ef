import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';

export const lockPath = (cfg: Config) => join(cfg['state-dir'], 'bluegreen.lock');
export const journalPath = (cfg: Config) => join(cfg['state-dir'], 'switch-journal.json');
export const lastSwitchPath = (cfg: Config) => join(cfg['state-dir'], 'last-switch.json');

export interface Lock {
  // The previous holder died holding it (a journal may need recovery).
  stale: boolean;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The pid holding the lock, when a live process holds it.
export async function lockHolder(cfg: Config): Promise<number | undefined> {
  const pid = Number((await readFile(lockPath(cfg), 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

// One switch, render or group start/stop at a time (across processes): a file holding the pid. A lock whose
// holder is dead is taken over.
export async function takeLock(cfg: Config, what: string): Promise<Lock> {
  const path = lockPath(cfg);
  await mkdir(cfg['state-dir'], { recursive: true });
  let stale = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
      await fh.close();
      return {
        stale,
        release: async () => {
          const held = (await readFile(path, 'utf8').catch(() => '')).trim();
          if (held === String(process.pid)) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await lockHolder(cfg);
      if (holder !== undefined)
        throw new UserError(`${what} refused: another switch, upstream render or nodes command is running (pid ${holder}, lock ${path})`);
      await rm(path, { force: true });
      stale = true;
    }
  }
  throw new UserError(`${what} refused: could not take the lock ${path}`);
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
}

export async function readJournal(cfg: Config): Promise<Journal | undefined> {
  const text = await readFile(journalPath(cfg), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Journal;
  } catch {
    throw new UserError(`${journalPath(cfg)}: unreadable switch journal; check node-group-status.json and the upstream, then remove it`);
  }
}

export const writeJournal = (cfg: Config, j: Journal) => writeJsonAtomic(journalPath(cfg), j);
export const clearJournal = (cfg: Config) => rm(journalPath(cfg), { force: true });
